// The fault matrix's green faults once more, through a real sshd whose authorized_keys forces the host agent
// (docs/host-setup.md verbatim): green's command is the host's own, the engine sends agent operations only. Each
// cell asserts the verdict and its reason, who serves afterwards (one process, alive and polling), nothing lost or
// answered twice, no 409, the longest gap with no poller below the phase's deadline, and, after a verdict other
// than promoted, that nothing started for the handoff is still running (stop-green <id>).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMode } from '../../src/handoff/run.ts';
import { AGENT_PROGRAM } from '../../src/host/agent.ts';
import type { EngineParams } from '../../src/core/params.ts';
import { engineWorld, ioFor, leftRunning, track, type EngineWorld } from '../engine/ssh-worlds.ts';
import { probePolling, whoServes } from './serving.ts';

// The settings of test/faults/matrix.test.ts, so the cells compare.
const BAKE_MS = 1_500;
const AGE_MS = 1_000;
const GRACE_MS = 3_000;
const ACK_MS = 5_000;
const DRAIN_MS = 3_000;
const CONFIRM_MS = 3_000;
const RESUME_MS = 500;

const NEVER_PAUSES = 1_500;
const HANDOVER = DRAIN_MS + CONFIRM_MS;
const BAKE_DEATH = AGE_MS + GRACE_MS;

const BASE: Partial<EngineParams> = {
  bakeMs: BAKE_MS,
  timeoutMs: 60_000,
  thresholds: { max_heartbeat_age_ms: AGE_MS, consecutive: 3, latency_floor_ms: 5_000 },
  deadlines: { rollback_grace_ms: GRACE_MS, ack_ms: ACK_MS, drain_ms: DRAIN_MS, confirm_ms: CONFIRM_MS, claim_ms: 15_000 },
};

interface Cell {
  fault: string;
  phase: string;
  verdict: string;
  reason: RegExp;
  /** The other verdict a race in the fault itself may decide, with its reason. */
  or?: { verdict: string; reason: RegExp };
  /** The longest gap with no poller must stay below this. */
  boundMs: number;
  /** The engine's parameters for the cell (the fault travels in green-env: green's command is the host's). */
  params: (e: EngineWorld) => EngineParams;
  /** Changes the host's set-up before the run. */
  setUp?: (e: EngineWorld) => void;
}

const green = (fault: string) => (e: EngineWorld) => e.params(BASE, fault);

