// Every green fault of the reference gateway, with real processes: the verdict and its reason, blue serving again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readVerdict } from '../../src/peer/files.ts';
import { realOs } from '../../src/peer/os.ts';
import { withHarness, type PromoteSpec } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

interface Case {
  fault: string;
  verdict: 'failed' | 'rolled-back';
  reason: RegExp;
  /** The other verdict a race in the fault itself may decide, with its reason. */
  or?: { verdict: 'failed' | 'rolled-back'; reason: RegExp };
  /** Phases the handoff must have passed through. */
  phases: string[];
  spec?: Partial<PromoteSpec>;
}

// `failed`: green never got the cursors (it died before or during blue's drain, or blue refused it). `rolled-back`: after HANDOFF_ACTIVE.
const CASES: Case[] = [
  { fault: 'exit-at-start', verdict: 'failed', reason: /^aborted: green exited before connecting to the handoff socket \(see .+\.log\)$/, phases: ['reserved'] },
  { fault: 'crash-before-ack', verdict: 'failed', reason: /^green \(pid \d+\) exited before HANDOFF_ACK$/, phases: ['reserved', 'init'] },
  { fault: 'wrong-release', verdict: 'failed', reason: /^green reports release r1-not, expected r1$/, phases: ['reserved', 'init'] },
  // Green dies during blue's drain: it never gets the cursors (protocol.md section 9.3).
  // Green dies right after its ACK: when blue's drain ends first, green gets the cursors and dies in the handover.
  {
    fault: 'crash-after-ack',
    verdict: 'failed',
    reason: /^green \(pid \d+\) exited while blue was draining$/,
    or: { verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the handover$/ },
    phases: ['reserved', 'init', 'draining'],
  },
  {
    fault: 'crash-after-active',
    verdict: 'rolled-back',
    reason: /^green \(pid \d+\) exited during the handover$/,
    phases: ['reserved', 'init', 'draining', 'active', 'rolling-back'],
  },
  { fault: 'crash-after-confirm', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the bake$/, phases: ['active', 'baking', 'rolling-back'] },
  { fault: 'crash-during-bake', verdict: 'rolled-back', reason: /^green \(pid \d+\) exited during the bake$/, phases: ['active', 'baking', 'rolling-back'] },
  {
    fault: 'error-burst',
    verdict: 'rolled-back',
    reason: /^error rate 100(\.0)?% > 5(\.0)?% in 3 consecutive samples$/,
    phases: ['baking', 'rolling-back'],
    spec: { bakeMs: 2_000 },
  },
  {
    // A hung green can neither heartbeat nor stop: the bake must outlast the heartbeat limit, and blue kills it.
    fault: 'hang',
    verdict: 'rolled-back',
    reason: /^no HEALTH from green for [\d.]+ m?s \(limit [\d.]+ m?s\); green did not stop within [\d.]+ m?s and was killed$/,
    phases: ['baking', 'rolling-back'],
    spec: { bakeMs: 3_000, maxHeartbeatAgeMs: 600 },
  },
];

for (const c of CASES) {
  test(`green fault ${c.fault}: ${c.verdict}, with its reason; blue serves again; nothing lost or answered twice`, async (t) => {
    await withHarness(t, {}, async (h) => {
      const blue = await h.startBlue({ release: 'r0' });
      const out = await h.promote({ release: 'r1', fault: c.fault, ...c.spec });

      const want = c.or && out.verdict === c.or.verdict ? c.or : c;
      assert.equal(out.verdict, want.verdict, `verdict (${out.reason})`);
      assert.match(out.reason, want.reason);
      const phases = out.timeline.map((e) => e.phase);
      for (const p of c.phases) assert.ok(phases.includes(p), `phase ${p} in the timeline ${phases.join(' > ')}`);
      assert.ok(!phases.includes('complete'), 'never complete');

      // The verdict is on disk as blue decided it.
      assert.ok(out.handoff_id);
      const rec = readVerdict(h.home, out.handoff_id);
      assert.ok(rec, 'verdict file');
      assert.equal(rec.verdict, want.verdict);
      assert.equal(rec.decided_by, 'blue');
      assert.equal(out.reason, rec.reason);
      assert.ok(existsSync(join(h.home, 'logs', `green-${out.handoff_id}.log`)), 'green log');

      // Blue serves again, alone: green is gone (a hung one was killed, not left polling).
      await assertServes(h, blue.pid, 'blue');
      if (out.green_pid && out.green_pid !== blue.pid) assert.equal(realOs.isAlive(out.green_pid), false, `green pid ${out.green_pid} is gone`);
      const st = await (await h.observer()).status(5_000);
      assert.equal(st.phase, 'idle');
      assert.equal(st.release, 'r0');
      assert.equal(st.last_verdict?.verdict, want.verdict);

      assertClean(await h.settle());
    });
  });
}
