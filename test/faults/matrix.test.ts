// The fault matrix (issue 6): every fault against real processes (the reference gateway with its
// Telegram and Discord adapters, the fake platform serving both under load, real sshd). Each cell
// asserts the verdict and its reason, who serves afterwards (one process, alive, one poller and one
// live session), nothing lost or answered twice on either platform, no conflict, and the longest time
// with nobody listening below the deadline of the phase the fault hit. Each cell appends its row to
// the results file; the last test checks that docs/reliability.md still says what was measured.
// The Discord-specific cells are in matrix-discord.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMode } from '../../src/handoff/run.ts';
import type { EngineParams } from '../../src/core/params.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { readVerdict } from '../../src/peer/files.ts';
import { realOs } from '../../src/peer/os.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { runActionAsRunner, startActionAsRunner } from '../support/action-runner.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import { appendResult, DOC_PATH, maskReason, REGEN_COMMAND, resetResults, resultsPath, staleness, type MatrixRow } from './reliability-doc.ts';
import { ACK_MS, AGE_MS, BAKE_MS, CONFIRM_MS, DRAIN_MS, GRACE_MS, RATE, connect, logTo, params } from './matrix-common.ts';
import { assertNothingLost, assertServing, emptyRow, figuresOf, localState, probePolling, tails, whoServes } from './serving.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long green looks for a blue that closed the connection before it judges it dead (src/peer/green.ts). */
const GREEN_BLUE_CHECK_MS = 1_000;
/** Time allowed to kill or stop a process and poll again, on a loaded runner. */
const RESUME_MS = 500;

/** Bounds shared by several rows. The gap is the cell's longest, so rows with a handover include its dark window. */
const NEVER_PAUSES = { ms: 1_500, why: "blue never stops polling: a poll's turnaround on a loaded runner" };
const HANDOVER = { ms: DRAIN_MS + CONFIRM_MS, why: 'drain + HANDOFF_CONFIRM deadlines: the handover itself' };
const BAKE_DEATH = { ms: AGE_MS + GRACE_MS, why: 'heartbeat age + rollback grace' };

/** The action's inputs for dist/index.js with the same settings as params(). */
function inputs(w: SshWorld, extra: Record<string, string> = {}): Record<string, string> {
  return {
    mode: 'promote',
    host: '127.0.0.1',
    port: String(w.sshd.port),
    username: w.sshd.username,
    'private-key': w.sshd.clientKey,
    'host-fingerprint': w.sshd.hostFingerprint,
    'hermes-home': w.home,
    'green-command': w.greenCommand('none'),
    release: 'r2',
    runtime: 'claw',
    'bake-seconds': String(BAKE_MS / 1000),
    'max-heartbeat-age-seconds': String(AGE_MS / 1000),
    // The grace covers blue's default drain (10 s): the action asks for no longer a drain than the grace.
    'rollback-grace-seconds': '10',
    'ack-timeout-seconds': String(ACK_MS / 1000),
    'latency-floor-ms': '5000',
    'timeout-seconds': '300',
    'target-name': 'staging',
    // These cells judge the handover and the bake; the window after a promotion has its own (test/faults/window.test.ts).
    'observe-seconds': '0',
    ...extra,
  };
}

/** What a cell's scenario reports back: the verdict the action gave, and the green it names. */
interface Ran {
  verdict: string;
  reason: string;
  greenPid: number | null;
  /** Cell-specific checks, run after the common ones. */
  checks?: () => void | Promise<void>;
}

interface Cell {
  /** What goes wrong, e.g. "green crash-before-ack". */
  fault: string;
  /** Where in the handoff it hits. */
  phase: string;
  verdict: string;
  reason: RegExp;
  /** The other verdict a race in the fault itself may decide, with its reason. */
  or?: { verdict: string; reason: RegExp };
  serves: 'blue' | 'green';
  /** The longest gap with no poller must stay below this; `why` names the deadlines it is made of. */
  bound: { ms: number; why: string };
  blueFault?: string;
  run: (t: TestContext, w: SshWorld, logs: string[]) => Promise<Ran>;
}

