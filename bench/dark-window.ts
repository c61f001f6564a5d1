// Promotions under load through the local promote path; each green becomes the next blue.
// The dark window of one promotion is the platform's switch_gap_ms: the time with no poll in flight
// at the change of poller (blue's last poll ends -> green's first poll arrives).
import { join } from 'node:path';
import { shellJoin } from '../src/host/quote.ts';
import { LocalHost } from '../src/host/local/local-host.ts';
import { socketAnswers } from '../src/peer/listen.ts';
import { promote } from '../src/handoff/promote.ts';
import type { EngineParams } from '../src/core/params.ts';
import type { Outcome } from '../src/core/outcome.ts';
import { gatewayArgv, socketOf, type GatewaySpec } from './lib/gateway.ts';
import type { PlatformProc } from './lib/platform-proc.ts';
import { isAlive, readPid, sleep, waitFor, type Procs } from './lib/procs.ts';

export interface PromotionOptions {
  count: number;
  bakeMs: number;
  /** Updates per second during each promotion. */
  rate: number;
  /** The platform's lost-grace, waited out when settling. */
  graceMs: number;
  progress: (line: string) => void;
  /** Extra environment for every green (e.g. the probe's NODE_OPTIONS). */
  greenEnv?: Record<string, string>;
  /** Called after each promotion has settled, with its outcome. */
  onPromotion?: (i: number, outcome: Outcome, switchGapMs: number) => void | Promise<void>;
}

/** What the promotions measured. */
export interface PromotionFigures {
  /** Platform switch_gap_ms of each promoted run. */
  darkWindows: number[];
  /** The host's own dark_window_ms (green's pause->first poll) of each promoted run. */
  hostDarkWindows: number[];
  verdicts: Record<string, number>;
  /** One line per promotion that did not end promoted. */
  failures: string[];
  produced: number;
  lost: number;
  duplicated: number;
  conflicts: number;
}

/** Runs `count` promotions of the gateway serving `spec.home` (tracked by `procs`); the last green is left serving. */
export async function runPromotions(procs: Procs, platform: PlatformProc, spec: GatewaySpec, o: PromotionOptions): Promise<PromotionFigures> {
  const host = new LocalHost();
  const f: PromotionFigures = { darkWindows: [], hostDarkWindows: [], verdicts: {}, failures: [], produced: 0, lost: 0, duplicated: 0, conflicts: 0 };
  try {
    for (let i = 1; i <= o.count; i++) {
      await platform.setRate(o.rate);
      await sleep(150); // the blue is answering under load when the handover begins
      await platform.reset();
      const outcome = await promote(params(spec, `bench-${i}`, o.bakeMs, o.greenEnv ?? {}), { host, log: { info: () => {}, warn: () => {} } });
      procs.track(outcome.green_pid);
      const atVerdict = await platform.stats();
      f.verdicts[outcome.verdict] = (f.verdicts[outcome.verdict] ?? 0) + 1;
      if (outcome.verdict === 'promoted') {
        f.darkWindows.push(atVerdict.switch_gap_ms);
        if (outcome.dark_window_ms !== null) f.hostDarkWindows.push(outcome.dark_window_ms);
      } else {
        f.failures.push(`promotion ${i}: ${outcome.verdict}: ${outcome.reason}`);
      }
      // Settle: no new updates, everything answered, the lost-grace waited out; then this window is final.
      await platform.setRate(0);
      await waitFor('platform pending 0 after a promotion', async () => (await platform.stats()).pending === 0, 15_000, 20);
      await sleep(o.graceMs + 100);
      const s = await platform.stats();
      f.produced += s.produced;
      f.lost += s.lost;
      f.duplicated += s.duplicated;
      f.conflicts += s.conflicts;
      // The old blue exits after COMPLETE; the next promotion needs the new one on the socket.
      if (outcome.verdict === 'promoted' && outcome.blue_pid) await waitFor(`old blue ${outcome.blue_pid} to exit`, () => !isAlive(outcome.blue_pid!), 15_000);
      procs.track(readPid(join(spec.home, 'gateway.pid')));
      procs.prune();
      await waitFor('the handoff socket to answer', () => socketAnswers(socketOf(spec.home)), 15_000);
      await o.onPromotion?.(i, outcome, atVerdict.switch_gap_ms);
      o.progress(`promotion ${i}/${o.count}: ${outcome.verdict}, dark window ${atVerdict.switch_gap_ms} ms (host ${outcome.dark_window_ms ?? '-'} ms), lost ${s.lost}, duplicated ${s.duplicated}, conflicts ${s.conflicts}`);
    }
  } finally {
    await host.close();
  }
  return f;
}

/** The engine parameters of promotion `release`: short bake and heartbeats, generous deadlines. */
function params(spec: GatewaySpec, release: string, bakeMs: number, greenEnv: Record<string, string>): EngineParams {
  return {
    mode: 'promote',
    targetName: 'bench',
    hermesHome: spec.home,
    socketPath: null,
    greenCommand: shellJoin(gatewayArgv(spec)),
    workdir: null,
    runtime: 'claw',
    release,
    greenEnv,
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-gateway@',
    bakeMs,
    timeoutMs: spec.initMs + bakeMs + 60_000,
    thresholds: { max_heartbeat_age_ms: 2_000, consecutive: 3 },
    deadlines: { heartbeat_ms: 100, ack_ms: spec.initMs + 20_000, drain_ms: 5_000, confirm_ms: 5_000, rollback_grace_ms: 5_000 },
  };
}
