// The host is the queue (issue 14 item 2): a RESERVE refused busy waits for the handoff under way, then reserves;
// a deadline that passes first is timed-out naming what held the host, never failed for the new release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promote } from '../../src/handoff/promote.ts';
import { engineIo, params, promotesAfter, START, world } from './fake-host.ts';

/** Blue holds another run's handoff `id` (release r-old), baking. */
function busyWith(w: ReturnType<typeof world>, id = 'other-1'): void {
  w.blue.handoff = { id, release: 'r-old', runtime: 'claw', bake_ms: 120_000, green_pid: 700, started_at: w.clock.now, bake_started_at: w.clock.now };
  w.blue.phase = 'baking';
}

test('busy: the run waits for the handoff under way (progress now and then), then reserves and promotes its own release', async () => {
  const w = world();
  const { clock, host, blue } = w;
  busyWith(w);
  // The other run's handoff ends 95 s later: promoted, so its green serves release r-old.
  clock.after(95_000, () => blue.decide('promoted', 'bake of 120 s passed'));
  host.onLaunch = promotesAfter(host, 2_000);
  const io = engineIo(host);
  const o = await clock.run(promote(params({ bakeMs: 2_000, timeoutMs: 900_000 }), io));
  assert.equal(o.verdict, 'promoted', o.reason);
  assert.equal(o.release, 'r2');
  assert.equal(o.busy_with, null, 'it judged its own release in the end');
  assert.equal(blue.release, 'r2');
  assert.equal(blue.got('RESERVE').length, 2, 'refused once, then reserved');
  assert.ok(io.logs.some((l) => l === 'the host is busy with handoff other-1 (release r-old, phase baking); waiting for it to end (at most 900 s, the rest of timeout-seconds)'), io.logs.join('\n'));
  const progress = io.logs.filter((l) => /^still waiting for handoff other-1 \(phase baking\); \d+ s left$/.test(l));
  assert.ok(progress.length >= 2 && progress.length <= 4, `progress about every 30 s: ${progress.length} lines`);
  assert.ok(io.logs.includes('handoff other-1 ended promoted; asking the host again'));
  assert.ok(io.phases.includes('waiting'));
  // The other handoff's phases are not this run's
  assert.ok(!o.timeline.some((e) => e.at < START + 95_000), 'no phase of the other handoff in this run\'s timeline');
  assert.ok(clock.now - START >= 95_000);
});

test('busy until the deadline: timed-out, naming what held the host; busy_with set; never failed', async () => {
  const w = world();
  busyWith(w);
  const io = engineIo(w.host);
  const o = await w.clock.run(promote(params({ timeoutMs: 120_000 }), io));
  assert.equal(o.verdict, 'timed-out');
  assert.equal(o.reason, "the action's deadline of 120 s passed while handoff other-1 (release r-old, phase baking) held the host; this run judged no release: rerun it once that handoff has ended");
  assert.equal(o.busy_with, 'handoff other-1 (release r-old, phase baking)');
  assert.equal(o.handoff_id, null, 'nothing was reserved');
  assert.equal(w.host.greens.length, 0);
  assert.equal(w.blue.open, 0);
});

test('busy, freed with too little of the deadline left for the bake: timed-out without reserving', async () => {
  const w = world();
  busyWith(w);
  w.clock.after(100_000, () => w.blue.decide('rolled-back', 'error rate 7.2% > 5% in 3 consecutive samples'));
  const o = await w.clock.run(promote(params({ timeoutMs: 120_000, bakeMs: 60_000 }), engineIo(w.host)));
  assert.equal(o.verdict, 'timed-out');
  assert.match(o.reason, /^handoff other-1 \(release r-old, phase baking\) held the host until less of the action's deadline of 120 s was left than a bake of 60 s needs/);
  assert.equal(w.blue.got('RESERVE').length, 1);
});

test('the release the other run promoted is this one: unchanged after the wait', async () => {
  const w = world();
  busyWith(w);
  w.blue.handoff!.release = 'r2';
  w.clock.after(10_000, () => w.blue.decide('promoted', 'bake passed'));
  const o = await w.clock.run(promote(params({ release: 'r2' }), engineIo(w.host)));
  assert.equal(o.verdict, 'unchanged', o.reason);
  assert.equal(o.busy_with, null);
});