/** The engine over SSH, promoting a green started with `fault`. */
function promoteWith(fault: string, over: (w: SshWorld) => Partial<EngineParams> = () => ({})) {
  return async (t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> => {
    const host = await connect(t, w, logs);
    const o = await runMode(params(w, fault, over(w)), { host, log: logTo(logs) });
    return fromOutcome(w, o);
  };
}

function fromOutcome(w: SshWorld, o: Outcome, checks?: () => void | Promise<void>): Ran {
  for (const pid of [o.green_pid, o.launcher_pid]) if (pid) w.pids.add(pid);
  return { verdict: o.verdict, reason: o.reason, greenPid: o.green_pid, checks };
}

/** Green's own account of taking over: which of its phases it reached, and how long after HANDOFF_ACTIVE blue died. */
interface TakeoverShape {
  reached: string[];
  missed: string[];
  /** Bounds on (taken-over − active), in ms, when green got HANDOFF_ACTIVE. */
  afterActive?: { min: number; max: number };
}

/**
 * Blue is killed by its own HERMES_BLUE_FAULT; green must take over and record it. With `quiet`
 * (blue still polls when it dies) production pauses from RESERVE until blue is dead, so no reply is
 * in flight at the kill: a kill between a reply and its record is the protocol's limit of one
 * duplicate per kill, measured by test/handoff/random-kills.test.ts.
 */
function blueDies(quiet: boolean, shape: TakeoverShape) {
  return async (t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> => {
    const host = await connect(t, w, logs);
    const bluePid = w.blue.pid!;
    let watching = false;
    const o = await runMode(params(w), {
      host,
      log: logTo(logs),
      onPhase: (phase) => {
        // 'reserving' comes before RESERVE is sent, so production has stopped well before green says HELLO.
        if (!quiet || phase !== 'reserving' || watching) return;
        watching = true;
        w.platform.setRate(0);
        void (async () => {
          while (realOs.isAlive(bluePid)) await sleep(5);
          w.platform.setRate(RATE);
        })();
      },
    });
    if (quiet) assert.ok(watching, 'the engine began reserving');
    return fromOutcome(w, o, () => {
      const rec = readVerdict(w.home, o.handoff_id ?? '-');
      assert.ok(rec, 'green wrote the verdict file');
      assert.equal(rec.decided_by, 'green');
      const phases = rec.timeline.map((e) => e.phase);
      for (const p of shape.reached) assert.ok(phases.includes(p), `green reached ${p}: ${phases.join(' > ')}`);
      for (const p of shape.missed) assert.ok(!phases.includes(p), `green never reached ${p}: ${phases.join(' > ')}`);
      if (shape.afterActive) {
        const at = (p: string) => rec.timeline.find((e) => e.phase === p)?.at ?? NaN;
        const dt = at('taken-over') - at('active');
        assert.ok(dt >= shape.afterActive.min && dt < shape.afterActive.max, `blue died ${dt} ms after HANDOFF_ACTIVE (expected ${shape.afterActive.min}..${shape.afterActive.max})`);
      }
    });
  };
}

const blueTookOver = (during: string) => new RegExp(`^blue \\(pid \\d+\\) exited during ${during}; green took over$`);

/** The sshd is stopped `at` ms into the bake and started again (same port, same keys) `downMs` later. */
function promoteThroughSshdRestart(at: number, downMs: number, verdictWhileDown: boolean) {
  return async (t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> => {
    const host = await connect(t, w, logs);
    let restart: Promise<{ downAt: number; upAt: number }> | null = null;
    const o = await runMode(params(w), {
      host,
      log: logTo(logs),
      onPhase: (phase) => {
        if (phase === 'baking' && !restart) restart = sleep(at).then(() => w.restartSshd(downMs));
      },
    });
    assert.ok(restart, 'the bake began');
    const { downAt, upAt } = await restart;
    const decidedAt = readVerdict(w.home, o.handoff_id ?? '-')?.decided_at ?? NaN;
    return fromOutcome(w, o, () => {
      if (verdictWhileDown) assert.ok(downAt < decidedAt && decidedAt < upAt, `the host decided (${decidedAt}) while sshd was down (${downAt}..${upAt})`);
      else assert.ok(downAt < decidedAt && upAt < decidedAt, `sshd was down (${downAt}..${upAt}) during the bake, before the verdict (${decidedAt})`);
      assert.ok(host.connectionsOpened >= 2, `the action reconnected (connections opened: ${host.connectionsOpened})\n${logs.join('\n')}`);
      assert.ok(
        logs.some((l) => /re-attach|reconnect/i.test(l)),
        `the re-attach is logged:\n${logs.join('\n')}`,
      );
    });
  };
}

/** dist/index.js as a runner starts it, cancelled with `sig` once the host is baking; a later status run reports the verdict. */
function cancelledRunner(sig: 'SIGTERM' | 'SIGINT') {
  return async (_t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> => {
    const run = startActionAsRunner(inputs(w));
    let id: string | null = null;
    let signalledAt = 0;
    try {
      const by = Date.now() + 30_000;
      for (;;) {
        const st = await localState(w);
        if (st?.phase === 'baking' && st.handoff) {
          id = st.handoff.id;
          break;
        }
        if (Date.now() > by) throw new Error(`the host never reached the bake; last state ${JSON.stringify(st)}`);
        await sleep(20);
      }
      await sleep(200);
      signalledAt = Date.now();
      run.signal(sig);
    } finally {
      if (!id) run.signal('SIGKILL');
    }
    const cancelled = await run.done;
    logs.push(cancelled.stdout, cancelled.stderr);
    // The host finishes on its own: wait for its verdict file, then ask as a later run would.
    const by = Date.now() + 20_000;
    while (!readVerdict(w.home, id) && Date.now() < by) await sleep(50);
    const decidedAt = readVerdict(w.home, id)?.decided_at ?? NaN;
    const later = await runActionAsRunner(inputs(w, { mode: 'status', 'handoff-id': id }));
    logs.push(later.stdout, later.stderr);
    const greenPid = Number(later.outputs['green-pid']) || null;
    if (greenPid) w.pids.add(greenPid);
    return {
      verdict: later.outputs.verdict ?? `(exit ${later.code}, no verdict)`,
      reason: later.outputs.reason ?? '',
      greenPid,
      checks: () => {
        assert.equal(cancelled.code, 1, `the cancelled run fails its step\n${cancelled.stdout}`);
        assert.match(cancelled.stdout, new RegExp(`cancelled \\(${sig}\\): the host finishes the handoff on its own; rerun with mode: status`));
        assert.equal(cancelled.outputs.verdict, undefined, 'the cancelled run reports no verdict of its own');
        assert.ok(decidedAt > signalledAt, `the host decided (${decidedAt}) after the action was cancelled (${signalledAt})`);
        assert.equal(later.code, 0, `the status run succeeds\n${later.stdout}${later.stderr}`);
        assert.equal(later.outputs['handoff-id'], id);
      },
    };
  };
}

/** Two engines over two SSH connections promote at once; the host is the queue: the second waits, then promotes. */
async function twoAtOnce(t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> {
  const [h1, h2] = [await connect(t, w, logs), await connect(t, w, logs)];
  const [a, b] = await Promise.all([
    runMode(params(w, 'none', { release: 'r2' }), { host: h1, log: logTo(logs) }),
    runMode(params(w, 'none', { release: 'r3' }), { host: h2, log: logTo(logs) }),
  ]);
  for (const o of [a, b]) for (const pid of [o.green_pid, o.launcher_pid]) if (pid) w.pids.add(pid);
  const [first, second] = [a, b].sort((x, y) => (x.timeline[0]?.at ?? 0) - (y.timeline[0]?.at ?? 0));
  return {
    verdict: [first!.verdict, second!.verdict].join(' + '),
    reason: second!.reason,
    greenPid: second!.green_pid,
    checks: () => {
      const greens = readdirSync(join(w.home, 'logs')).filter((f) => f.startsWith('green-'));
      assert.equal(greens.length, 2, `one green per reservation, none while the host was busy: ${greens.join(', ')}`);
      const firstEnded = Math.max(...first!.timeline.map((e) => e.at));
      assert.ok(second!.timeline[0]!.at >= firstEnded, 'the second reserved only after the first ended');
    },
  };
}

/** `run/handoffs` is a file, so no verdict file can be written: the verdict must still reach the action. */
function unwritableVerdicts(fault: string) {
  return async (t: TestContext, w: SshWorld, logs: string[]): Promise<Ran> => {
    const blocker = join(w.home, 'run', 'handoffs');
    rmSync(blocker, { recursive: true, force: true });
    writeFileSync(blocker, 'not a directory\n');
    const ran = await promoteWith(fault)(t, w, logs);
    return {
      ...ran,
      checks: async () => {
        assert.equal(readFileSync(blocker, 'utf8'), 'not a directory\n', 'nothing replaced the file');
        const st = await localState(w);
        assert.match(st?.last_verdict?.record_error ?? '', /could not write the verdict file/, 'the host keeps saying what it could not record');
      },
    };
  };
}

const CELLS: Cell[] = [
  // Green's faults: blue must end up serving alone.
  {
    fault: 'green crash-before-ack',
    phase: 'init: green dies before HANDOFF_ACK',
    verdict: 'failed',
    reason: /^green \(pid \d+\) exited before HANDOFF_ACK$/,
    serves: 'blue',
    bound: NEVER_PAUSES,
    run: promoteWith('crash-before-ack'),
  },
  {
    fault: 'green crash-after-ack',
    phase: 'draining: green dies right after HANDOFF_ACK',
    verdict: 'failed',
    reason: /^green \(pid \d+\) exited while blue was draining$/,
    // Green kills itself right after writing its ACK: when blue's drain ends first (make-before-break drains
    // in about a millisecond), green gets the cursors and dies in the handover (protocol.md 9.3).
    or: { verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the handover$/ },
    serves: 'blue',
    bound: HANDOVER,
    run: promoteWith('crash-after-ack'),
  },
  {
    fault: 'green crash-after-active',
    phase: 'active: green polls, dies before HANDOFF_CONFIRM',
    verdict: 'rolled-back',
    reason: /^green \(pid \d+\) exited during the handover$/,
    serves: 'blue',
    bound: { ms: CONFIRM_MS, why: 'HANDOFF_CONFIRM deadline' },
    run: promoteWith('crash-after-active'),
  },
  {
    fault: 'green crash-after-confirm',
    phase: 'baking: green dies right after HANDOFF_CONFIRM',
    verdict: 'rolled-back',
    reason: /^green \(pid \d+\) exited during the bake$/,
    serves: 'blue',
    bound: BAKE_DEATH,
    run: promoteWith('crash-after-confirm'),
  },
  {
    fault: 'green crash-after-complete',
    phase: 'complete: green dies after HANDOFF_COMPLETE, before it owns the socket',
    verdict: 'rolled-back',
    reason: /^green \(pid \d+\) exited after HANDOFF_COMPLETE before taking over the socket$/,
    serves: 'blue',
    bound: { ms: GRACE_MS, why: 'blue sees green gone on its next tick, takes the socket back and resumes' },
    run: promoteWith('crash-after-complete'),
  },
  {
    fault: 'green crash-during-bake',
    phase: 'baking: green dies at its 2nd heartbeat',
    verdict: 'rolled-back',
    reason: /^green \(pid \d+\) exited during the bake$/,
    serves: 'blue',
    bound: BAKE_DEATH,
    run: promoteWith('crash-during-bake'),
  },
  {
    fault: 'green hang',
    phase: 'baking: green freezes at its 2nd heartbeat',
    verdict: 'rolled-back',
    reason: /^no HEALTH from green for [\d.]+ s \(limit 1 s\); green did not stop within 3 s and was killed$/,
    serves: 'blue',
    bound: { ms: AGE_MS + GRACE_MS + RESUME_MS, why: `heartbeat age + rollback grace + ${RESUME_MS} ms to kill green and poll again` },
    run: promoteWith('hang'),
  },
  {
    fault: 'green error-burst',
    phase: 'baking: every answer of green is an error',
    verdict: 'rolled-back',
    reason: /^error rate 100(\.0)?% > 5(\.0)?% in 3 consecutive samples/,
    serves: 'blue',
    bound: { ms: GRACE_MS + RESUME_MS, why: `rollback grace + ${RESUME_MS} ms for green to stop and blue to poll again` },
    run: promoteWith('error-burst'),
  },
  {
    fault: 'green-command: missing binary',
    phase: 'reserved: green never connects',
    verdict: 'failed',
    reason: /^aborted: green exited before connecting to the handoff socket \(see .+\.log\)$/,
    serves: 'blue',
    bound: NEVER_PAUSES,
    run: promoteWith('none', (w) => ({ greenCommand: shellJoin([join(w.dir, 'no-such-dir', 'hermes-gateway'), '--home', w.home]) })),
  },
  {
    fault: 'green exit-at-start',
    phase: 'reserved: green exits before connecting',
    verdict: 'failed',
    reason: /^aborted: green exited before connecting to the handoff socket \(see .+\.log\)$/,
    serves: 'blue',
    bound: NEVER_PAUSES,
    run: promoteWith('exit-at-start'),
  },
  {
    fault: 'green wrong-release',
    phase: 'init: HANDOFF_ACK names another release',
    verdict: 'failed',
    reason: /^green reports release r2-not, expected r2$/,
    serves: 'blue',
    bound: NEVER_PAUSES,
    run: promoteWith('wrong-release'),
  },
  // Blue's faults: green must end up serving alone, and say it took over.
  {
    fault: 'blue crash-before-init',
    phase: 'init: blue dies on green\'s HELLO, before HANDOFF_INIT',
    verdict: 'promoted',
    reason: blueTookOver('start-up'),
    serves: 'green',
    blueFault: 'crash-before-init',
    bound: { ms: GREEN_BLUE_CHECK_MS + RESUME_MS, why: `green's check that blue is gone (1 s) + ${RESUME_MS} ms to start polling` },
    run: blueDies(true, { reached: ['green-started', 'taken-over'], missed: ['init', 'ack', 'active'] }),
  },
  {
    fault: 'blue crash-after-ack',
    phase: 'draining: blue dies after HANDOFF_ACK, before HANDOFF_ACTIVE',
    verdict: 'promoted',
    reason: blueTookOver('the drain'),
    serves: 'green',
    blueFault: 'crash-after-ack',
    bound: { ms: GREEN_BLUE_CHECK_MS + RESUME_MS, why: `green's check that blue is gone (1 s) + ${RESUME_MS} ms to start polling` },
    run: blueDies(true, { reached: ['init', 'ack', 'taken-over'], missed: ['active'] }),
  },
  {
    fault: 'blue crash-after-active',
    phase: 'active: blue dies right after HANDOFF_ACTIVE',
    verdict: 'promoted',
    reason: blueTookOver('the bake'),
    serves: 'green',
    blueFault: 'crash-after-active',
    bound: { ms: CONFIRM_MS, why: 'HANDOFF_CONFIRM deadline' },
    run: blueDies(false, { reached: ['ack', 'active', 'taken-over'], missed: [], afterActive: { min: 0, max: 300 } }),
  },
  {
    fault: 'blue crash-during-bake',
    phase: 'baking: blue dies 300 ms into the bake',
    verdict: 'promoted',
    reason: blueTookOver('the bake'),
    serves: 'green',
    blueFault: 'crash-during-bake',
    bound: HANDOVER,
    run: blueDies(false, { reached: ['active', 'taken-over'], missed: [], afterActive: { min: 300, max: BAKE_MS } }),
  },
  {
    fault: 'blue crash-late-bake',
    phase: 'bake over: blue dies having decided, before recording or sending it',
    verdict: 'promoted',
    reason: blueTookOver('the bake'),
    serves: 'green',
    blueFault: 'crash-late-bake',
    bound: HANDOVER,
    run: blueDies(false, { reached: ['active', 'taken-over'], missed: [], afterActive: { min: BAKE_MS, max: BAKE_MS + AGE_MS + GREEN_BLUE_CHECK_MS } }),
  },
  // The runner's side.
  {
    fault: 'SSH connection drops (sshd restarted)',
    phase: 'baking: sshd down from 200 ms into the bake for 400 ms',
    verdict: 'promoted',
    reason: /^bake of 1\.5 s passed/,
    serves: 'green',
    bound: HANDOVER,
    run: promoteThroughSshdRestart(200, 400, false),
  },
  {
    fault: 'SSH connection drops (sshd restarted)',
    phase: "bake's end: sshd down from 200 ms before the verdict is due to 600 ms after",
    verdict: 'promoted',
    reason: /^bake of 1\.5 s passed/,
    serves: 'green',
    bound: HANDOVER,
    run: promoteThroughSshdRestart(BAKE_MS - 200, 800, true),
  },
  {
    fault: 'runner cancelled (SIGTERM)',
    phase: 'baking: the action exits; a later status run reports',
    verdict: 'promoted',
    reason: /^bake of 1\.5 s passed/,
    serves: 'green',
    bound: HANDOVER,
    run: cancelledRunner('SIGTERM'),
  },
  {
    fault: 'runner cancelled (SIGINT)',
    phase: 'baking: the action exits; a later status run reports',
    verdict: 'promoted',
    reason: /^bake of 1\.5 s passed/,
    serves: 'green',
    bound: HANDOVER,
    run: cancelledRunner('SIGINT'),
  },
  {
    fault: 'two promotions at once',
    phase: 'RESERVE: the second waits for the first (the host is the queue), then promotes',
    verdict: 'promoted + promoted',
    reason: /^bake of 1\.5 s passed/,
    serves: 'green',
    bound: HANDOVER,
    run: twoAtOnce,
  },
  {
    fault: 'verdict directory unwritable (run/handoffs is a file)',
    phase: 'verdict: blue cannot record it',
    verdict: 'promoted',
    reason: /^bake of 1\.5 s passed: .* \(could not write the verdict file: .+\)$/,
    serves: 'green',
    bound: HANDOVER,
    run: unwritableVerdicts('none'),
  },
];

const out = resultsPath();
resetResults(out);
const measured: MatrixRow[] = [];

for (const c of CELLS) {
  test(`${c.fault} (${c.phase}): ${c.verdict}, ${c.serves} serves, nothing lost`, { timeout: 120_000 }, async (t) => {
    const w = await sshWorld(t, { rate: RATE, blueEnv: c.blueFault ? { HERMES_BLUE_FAULT: c.blueFault } : {} });
    if (!w) return;
    const logs: string[] = [];
    const row = emptyRow(c);
    try {
      const ran = await c.run(t, w, logs);
      const want = c.or && ran.verdict === c.or.verdict ? c.or : c;
      // A cell that accepts two verdicts shows both when either happened, so the doc does not change with the race's outcome.
      row.verdict = c.or && (ran.verdict === c.verdict || ran.verdict === c.or.verdict) ? `${c.verdict} or ${c.or.verdict}` : ran.verdict;
      row.reason = maskReason(ran.reason);
      const s = await w.settle();
      Object.assign(row, figuresOf(s));
      const who = await whoServes(w, ran.greenPid);
      row.serves = who.label;
      const probe = await probePolling(w);

      assert.equal(ran.verdict, want.verdict, `verdict: ${ran.reason}`);
      assert.match(ran.reason, want.reason);
      assert.equal(who.label, c.serves, `who serves: ${JSON.stringify(who)}`);
      assert.equal(who.alive.length, 1, 'exactly one gateway process is alive');
      if (c.serves === 'green') assert.notEqual(who.alive[0], w.blue.pid, 'blue is gone');
      assertServing(probe);
      assertNothingLost(s, c.bound);
      await ran.checks?.();
      row.pass = true;
    } catch (e) {
      row.error = (e as Error).message.split('\n')[0];
      (e as Error).message += `\n--- engine log\n${logs.join('\n').slice(-4_000)}\n--- logs\n${tails(w)}`;
      throw e;
    } finally {
      appendResult(out, row);
      measured.push(row);
    }
  });
}

test('docs/reliability.md shows what the matrix measured', (t) => {
  if (process.env.HERMES_RELIABILITY_REGEN === '1') return t.skip(`${REGEN_COMMAND} rewrites the doc after this run`);
  if (measured.length !== CELLS.length) return t.skip(`only ${measured.length} of ${CELLS.length} cells ran`);
  const doc = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '';
  const diff = staleness(doc, measured, 'both');
  assert.deepEqual(diff, [], `docs/reliability.md is stale; run \`${REGEN_COMMAND}\` to rerun the matrix and rewrite it:\n${diff.join('\n')}`);
});
