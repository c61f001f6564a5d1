// The fault matrix's Discord-specific cells (issue 12): what can happen to a gateway session around a
// handover, against real processes (the reference gateway with both adapters, the fake platform under
// load on both, real sshd): the websocket drops during the bake, a reconnect storm, the session
// expires before green resumes, INVALID_SESSION on green's RESUME. Rows go to the second table of
// docs/reliability.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { FakePlatformOptions } from '../../examples/gateway/platform/server.ts';
import type { DiscordStats } from '../../examples/gateway/platform/schemas.ts';
import { LATE_RESUME_MS } from '../../examples/gateway/faults.ts';
import { runMode } from '../../src/handoff/run.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import { RATE, connect, logTo, params } from './matrix-common.ts';
import { appendResult, DOC_PATH, maskReason, REGEN_COMMAND, resetResults, resultsPath, staleness, type MatrixRow } from './reliability-doc.ts';
import { assertNothingLost, assertServing, emptyRow, figuresOf, probePolling, tails, whoServes } from './serving.ts';

/** Longer than the other cells' bake, so a storm fits in it. */
const BAKE_MS = 3_000;
/** @discordjs/ws waits this long after a close before it reconnects (and after INVALID_SESSION before it identifies). */
const LIBRARY_WAIT_MS = 500;
/** Time allowed, on a loaded runner, for a reconnect and RESUME once the library tries. */
const SLACK_MS = 1_000;

interface Cell {
  fault: string;
  phase: string;
  reason: RegExp;
  bound: { ms: number; why: string };
  platform?: Partial<FakePlatformOptions>;
  /** The gateways' handover order, when the cell depends on it (whatever the reference gateway's default is). */
  order?: 'break-before-make';
  /** Green's --fault. */
  greenFault?: string;
  /** Discord messages sent while no session was live are lost, by Discord's design (the row says so). */
  discordLossExpected?: boolean;
  /** Called when the engine reports a phase (a fault that hits the platform at that moment). */
  onPhase?: (w: SshWorld, phase: string) => void;
  /** Set up before the promotion starts. */
  before?: (w: SshWorld) => void;
  /** Checks of this cell on Discord's figures. */
  checks: (d: DiscordStats, reason: string) => void;
}

const PASSED = `^bake of ${BAKE_MS / 1000} s passed: \\d+ heartbeats, \\d+ messages, error rate 0%, worst p99 [\\d.]+ m?s`;
const RE_IDENTIFIED = '; discord session \\S+ expired before green resumed; re-identified [\\d.]+ m?s after blue paused: messages sent in between may be missed$';

