// Answers the engine gives at once instead of waiting for the deadline: a host key that stops matching (issue 9
// item 8), a handoff id the host does not know, a gateway that is not running (issue 15 items 2 and 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promote } from '../../src/handoff/promote.ts';
import { status } from '../../src/handoff/status.ts';
import { rollback } from '../../src/handoff/rollback.ts';
import { preflight } from '../../src/handoff/preflight.ts';
import { HostKeyMismatchError } from '../../src/host/host.ts';
import { engineIo, params, promotesAfter, SOCKET, START, world } from './fake-host.ts';

const MISMATCH = 'host key of 127.0.0.1:2222 does not match the pins: offered SHA256:evil, expected SHA256:good';

test('a host key mismatch during the bake is a decided failed with the connect-time message, at once, never retried', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = (g) => {
    clock.after(100, () => {
      blue.claim(g.pid);
      blue.setPhase('baking');
      // The link drops; whatever answers next on that address shows another key.
      clock.after(1_000, () => {
        host.failure = new HostKeyMismatchError(MISMATCH);
        blue.dropAll();
      });
    });
  };
  const io = engineIo(host);
  const o = await clock.run(promote(params({ bakeMs: 600_000, timeoutMs: 900_000 }), io));
  assert.equal(o.verdict, 'failed');
  assert.equal(o.reason, `cannot connect to staging: ${MISMATCH}`, 'the same words as a first connection to that host');
  assert.doesNotMatch(o.reason, /rerun|mode: status|timed out/);
  assert.ok(clock.now - START < 10_000, `decided at once, not at the deadline (${clock.now - START} ms)`);
  const afterDrop = host.openSockets - 1;
  assert.equal(afterDrop, 1, `the socket was asked for ${afterDrop} times after the drop: a mismatch must not be retried`);
});

test('status with a handoff id the host does not know answers at once, naming the last one and its verdict', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = promotesAfter(host, 1_000);
  const first = await clock.run(promote(params({ bakeMs: 1_000 }), engineIo(host)));
  assert.equal(first.verdict, 'promoted');
  const t0 = clock.now;
  const o = await clock.run(status(params({ mode: 'status', handoffId: 'no-such-1' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.equal(o.reason, `no handoff no-such-1 on this host; the last one was ${first.handoff_id} (promoted)`);
  assert.equal(o.handoff_id, null, 'it reports on no handoff (the forge leaves issues alone)');
  assert.ok(clock.now - t0 < 1_000, `answered at once (${clock.now - t0} ms of fake time)`);
  // rollback words it the same way (one function)
  const r = await clock.run(rollback(params({ mode: 'rollback', handoffId: 'no-such-1' }), engineIo(host)));
  assert.equal(r.reason, o.reason);
  // with a handoff under way, that is named too
  blue.handoff = { id: 'h-now', release: 'r3', runtime: 'claw', bake_ms: 1_000, green_pid: null, started_at: clock.now, bake_started_at: null };
  blue.phase = 'reserved';
  const u = await clock.run(status(params({ mode: 'status', handoffId: 'no-such-2' }), engineIo(host)));
  assert.equal(u.reason, `no handoff no-such-2 on this host; handoff h-now is under way (phase reserved); the last one was ${first.handoff_id} (promoted)`);
});

test('a stale socket: the reason says blue is not running and how to start it; status still reports the last verdict from run/handoffs', async () => {
  const { clock, host } = world();
  host.onLaunch = promotesAfter(host, 1_000);
  const first = await clock.run(promote(params({ bakeMs: 1_000 }), engineIo(host)));
  host.socket = 'stale';
  const stale = `nothing accepts connections on ${SOCKET}: blue is not running (stale socket). Start the gateway (docs/handoff.md#when-blue-is-not-running)`;
  const s = await clock.run(status(params({ mode: 'status' }), engineIo(host)));
  assert.equal(s.verdict, 'promoted');
  assert.equal(s.handoff_id, first.handoff_id);
  assert.ok(s.reason.startsWith(`${stale}; handoff ${first.handoff_id} ended promoted: bake of 1 s passed`), s.reason);
  for (const mode of ['promote', 'rollback'] as const) {
    const o = await clock.run((mode === 'promote' ? promote : rollback)(params({ mode, release: 'r3' }), engineIo(host)));
    assert.equal(o.verdict, 'failed', mode);
    assert.equal(o.reason, stale, mode);
  }
  host.socket = 'missing';
  const m = await clock.run(promote(params({ release: 'r3' }), engineIo(host)));
  assert.match(m.reason, /^nothing listens on \S+handoff\.sock: there is no socket there, so blue is not running/);
  host.socket = 'stale';
  const pre = await clock.run(preflight(params({ mode: 'preflight' }), engineIo(host)));
  assert.equal(pre.verdict, 'not-ready');
  assert.equal(pre.reason, `socket answers: ${stale}`);
});

test('status on a host where nothing ran yet and blue is down: the stale-socket reason alone', async () => {
  const { clock, host } = world();
  host.socket = 'stale';
  const o = await clock.run(status(params({ mode: 'status' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^nothing accepts connections on .*\(stale socket\)\. Start the gateway/);
});

test('a wrong token is blue\'s refusal, not a gateway that is down', async () => {
  const { clock, host } = world();
  host.files.set(`${SOCKET.slice(0, SOCKET.lastIndexOf('/'))}/handoff.token`, `${'cd'.repeat(32)}\n`);
  for (const mode of ['promote', 'status'] as const) {
    const o = await clock.run((mode === 'promote' ? promote : status)(params({ mode }), engineIo(host)));
    assert.equal(o.verdict, 'failed', mode);
    assert.equal(o.reason, 'wrong token', mode);
  }
  const pre = await clock.run(preflight(params({ mode: 'preflight' }), engineIo(host)));
  assert.equal(pre.reason, `socket answers: ${SOCKET}: wrong token`);
});