const CELLS: Cell[] = [
  { fault: 'green crash-before-ack', phase: 'init', verdict: 'failed', reason: /^green \(pid \d+\) exited before HANDOFF_ACK$/, boundMs: NEVER_PAUSES, params: green('crash-before-ack') },
  // Green kills itself right after writing its ACK: when blue's drain ends first, green gets the cursors and dies in the handover (protocol.md 9.3).
  {
    fault: 'green crash-after-ack',
    phase: 'draining',
    verdict: 'failed',
    reason: /^green \(pid \d+\) exited while blue was draining$/,
    or: { verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the handover$/ },
    boundMs: HANDOVER,
    params: green('crash-after-ack'),
  },
  { fault: 'green crash-after-active', phase: 'active', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the handover$/, boundMs: CONFIRM_MS, params: green('crash-after-active') },
  { fault: 'green crash-after-confirm', phase: 'baking', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the bake$/, boundMs: BAKE_DEATH, params: green('crash-after-confirm') },
  { fault: 'green crash-after-complete', phase: 'complete', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited after HANDOFF_COMPLETE before taking over the socket$/, boundMs: GRACE_MS, params: green('crash-after-complete') },
  { fault: 'green crash-during-bake', phase: 'baking', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the bake$/, boundMs: BAKE_DEATH, params: green('crash-during-bake') },
  { fault: 'green hang', phase: 'baking', verdict: 'rolled-back', reason: /^no HEALTH from green for [\d.]+ s \(limit 1 s\); green did not stop within 3 s and was killed$/, boundMs: AGE_MS + GRACE_MS + RESUME_MS, params: green('hang') },
  { fault: 'green error-burst', phase: 'baking', verdict: 'rolled-back', reason: /^error rate 100(\.0)?% > 5(\.0)?% in 3 consecutive samples/, boundMs: GRACE_MS + RESUME_MS, params: green('error-burst') },
  {
    fault: "green.command in the agent's config: missing binary",
    phase: 'reserved',
    verdict: 'failed',
    reason: new RegExp(`^could not start green through ${AGENT_PROGRAM} \\(exit 1\\): could not start green \\(.+no-such-dir/hermes-gateway\\): No such file or directory$`),
    boundMs: NEVER_PAUSES,
    params: green('none'),
    setUp: (e) => {
      const config = e.agentConfig!;
      const c = JSON.parse(readFileSync(config, 'utf8')) as { green: { command: string[] } };
      c.green.command = [join(e.w.dir, 'no-such-dir', 'hermes-gateway')];
      writeFileSync(config, JSON.stringify(c));
      chmodSync(config, 0o644);
    },
  },
  { fault: 'green exit-at-start', phase: 'reserved', verdict: 'failed', reason: /^aborted: green exited before connecting to the handoff socket \(see .+\.log\)$/, boundMs: NEVER_PAUSES, params: green('exit-at-start') },
  { fault: 'green wrong-release', phase: 'init', verdict: 'failed', reason: /^green reports release r2-not, expected r2$/, boundMs: NEVER_PAUSES, params: green('wrong-release') },
  {
    fault: 'green never connects, deaf to SIGTERM, with children',
    phase: 'reserved: the reservation expires',
    verdict: 'failed',
    reason: /^no green claimed handoff \S+ within 2 s$/,
    boundMs: NEVER_PAUSES,
    params: (e) => e.params({ ...BASE, greenEnv: { TEST_GREEN_MODE: 'sleeper' }, deadlines: { ...BASE.deadlines, claim_ms: 2_000 } }),
  },
];

for (const c of CELLS) {
  test(`agent: ${c.fault} (${c.phase}): ${c.verdict}, blue serves, nothing lost, nothing of green left`, { timeout: 120_000 }, async (t: TestContext) => {
    const e = await engineWorld(t, 'agent');
    if (!e) return;
    c.setUp?.(e);
    const logs: string[] = [];
    const host = await e.connect(t, logs);
    assert.ok(host.agent, 'the agent is detected');
    const o = await runMode(c.params(e), ioFor(host, logs));
    track(e.w, o);
    try {
      const want = c.or && o.verdict === c.or.verdict ? c.or : c;
      assert.equal(o.verdict, want.verdict, `verdict: ${o.reason}`);
      assert.match(o.reason, want.reason);
      assert.ok(o.handoff_id, 'a handoff was reserved');
      assert.deepEqual(await leftRunning(o.handoff_id), [], 'a process started for the handoff survived its verdict');
      const s = await e.w.settle();
      const who = await whoServes(e.w, o.green_pid);
      const probe = await probePolling(e.w);
      assert.equal(who.label, 'blue', `who serves: ${JSON.stringify(who)}`);
      assert.deepEqual(who.alive, [e.w.blue.pid], 'exactly one gateway process is alive: blue');
      assert.equal(probe.answered, probe.sent, `the one gateway answers: ${JSON.stringify(probe)}`);
      assert.equal(probe.pollers, 1, `exactly one process polls: ${JSON.stringify(probe)}`);
      assert.equal(probe.conflicts, 0);
      const seen = JSON.stringify(s);
      assert.ok(s.produced > 0, `the platform produced messages: ${seen}`);
      assert.deepEqual([s.pending, s.lost, s.duplicated, s.conflicts], [0, 0, 0, 0], seen);
      assert.ok(s.max_gap_ms < c.boundMs, `the longest gap with no poller, ${s.max_gap_ms} ms, is below ${c.boundMs} ms`);
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- engine log\n${logs.join('\n').slice(-4_000)}`;
      throw err;
    }
  });
}
