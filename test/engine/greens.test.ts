// Every green the action started is stopped on every verdict other than promoted (issue 15 item 4), and only
// then: a promoted green, and one the host still decides about at the deadline, are left to the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promote } from '../../src/handoff/promote.ts';
import { engineIo, params, promotesAfter, world, type FakeGreen } from './fake-host.ts';

test('a green that never connects (green-command: sleep 120) with a short claim timeout: failed, and green is stopped', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = () => clock.after(2_000, () => blue.decide('failed', 'reservation expired: no green claimed handoff within 2 s'));
  const o = await clock.run(promote(params({ greenCommand: 'sleep 120', deadlines: { claim_ms: 2_000 } }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /reservation expired/);
  assert.deepEqual(host.greens.map((g) => [g.alive, g.stoppedBy]), [[false, 'stop-green']], 'nothing left running');
});

test('a green that never connects within the action\'s deadline (claim timeout longer): the reservation is released, green stopped, failed', async () => {
  const { clock, host, blue } = world();
  const io = engineIo(host);
  const o = await clock.run(promote(params({ greenCommand: 'sleep 120', timeoutMs: 30_000, bakeMs: 5_000 }), io));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^green did not connect to the handoff socket within the action's deadline of 30 s; the reservation was released and green stopped/);
  assert.equal(blue.got('ABORT').length, 1);
  assert.equal(blue.phase, 'idle');
  assert.equal(host.greens[0]!.stoppedBy, 'stop-green');
});

test('a green that exits before connecting: the reservation is aborted, and the (already dead) green is asked to stop', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = (g) => clock.after(500, () => (g.alive = false));
  const o = await clock.run(promote(params(), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^aborted: green exited before connecting to the handoff socket \(see \/srv\/hermes\/logs\/green-.+\.log\)$/);
  assert.equal(blue.got('ABORT').length, 1);
  assert.ok(host.execs.some((a) => a[3] === 'hermes-stop-green'), 'stop was asked for');
  assert.equal(o.green_log_tail, `green log of /srv/hermes/logs/green-${o.handoff_id}.log\n`);
});

for (const [verdict, stopped] of [
  ['rolled-back', true],
  ['failed', true],
  ['promoted', false],
] as const) {
  test(`host verdict ${verdict}: green ${stopped ? 'stopped' : 'left serving'}`, async () => {
    const { clock, host, blue } = world();
    host.onLaunch = (g) =>
      clock.after(100, () => {
        blue.claim(g.pid);
        blue.setPhase('baking');
        clock.after(2_000, () => blue.decide(verdict, verdict === 'promoted' ? 'bake of 2 s passed' : 'error rate 100% > 5% in 3 consecutive samples'));
      });
    const o = await clock.run(promote(params({ bakeMs: 2_000 }), engineIo(host)));
    assert.equal(o.verdict, verdict, o.reason);
    assert.equal(host.greens[0]!.stoppedBy !== null, stopped);
  });
}

test('promoted by the host, but green reports another release: failed for the run, and the green that serves is not stopped', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = (g: FakeGreen) =>
    clock.after(100, () => {
      blue.claim(g.pid);
      blue.handoff!.release = 'r2-other';
      blue.setPhase('baking');
      clock.after(1_000, () => blue.decide('promoted', 'bake of 1 s passed'));
    });
  const o = await clock.run(promote(params({ bakeMs: 1_000 }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^green serves release r2-other, not the requested r2/);
  assert.equal(host.greens[0]!.stoppedBy, null);
});

test('the deadline passes while the host bakes: timed-out, green left to the host (blue stops it on a rollback)', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = (g) =>
    clock.after(100, () => {
      blue.claim(g.pid);
      blue.setPhase('baking');
    });
  const o = await clock.run(promote(params({ bakeMs: 50_000, timeoutMs: 60_000 }), engineIo(host)));
  assert.equal(o.verdict, 'timed-out');
  assert.equal(o.reason, "the action's deadline of 60 s passed while the host was in phase baking; rerun with mode: status");
  assert.equal(host.greens[0]!.stoppedBy, null);
  assert.equal(blue.got('ABORT').length, 0, 'a claimed handoff is never aborted by the run');
  assert.equal(blue.phase, 'baking');
});

test('the happy path through promotesAfter leaves no timer and stops nothing', async () => {
  const { clock, host } = world();
  host.onLaunch = promotesAfter(host, 3_000);
  const o = await clock.run(promote(params({ bakeMs: 3_000 }), engineIo(host)));
  assert.equal(o.verdict, 'promoted');
  assert.equal(host.greens[0]!.stoppedBy, null);
});
