import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakePlatform, type PlatformStats } from '../gateway/platform/server.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { realOs } from '../../src/peer/os.ts';
import { promote } from '../../src/handoff/promote.ts';
import { status } from '../../src/handoff/status.ts';
import type { EngineParams } from '../../src/core/params.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { DemoHost, DemoResources, readPidFile, selfCommand, spawnGroupLeader } from './processes.ts';
import { DEMO_KINDS, platformArgs, platformFigures, type DemoPlatform } from './platforms.ts';

export interface DemoOptions {
  fault: string;
  initMs: number;
  bakeMs: number;
  rate: number;
  /** Where the progress goes (stderr with --json). */
  out: (line: string) => void;
  /** Blue fault (HERMES_BLUE_FAULT), for the fault matrix. */
  blueFault?: string;
  /** What the run starts; the caller stops it early on a signal or a closed pipe. Default: a fresh one. */
  resources?: DemoResources;
}

/** The demo's one-line JSON result. */
export interface DemoResult {
  verdict: string;
  reason: string;
  handoff_id: string | null;
  fault: string;
  served_by: 'blue' | 'green' | 'none' | 'both';
  /**
   * The dark window, measured on the platform as docs/platforms.md defines it (`switch_gap_ms`): the
   * gap between blue's last poll and green's first at the handover. Null when no handover happened.
   */
  dark_window_ms: number | null;
  /** The longest gap at any change of poller in the run: the handover's, or a rollback's when longer. */
  switch_gap_ms: number;
  /** The longest time with nobody polling at all. */
  max_gap_ms: number;
  init_ms: number;
  bake_ms: number;
  duration_ms: number;
  produced: number;
  replied: number;
  lost: number;
  duplicated: number;
  conflicts: number;
  /** Each platform's figures; lost, duplicated and conflicts above are their sums. */
  platforms: Record<(typeof DEMO_KINDS)[number], DemoPlatform>;
  blue_pid: number;
  green_pid: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The observation window the demo reserves for crash-after-promotion: short, so the reversion shows in seconds. */
const DEMO_WINDOW_MS = 8_000;

/** Asks the host (mode status) until the promotion's window has an outcome; bounded by the window and a margin. */
async function untilObserved(p: EngineParams, first: Outcome, io: Parameters<typeof status>[1]): Promise<Outcome> {
  const by = (first.observation?.until ?? Date.now()) + 20_000;
  const quiet = { ...io, log: { info: () => {}, warn: () => {} } };
  let last = first;
  while (Date.now() < by) {
    await sleep(250);
    // The socket is dead for a moment between green's crash and the take-back: ask again.
    const now = await status({ ...p, mode: 'status', handoffId: first.handoff_id, timeoutMs: 10_000 }, quiet);
    if (now.verdict === 'reverted' || (now.verdict === 'promoted' && now.observation && now.observation.state !== 'observing')) return now;
    if (now.verdict === 'promoted') last = now;
  }
  return last;
}

/**
 * Runs a full promotion of the reference gateway on this machine, with `fault` in green. Whatever it
 * started is stopped and its temp dir removed when it returns or throws, or earlier through
 * `o.resources.stop()`.
 */
export async function runDemo(o: DemoOptions): Promise<{ result: DemoResult; outcome: Outcome }> {
  const res = o.resources ?? new DemoResources();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hermes-demo-'));
    res.dir = dir;
    const home = join(dir, 'home');
    const platform = await startFakePlatform({ port: 0, kinds: DEMO_KINDS, rate: o.rate, graceMs: 500 });
    res.platform = platform;
    res.guard();
    const scratch = join(dir, 'tmp');
    mkdirSync(scratch, { mode: 0o700 });
    const host = new DemoHost(new LocalHost(), scratch, (pgid) => res.groups.add(pgid));
    res.host = host;
    const gw = (extra: string[]) => [...selfCommand(), 'example-gateway', '--home', home, ...platformArgs(platform.url), '--init-ms', String(o.initMs), '--poll-timeout', '10', ...extra];
    const blue = spawnGroupLeader(gw([]), { ...process.env, HERMES_RELEASE: 'legacy-1', HERMES_RUNTIME: 'legacy', HERMES_HANDOFF_ID: '', HERMES_BLUE_FAULT: o.blueFault ?? 'none' }, join(dir, 'blue.log'));
    const bluePid = blue.pid!;
    res.groups.add(bluePid);
    const sock = join(home, 'run', 'handoff.sock');
    const readyBy = Date.now() + o.initMs + 30_000;
    while (!(await socketAnswers(sock))) {
      res.guard();
      if (Date.now() > readyBy || blue.exitCode !== null) throw new Error(`blue did not start (see ${join(dir, 'blue.log')})`);
      await sleep(50);
    }
    o.out(`blue serving (pid ${bluePid}); platform ${platform.url} at ${o.rate} msg/s; HERMES_HOME ${home}`);
    await sleep(300);
    platform.resetStats();
    const observeMs = o.fault === 'crash-after-promotion' ? DEMO_WINDOW_MS : 0;
    const params: EngineParams = {
      mode: 'promote',
      targetName: 'demo',
      hermesHome: home,
      socketPath: null,
      greenCommand: shellJoin(gw(['--fault', o.fault])),
      workdir: null,
      runtime: 'claw',
      release: 'claw-1',
      greenEnv: { HERMES_BLUE_FAULT: 'none' },
      prepareCommand: null,
      launcher: 'process',
      systemdUnit: 'hermes-green@',
      bakeMs: o.bakeMs,
      timeoutMs: o.initMs + o.bakeMs + 60_000,
      thresholds: { max_heartbeat_age_ms: 1_500, consecutive: 3 },
      deadlines: { heartbeat_ms: 200, ack_ms: o.initMs + 20_000, drain_ms: 5_000, confirm_ms: 5_000, rollback_grace_ms: 5_000, restart_grace_ms: 1_000 },
      observeMs,
    };
    // The platform's switch gap when the bake starts is the handover's alone; a rollback later may add a longer one.
    let handoverGap: number | null = null;
    const io = {
      host,
      log: { info: (m: string) => o.out(`  ${m}`), warn: (m: string) => o.out(`! ${m}`) },
      onPhase: (phase: string) => {
        if (phase === 'baking' && handoverGap === null) handoverGap = platform.stats().switch_gap_ms;
      },
      progressEveryMs: 1_000,
    };
    let outcome = await promote(params, io);
    res.guard();
    const promoteMs = outcome.duration_ms;
    // With a window, the old blue stands by: the demo waits for the window's outcome (a reversion with crash-after-promotion).
    if (outcome.verdict === 'promoted' && outcome.observation?.state === 'observing') {
      o.out(`  promoted; the old blue stands by until the window ends (${DEMO_WINDOW_MS / 1000} s)`);
      outcome = await untilObserved(params, outcome, io);
      res.guard();
    }
    const greenPid = outcome.green_pid;
    // Let the process that serves now answer everything, then count.
    platform.setRate(0);
    const settleBy = Date.now() + 15_000;
    let stats: PlatformStats = platform.stats();
    while (stats.pending > 0 && Date.now() < settleBy) {
      await sleep(100);
      stats = platform.stats();
    }
    await sleep(700);
    stats = platform.stats();
    const servingPid = readPidFile(join(home, 'gateway.pid'));
    const blueAlive = realOs.isAlive(bluePid) && blue.exitCode === null;
    const greenAlive = servingPid !== null && servingPid !== bluePid && realOs.isAlive(servingPid);
    const served_by = blueAlive && greenAlive ? 'both' : blueAlive ? 'blue' : greenAlive ? 'green' : 'none';
    const result: DemoResult = {
      verdict: outcome.verdict,
      reason: outcome.reason,
      handoff_id: outcome.handoff_id,
      fault: o.fault,
      served_by,
      dark_window_ms: handoverGap,
      switch_gap_ms: stats.switch_gap_ms,
      max_gap_ms: stats.max_gap_ms,
      init_ms: o.initMs,
      bake_ms: o.bakeMs,
      duration_ms: promoteMs,
      produced: stats.produced,
      replied: stats.replied,
      lost: stats.lost,
      duplicated: stats.duplicated,
      conflicts: stats.conflicts,
      platforms: platformFigures(stats),
      blue_pid: bluePid,
      green_pid: greenPid,
    };
    return { result, outcome };
  } finally {
    await res.stop();
  }
}

/** What the dark-window figures of `r` are, in words: the handover's gap, and a rollback's when that was longer. */
export function describeGaps(r: DemoResult): string {
  if (r.dark_window_ms === null) {
    return `no handover happened, so there was no dark window; the longest time with nobody polling was ${r.max_gap_ms} ms`;
  }
  const handover = `dark window ${r.dark_window_ms} ms (on the platform: blue's last poll to green's first)`;
  if (r.verdict === 'promoted' || r.switch_gap_ms <= r.dark_window_ms) return handover;
  return `${handover}; after that the longest gap at a change of poller was ${r.switch_gap_ms} ms (green's last poll to blue's first again, as blue took back)`;
}