const CELLS: Cell[] = [
  {
    fault: 'Discord websocket drops',
    phase: 'baking: the platform drops green\'s connection as the bake starts',
    reason: new RegExp(`${PASSED}$`),
    bound: { ms: LIBRARY_WAIT_MS + SLACK_MS, why: `@discordjs/ws reconnects ${LIBRARY_WAIT_MS} ms after a drop, + ${SLACK_MS} ms to RESUME on a loaded runner` },
    onPhase: (w, phase) => {
      if (phase === 'baking') w.platform.discordFault('drop');
    },
    checks: (d) => {
      assert.ok(d.dropped >= 1, `the connection was dropped: ${JSON.stringify(d)}`);
      assert.ok(d.resumes >= 2, `green resumed the handed session and again after the drop: ${JSON.stringify(d)}`);
      assert.equal(d.identifies, 0, 'nobody identified: the session lived on');
    },
  },
  {
    fault: 'Discord reconnect storm',
    phase: 'baking: three drops 800 ms apart from the start of the bake',
    reason: new RegExp(`${PASSED}$`),
    bound: { ms: LIBRARY_WAIT_MS + SLACK_MS, why: `@discordjs/ws reconnects ${LIBRARY_WAIT_MS} ms after each drop, + ${SLACK_MS} ms to RESUME on a loaded runner` },
    onPhase: (w, phase) => {
      if (phase === 'baking') w.platform.discordFault('storm', { count: 3, every_ms: 800 });
    },
    checks: (d) => {
      assert.ok(d.dropped >= 2, `the storm cut connections: ${JSON.stringify(d)}`);
      assert.ok(d.resumes >= 1 + d.dropped, `a RESUME after each drop: ${JSON.stringify(d)}`);
      assert.equal(d.identifies, 0, 'nobody identified: the session lived on');
    },
  },
  {
    fault: 'Discord session expires before green resumes',
    phase: `active (break-before-make): the session is resumable for 300 ms; green resumes ${LATE_RESUME_MS} ms after HANDOFF_ACTIVE (late-resume)`,
    reason: new RegExp(`${PASSED}${RE_IDENTIFIED}`),
    bound: { ms: LATE_RESUME_MS + LIBRARY_WAIT_MS + 2 * SLACK_MS, why: `late-resume ${LATE_RESUME_MS} ms + the library's ${LIBRARY_WAIT_MS} ms before it identifies + ${2 * SLACK_MS} ms on a loaded runner` },
    platform: { discord: { resumeWindowMs: 300 } },
    greenFault: 'late-resume',
    // A closed session, which only break-before-make leaves (make-before-break keeps blue's open until green's RESUME).
    order: 'break-before-make',
    discordLossExpected: true,
    checks: (d) => {
      assert.equal(d.invalid_sessions, 1, `the RESUME of the expired session got INVALID_SESSION: ${JSON.stringify(d)}`);
      assert.equal(d.identifies, 1, 'green identified once, only after INVALID_SESSION');
      assert.ok(d.lost > 0 && d.lost <= RATE * 5, `what Discord sent in the gap is lost (and only that): ${d.lost}`);
    },
  },
  {
    fault: 'Discord INVALID_SESSION on resume',
    phase: "active (break-before-make): the platform invalidates the session when green's RESUME lands",
    reason: new RegExp(`${PASSED}${RE_IDENTIFIED}`),
    bound: { ms: LIBRARY_WAIT_MS + 2 * SLACK_MS, why: `the library's ${LIBRARY_WAIT_MS} ms before it identifies + ${2 * SLACK_MS} ms on a loaded runner` },
    before: (w) => w.platform.discordFault('invalidate-next-resume'),
    // A closed session, which only break-before-make leaves (make-before-break keeps blue's open until green's RESUME).
    order: 'break-before-make',
    discordLossExpected: true,
    checks: (d) => {
      assert.equal(d.invalid_sessions, 1, `green's RESUME got INVALID_SESSION: ${JSON.stringify(d)}`);
      assert.equal(d.identifies, 1, 'green identified once, only after INVALID_SESSION');
      assert.ok(d.lost > 0 && d.lost <= RATE * 5, `what Discord sent in the gap is lost (and only that): ${d.lost}`);
    },
  },
];

const out = resultsPath(process.env, 'discord');
resetResults(out);
const measured: MatrixRow[] = [];

for (const c of CELLS) {
  test(`${c.fault} (${c.phase}): promoted, green serves`, { timeout: 120_000 }, async (t: TestContext) => {
    const w = await sshWorld(t, { rate: RATE, platform: c.platform, ...(c.order ? { gatewayArgs: ['--handover', c.order] } : {}) });
    if (!w) return;
    const logs: string[] = [];
    const row: MatrixRow = { ...emptyRow(c, 'discord'), ...(c.discordLossExpected ? { discord_loss_expected: true } : {}) };
    try {
      const host = await connect(t, w, logs);
      c.before?.(w);
      const o = await runMode(params(w, c.greenFault ?? 'none', { bakeMs: BAKE_MS }), { host, log: logTo(logs), onPhase: (p) => c.onPhase?.(w, p) });
      if (o.green_pid) w.pids.add(o.green_pid);
      row.verdict = o.verdict;
      row.reason = maskReason(o.reason);
      const s = await w.settle();
      Object.assign(row, figuresOf(s));
      const who = await whoServes(w, o.green_pid);
      row.serves = who.label;
      const probe = await probePolling(w);

      assert.equal(o.verdict, 'promoted', `verdict: ${o.reason}`);
      assert.match(o.reason, c.reason);
      assert.equal(who.label, 'green', `who serves: ${JSON.stringify(who)}`);
      assert.equal(who.alive.length, 1, 'exactly one gateway process is alive');
      assertServing(probe);
      assertNothingLost(s, c.bound, { discordLossExpected: c.discordLossExpected });
      c.checks(s.platforms.discord!, o.reason);
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

test('docs/reliability.md shows what the Discord cells measured', (t) => {
  if (process.env.HERMES_RELIABILITY_REGEN === '1') return t.skip(`${REGEN_COMMAND} rewrites the doc after this run`);
  if (measured.length !== CELLS.length) return t.skip(`only ${measured.length} of ${CELLS.length} cells ran`);
  const doc = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '';
  const diff = staleness(doc, measured, 'discord');
  assert.deepEqual(diff, [], `docs/reliability.md is stale; run \`${REGEN_COMMAND}\` to rerun the matrix and rewrite it:\n${diff.join('\n')}`);
});
