import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakePlatform, type PlatformStats } from '../gateway/platform/server.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { realOs } from '../../src/peer/os.ts';
import { promote } from '../../src/handoff/promote.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { readPidFile, selfCommand, spawnLogged, stopAll } from './processes.ts';
import { DEMO_KINDS, platformArgs, platformFigures, type DemoPlatform } from './platforms.ts';

export interface DemoOptions {
  fault: string;
  initMs: number;
  bakeMs: number;
  rate: number;
  /** Where the timeline goes (stderr with --json). */
  out: (line: string) => void;
  /** Keep the temp HERMES_HOME (for debugging). */
  keep?: boolean;
  /** Blue fault (HERMES_BLUE_FAULT), for the fault matrix. */
  blueFault?: string;
}

/** The demo's one-line JSON result. */
export interface DemoResult {
  verdict: string;
  reason: string;
  handoff_id: string | null;
  fault: string;
  served_by: 'blue' | 'green' | 'none' | 'both';
  dark_window_ms: number | null;
  host_dark_window_ms: number | null;
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

/** Runs a full promotion of the reference gateway on this machine, with `fault` in green; never leaves a process behind. */
export async function runDemo(o: DemoOptions): Promise<{ result: DemoResult; outcome: Outcome }> {
  const dir = mkdtempSync(join(tmpdir(), 'hermes-demo-'));
  const home = join(dir, 'home');
  const platform = await startFakePlatform({ port: 0, kinds: DEMO_KINDS, rate: o.rate, graceMs: 500 });
  const pids = new Set<number>();
  const host = new LocalHost();
  try {
    const gw = (extra: string[]) => [...selfCommand(), 'example-gateway', '--home', home, ...platformArgs(platform.url), '--init-ms', String(o.initMs), '--poll-timeout', '10', ...extra];
    const blue = spawnLogged(gw([]), { ...process.env, HERMES_RELEASE: 'legacy-1', HERMES_RUNTIME: 'legacy', HERMES_HANDOFF_ID: '', HERMES_BLUE_FAULT: o.blueFault ?? 'none' }, join(dir, 'blue.log'));
    const bluePid = blue.pid!;
    pids.add(bluePid);
    const sock = join(home, 'run', 'handoff.sock');
    const readyBy = Date.now() + o.initMs + 30_000;
    while (!(await socketAnswers(sock))) {
      if (Date.now() > readyBy || blue.exitCode !== null) throw new Error(`blue did not start (see ${join(dir, 'blue.log')})`);
      await sleep(50);
    }
    o.out(`blue serving (pid ${bluePid}); platform ${platform.url} at ${o.rate} msg/s`);
    await sleep(300);
    platform.resetStats();
    const outcome = await promote(
      {
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
        deadlines: { heartbeat_ms: 200, ack_ms: o.initMs + 20_000, drain_ms: 5_000, confirm_ms: 5_000, rollback_grace_ms: 2_000 },
      },
      {
        host,
        log: { info: (m) => o.out(`  ${m}`), warn: (m) => o.out(`! ${m}`) },
        onPhase: () => {},
        progressEveryMs: 1_000,
      },
    );
    const greenPid = outcome.green_pid;
    if (greenPid) pids.add(greenPid);
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
    if (servingPid) pids.add(servingPid);
    const blueAlive = realOs.isAlive(bluePid) && blue.exitCode === null;
    const greenAlive = servingPid !== null && servingPid !== bluePid && realOs.isAlive(servingPid);
    const served_by = blueAlive && greenAlive ? 'both' : blueAlive ? 'blue' : greenAlive ? 'green' : 'none';
    const t0 = outcome.timeline[0]?.at ?? outcome.started_at;
    for (const t of outcome.timeline) o.out(`+${((t.at - t0) / 1000).toFixed(3)}s  ${t.phase}${t.note ? `  ${t.note}` : ''}`);
    const result: DemoResult = {
      verdict: outcome.verdict,
      reason: outcome.reason,
      handoff_id: outcome.handoff_id,
      fault: o.fault,
      served_by,
      dark_window_ms: stats.switch_gap_ms ?? stats.max_gap_ms,
      host_dark_window_ms: outcome.dark_window_ms,
      max_gap_ms: stats.max_gap_ms,
      init_ms: o.initMs,
      bake_ms: o.bakeMs,
      duration_ms: outcome.duration_ms,
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
    await host.close();
    const servingPid = readPidFile(join(home, 'gateway.pid'));
    if (servingPid) pids.add(servingPid);
    await stopAll(pids);
    await platform.close();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
    else o.out(`kept ${dir}`);
  }
}
