// Promotions under load through the local promote path; each green becomes the next blue.
// The dark window of one promotion is, per platform, the platform's switch_gap_ms over it: Telegram,
// the time with no poll in flight at the change of poller (blue's last poll ends -> green's first poll
// arrives); Discord, the time with no live connection at the change (blue's close -> green's RESUMED).
import { join } from 'node:path';
import { shellJoin } from '../src/host/quote.ts';
import { LocalHost } from '../src/host/local/local-host.ts';
import { socketAnswers } from '../src/peer/listen.ts';
import { promote } from '../src/handoff/promote.ts';
import type { EngineParams } from '../src/core/params.ts';
import type { Outcome } from '../src/core/outcome.ts';
import type { PlatformStats } from '../examples/gateway/platform/schemas.ts';
import { gatewayArgv, socketOf, type GatewaySpec } from './lib/gateway.ts';
import type { PlatformProc } from './lib/platform-proc.ts';
import { isAlive, readPid, sleep, waitFor, type Procs } from './lib/procs.ts';

/** The platforms the gateway runs. */
export const KINDS = ['telegram', 'discord'] as const;
/** `telegram` or `discord`. */
export type Kind = (typeof KINDS)[number];

export interface PromotionOptions {
  count: number;
  bakeMs: number;
  /** Messages per second on each platform during each promotion. */
  rate: number;
  /** The platform's lost-grace, waited out when settling. */
  graceMs: number;
  progress: (line: string) => void;
  /** Extra environment for every green (e.g. the probe's NODE_OPTIONS). */
  greenEnv?: Record<string, string>;
  /** A fault every green is started with (the failure case: `crash-after-confirm`). */
  greenFault?: string;
  /** Called after each promotion has settled, with its outcome. */
  onPromotion?: (i: number, outcome: Outcome, switchGapMs: number) => void | Promise<void>;
}

/** One platform's figures over the promotions. */
export interface PlatformFigures {
  /** switch_gap_ms of each promoted run. */
  darkWindows: number[];
  produced: number;
  lost: number;
  duplicated: number;
  /** Two listeners at once (unplanned). */
  conflicts: number;
  /** A paused listener ended by the next one (planned: make-before-break). */
  takeovers: number;
}

/** What the promotions measured. */
export interface PromotionFigures {
  platforms: Record<Kind, PlatformFigures>;
  /** The host's own dark_window_ms (green's pause->first poll, over both platforms) of each promoted run. */
  hostDarkWindows: number[];
  verdicts: Record<string, number>;
  /** One line per promotion that did not end as expected. */
  failures: string[];
}

const emptyPlatform = (): PlatformFigures => ({ darkWindows: [], produced: 0, lost: 0, duplicated: 0, conflicts: 0, takeovers: 0 });

/**
 * Runs `count` promotions of the gateway serving `spec.home` (tracked by `procs`). Without a fault the
 * last green is left serving; with `greenFault` each green dies and blue serves on (a promotion is
 * expected to end rolled-back then, and blue must be serving again).
 */
export async function runPromotions(procs: Procs, platform: PlatformProc, spec: GatewaySpec, o: PromotionOptions): Promise<PromotionFigures> {
  const host = new LocalHost();
  const f: PromotionFigures = { platforms: { telegram: emptyPlatform(), discord: emptyPlatform() }, hostDarkWindows: [], verdicts: {}, failures: [] };
  const expect = o.greenFault ? 'rolled-back' : 'promoted';
  try {
    for (let i = 1; i <= o.count; i++) {
      await platform.setRate(o.rate);
      await sleep(150); // the blue is answering under load when the handover begins
      await platform.reset();
      const greenCommand = shellJoin(gatewayArgv(spec, o.greenFault ? ['--fault', o.greenFault] : []));
      const outcome = await promote(params(spec, greenCommand, `bench-${o.greenFault ?? 'p'}-${i}`, o.bakeMs, o.greenEnv ?? {}), { host, log: { info: () => {}, warn: () => {} } });
      procs.track(outcome.green_pid);
      const atVerdict = await platform.stats();
      f.verdicts[outcome.verdict] = (f.verdicts[outcome.verdict] ?? 0) + 1;
      if (outcome.verdict === expect) {
        for (const k of KINDS) f.platforms[k].darkWindows.push(of(atVerdict, k).switch_gap_ms);
        if (outcome.dark_window_ms !== null) f.hostDarkWindows.push(outcome.dark_window_ms);
      } else {
        f.failures.push(`${o.greenFault ? `${o.greenFault} ` : ''}promotion ${i}: ${outcome.verdict}: ${outcome.reason}`);
      }
      // Settle: no new messages, everything answered, the lost-grace waited out; then this window is final.
      await platform.setRate(0);
      await waitFor('platform pending 0 after a promotion', async () => (await platform.stats()).pending === 0, 15_000, 20);
      await sleep(o.graceMs + 100);
      const s = await platform.stats();
      for (const k of KINDS) {
        const p = of(s, k);
        const acc = f.platforms[k];
        acc.produced += p.produced;
        acc.lost += p.lost;
        acc.duplicated += p.duplicated;
        acc.conflicts += p.conflicts;
        acc.takeovers += p.takeovers;
      }
      // The old blue exits after COMPLETE; the next promotion needs the new one on the socket.
      if (outcome.verdict === 'promoted' && outcome.blue_pid) await waitFor(`old blue ${outcome.blue_pid} to exit`, () => !isAlive(outcome.blue_pid!), 15_000);
      procs.track(readPid(join(spec.home, 'gateway.pid')));
      procs.prune();
      await waitFor('the handoff socket to answer', () => socketAnswers(socketOf(spec.home)), 15_000);
      await o.onPromotion?.(i, outcome, atVerdict.switch_gap_ms);
      const line = KINDS.map((k) => `${k} ${of(atVerdict, k).switch_gap_ms} ms (lost ${of(s, k).lost}, dup ${of(s, k).duplicated}, conflicts ${of(s, k).conflicts}, takeovers ${of(s, k).takeovers})`).join('; ');
      o.progress(`${o.greenFault ? `${o.greenFault} ` : ''}promotion ${i}/${o.count}: ${outcome.verdict}; dark window ${line}; host ${outcome.dark_window_ms ?? '-'} ms`);
    }
  } finally {
    await host.close();
  }
  return f;
}

/** The figures of platform `k` in `s`. */
function of(s: PlatformStats, k: Kind) {
  const p = s.platforms[k];
  if (!p) throw new Error(`the platform does not report ${k}: is fake-platform serving --kinds telegram,discord?`);
  return p;
}

/** The engine parameters of promotion `release`: short bake and heartbeats, generous deadlines. */
function params(spec: GatewaySpec, greenCommand: string, release: string, bakeMs: number, greenEnv: Record<string, string>): EngineParams {
  return {
    mode: 'promote',
    targetName: 'bench',
    hermesHome: spec.home,
    socketPath: null,
    greenCommand,
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
