// A plain stop-then-start restart of the gateway: SIGTERM, wait for the exit, start a new one. The gap,
// per platform, is the platform's max_gap_ms over the restart: Telegram, the longest time with no poll
// in flight; Discord, the longest time with no live gateway connection (the stop closes it; the new
// process connects again, here resuming the session its store recorded, as an IDENTIFY would cost the same).
import { join } from 'node:path';
import { KINDS, type Kind } from './dark-window.ts';
import { startBlueGateway, type GatewaySpec } from './lib/gateway.ts';
import type { PlatformProc } from './lib/platform-proc.ts';
import { readPid, waitFor, type Procs } from './lib/procs.ts';

export interface RestartOptions {
  runs: number;
  rate: number;
  /** Where the new gateways log. */
  logDir: string;
  progress: (line: string) => void;
}

/** Restarts the gateway serving `spec.home` `runs` times with `spec.initMs`; resolves with each gap in ms, per platform. A gateway is left serving. */
export async function measureRestarts(procs: Procs, platform: PlatformProc, spec: GatewaySpec, o: RestartOptions): Promise<Record<Kind, number[]>> {
  const gaps: Record<Kind, number[]> = { telegram: [], discord: [] };
  await platform.setRate(o.rate);
  const listening = async () => {
    const s = await platform.stats();
    return KINDS.every((k) => (s.platforms[k]?.in_flight ?? 0) > 0);
  };
  for (let i = 1; i <= o.runs; i++) {
    const pid = readPid(join(spec.home, 'gateway.pid'));
    if (!pid) throw new Error(`no gateway.pid in ${spec.home}: nothing serves to restart`);
    procs.track(pid);
    await waitFor('the gateway to listen on both platforms', listening, 15_000, 5);
    await platform.reset();
    await procs.stop(pid, 10_000);
    const tag = `restart-${spec.initMs}-${i}`;
    await startBlueGateway(procs, spec, tag, join(o.logDir, `${tag}.log`));
    // The gap ends with the new gateway's first poll and its live session.
    await waitFor('the restarted gateway to poll and connect', listening, 15_000, 5);
    const s = await platform.stats();
    for (const k of KINDS) gaps[k].push(s.platforms[k]?.max_gap_ms ?? Number.NaN);
    o.progress(`restart ${i}/${o.runs} (init ${spec.initMs} ms): gap telegram ${gaps.telegram.at(-1)} ms, discord ${gaps.discord.at(-1)} ms`);
  }
  return gaps;
}
