// A plain stop-then-start restart of the gateway: SIGTERM, wait for the exit, start a new one.
// The gap is the platform's max_gap_ms over the restart: the longest time with no poll in flight.
import { join } from 'node:path';
import { startBlueGateway, type GatewaySpec } from './lib/gateway.ts';
import type { PlatformProc } from './lib/platform-proc.ts';
import { readPid, sleep, waitFor, type Procs } from './lib/procs.ts';

export interface RestartOptions {
  runs: number;
  rate: number;
  /** Where the new gateways log. */
  logDir: string;
  progress: (line: string) => void;
}

/** Restarts the gateway serving `spec.home` `runs` times with `spec.initMs`; resolves with each gap in ms. A gateway is left serving. */
export async function measureRestarts(procs: Procs, platform: PlatformProc, spec: GatewaySpec, o: RestartOptions): Promise<number[]> {
  const gaps: number[] = [];
  await platform.setRate(o.rate);
  for (let i = 1; i <= o.runs; i++) {
    const pid = readPid(join(spec.home, 'gateway.pid'));
    if (!pid) throw new Error(`no gateway.pid in ${spec.home}: nothing serves to restart`);
    procs.track(pid);
    await sleep(150);
    await platform.reset();
    await procs.stop(pid, 10_000);
    const tag = `restart-${spec.initMs}-${i}`;
    await startBlueGateway(procs, spec, tag, join(o.logDir, `${tag}.log`));
    // The gap ends with the new gateway's first poll.
    await waitFor('the restarted gateway to poll', async () => (await platform.stats()).in_flight > 0, 15_000, 5);
    await sleep(50);
    const gap = (await platform.stats()).max_gap_ms;
    gaps.push(gap);
    o.progress(`restart ${i}/${o.runs} (init ${spec.initMs} ms): gap ${gap} ms`);
  }
  return gaps;
}
