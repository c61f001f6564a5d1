// The engine's failure paths own what they open (issue 10): the reservation, the observer connection, the
// follow loop's listeners and timers, and every green it started. In-process, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promote } from '../../src/handoff/promote.ts';
import { status } from '../../src/handoff/status.ts';
import { rollback } from '../../src/handoff/rollback.ts';
import { followHandoff } from '../../src/handoff/follow.ts';
import { openObserver } from '../../src/handoff/observe.ts';
import { link } from '../../src/handoff/attach.ts';
import { clockOf } from '../../src/handoff/params.ts';
import { HostConnectionError } from '../../src/host/host.ts';
import { engineIo, HOME, params, promotesAfter, SOCKET, TOKEN, world } from './fake-host.ts';

test('a failing prepare-command releases the reservation at once (blue idle again, not busy for claim-timeout-seconds); no green starts', async () => {
  const { clock, host, blue } = world();
  host.prepare = { code: 7, output: 'cannot build' };
  const o = await clock.run(promote(params({ prepareCommand: 'make release' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.equal(o.reason, 'prepare-command failed (exit 7); its output is in the job summary and the run log');
  assert.equal(o.prepare_output, 'cannot build');
  assert.equal(blue.got('ABORT').length, 1);
  assert.equal(blue.phase, 'idle');
  assert.equal(blue.lastVerdict?.reason, `aborted: ${o.reason}`);
  assert.equal(host.greens.length, 0);
  assert.equal(blue.open, 0, 'every connection closed');
});

test('a prepare-command whose run throws (the SSH channel timed out) still releases the reservation', async () => {
  const { clock, host, blue } = world();
  host.prepare = new HostConnectionError('the command did not end within 890000 ms');
  const o = await clock.run(promote(params({ prepareCommand: 'make release' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /did not end within/);
  assert.equal(blue.got('ABORT').length, 1, 'the reservation was released');
  assert.equal(blue.phase, 'idle');
  assert.equal(blue.open, 0);
});

test('the observer connection dropped during prepare: the reservation is released over a new one', async () => {
  const { clock, host, blue } = world();
  host.prepare = { code: 1, output: '' };
  const realExec = host.exec.bind(host);
  host.exec = async (argv, opts) => {
    if (argv[0] === 'timeout') blue.dropAll();
    return realExec(argv, opts);
  };
  const o = await clock.run(promote(params({ prepareCommand: 'false' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.equal(blue.got('ABORT').length, 1);
  assert.equal(blue.phase, 'idle');
  const conns = new Set(blue.received.map((r) => r.conn));
  assert.ok(conns.size >= 2, 'a second connection carried the ABORT');
  assert.equal(blue.open, 0);
});

test('a launch that fails releases the reservation', async () => {
  const { clock, host, blue } = world();
  const realExec = host.exec.bind(host);
  host.exec = async (argv, opts) => {
    if (argv[0] === 'sh' && argv[3] === 'hermes-launch') return { code: 1, signal: null, stdout: '', stderr: 'mkdir: cannot create directory' };
    return realExec(argv, opts);
  };
  const o = await clock.run(promote(params(), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^could not start green \(exit 1\): mkdir: cannot create directory$/);
  assert.equal(blue.phase, 'idle');
  assert.equal(blue.lastVerdict?.reason, `aborted: ${o.reason}`);
});

test('status: blue never answers STATUS; the observer connection is closed, the verdict failed', async () => {
  const { clock, host, blue } = world();
  blue.hooks.status = () => 'silent';
  const o = await clock.run(status(params({ mode: 'status' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /no STATE within 10000 ms/);
  assert.equal(blue.open, 0, 'the connection was left open');
});

test('rollback: ABORT refused with an ERROR; the observer connection is closed', async () => {
  const { clock, host, blue } = world();
  blue.handoff = { id: 'h-1', release: 'r2', runtime: 'claw', bake_ms: 5_000, green_pid: 600, started_at: clock.now, bake_started_at: clock.now };
  blue.phase = 'baking';
  blue.hooks.abort = () => ({ code: 'wrong_phase', message: 'ABORT is not accepted in phase complete' });
  const o = await clock.run(rollback(params({ mode: 'rollback' }), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.equal(o.reason, 'ABORT is not accepted in phase complete');
  assert.equal(blue.open, 0, 'the connection was left open');
});

test('follow: one close listener per connection and one timer per wait, however long the bake', async () => {
  const { clock, host, blue } = world();
  const io = engineIo(host);
  const l = await clock.run(link(params(), io));
  const obs = await clock.run(openObserver(host, SOCKET, TOKEN, clockOf(io)));
  blue.handoff = { id: 'h-1', release: 'r2', runtime: 'claw', bake_ms: 600_000, green_pid: 600, started_at: clock.now, bake_started_at: clock.now };
  blue.phase = 'baking';
  const done = followHandoff(l, { id: 'h-1', deadlineAt: clock.now + 700_000, first: obs, timeline: [], health: [] });
  let peak = 0;
  for (let i = 0; i < 300; i++) {
    await clock.advance(1_000);
    if (i % 10 === 0) blue.sample();
    peak = Math.max(peak, clock.pending);
  }
  const closeCbs = (obs as unknown as { closeCbs: unknown[] }).closeCbs.length;
  assert.equal(closeCbs, 1, `close listeners after 300 waits: ${closeCbs}`);
  assert.ok(peak <= 3, `timers pending at most: ${peak}`);
  blue.decide('promoted', 'bake of 600 s passed');
  const end = await clock.run(done);
  assert.equal(end.kind, 'verdict');
  assert.equal(clock.pending, 0, 'no timer left behind');
});

test('a custom takeover-ms reaches settled(): a promoted verdict file younger than it is asked of the socket', async () => {
  for (const [takeover, asksSocket] of [[undefined, false], [60_000, true]] as const) {
    const { clock, host, blue } = world();
    // The file says promoted 20 s ago, decided by blue: older than the default takeover (10 s + 5 s), younger than 60 s.
    blue.handoff = { id: 'h-old', release: 'r2', runtime: 'claw', bake_ms: 1_000, green_pid: 600, started_at: clock.now - 30_000, bake_started_at: null };
    clock.now -= 20_000;
    blue.decide('promoted', 'bake of 1 s passed');
    clock.now += 20_000;
    const o = await clock.run(status(params({ mode: 'status', handoffId: 'h-old', deadlines: takeover ? { takeover_ms: takeover } : {} }), engineIo(host)));
    assert.equal(o.verdict, 'promoted', o.reason);
    assert.equal(host.openSockets > 0, asksSocket, `takeover_ms ${takeover}: asked the socket ${host.openSockets} times`);
  }
});

test('promote on the happy path: a green started, promoted, never stopped; the run holds nothing afterwards', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = promotesAfter(host, 5_000);
  const o = await clock.run(promote(params(), engineIo(host)));
  assert.equal(o.verdict, 'promoted', o.reason);
  assert.equal(host.greens.length, 1);
  assert.equal(host.greens[0]!.stoppedBy, null);
  assert.equal(blue.got('ABORT').length, 0);
  assert.equal(blue.open, 0);
  assert.equal(clock.pending, 0);
  assert.equal(host.files.has(`${HOME}/run/handoffs/${o.handoff_id}.json`), true);
});

test('a RESERVE blue took but never answered is released (ABORT), not left to hold the host', async () => {
  const { clock, host, blue } = world();
  blue.hooks.reserve = () => 'silent';
  const o = await clock.run(promote(params(), engineIo(host)));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /no RESERVED within 10000 ms/);
  assert.equal(blue.got('ABORT').length, 1);
  assert.equal(blue.phase, 'idle');
  assert.equal(blue.open, 0);
});
