// Blue in-process: the real startBlue over in-memory connections, its deadlines on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '../../src/protocol/framing.ts';
import { errorFrame } from '../../src/protocol/errors.ts';
import { MAX_CONNECTIONS, startBlue, type BlueOptions } from '../../src/peer/blue.ts';
import { FakeAdapters } from './fake-adapters.ts';
import { WireClient } from './wire.ts';
import { blueWorld, GREEN, HOME, ID, observer, rawGreen, reserve, SOCK, type BlueWorld } from './world.ts';

/** Options for a blue played by green's process once it took over. */
function greenServes(w: BlueWorld): BlueOptions {
  return {
    socketPath: SOCK,
    home: HOME,
    release: 'r2',
    runtime: 'claw',
    store: { path: 'x', schema: 1 },
    adapters: new FakeAdapters(w.world, GREEN),
    onComplete: () => {},
    os: w.world.os(GREEN),
  };
}

/** Runs a handoff with a test-played green up to the bake (CONFIRM sent); returns the green's connection. */
async function toBake(w: BlueWorld) {
  const o = await observer(w);
  await reserve(o);
  o.send({ type: 'SUBSCRIBE' });
  await o.take('STATE');
  const { g, init } = await rawGreen(w);
  g.send({ type: 'HANDOFF_ACK', handoff_id: ID, pid: GREEN, runtime: 'claw', release: 'r2', store_schema: init.store.schema, init_ms: 1_500 });
  const active = await g.take('HANDOFF_ACTIVE');
  g.send({ type: 'HANDOFF_CONFIRM', handoff_id: ID, adapters: ['telegram'], polling_at: w.world.now + 7 });
  await w.world.until(() => w.blue.state().phase === 'baking', 1_000, 'baking');
  return { o, g, init, active };
}

/** Sends HEALTH every second until blue answers HANDOFF_COMPLETE (or `maxBeats`). */
async function beatUntilComplete(w: BlueWorld, g: WireClient, maxBeats = 10) {
  for (let seq = 1; seq <= maxBeats; seq++) {
    await w.world.advance(1_000);
    g.send({ type: 'HEALTH', handoff_id: ID, sample: { seq, at: w.world.now, handled: 10, errors: 0, latency_p50_ms: 5, latency_p99_ms: 20 }, cursors: { telegram: { kind: 'telegram', offset: 100 + seq * 10 } } });
    await w.world.settle();
    if (w.blue.state().phase === 'complete') return g.take('HANDOFF_COMPLETE');
  }
  throw new Error('no HANDOFF_COMPLETE');
}

test('a promotion in-process: INIT, ACTIVE with the drained cursors, COMPLETE both ways, blue checks the socket answers from green, EVENT verdict, blue leaves', async () => {
  const w = await blueWorld();
  const t0 = w.world.now;
  const { o, g, init, active } = await toBake(w);
  assert.equal(init.blue_pid, 100);
  assert.deepEqual(active.cursors, { telegram: { kind: 'telegram', offset: 100 } });
  assert.equal(active.paused_at, t0, 'blue paused at the fake clock time');
  assert.deepEqual(w.adapters.calls, ['pause 3000'], 'the drain deadline is the reserved one, carried by the effect');
  const complete = await beatUntilComplete(w, g);
  assert.match(complete.reason, /^bake of 3 s passed: 3 heartbeats, 30 messages/);
  assert.equal(w.world.verdict(HOME, ID)?.verdict, 'promoted', 'the verdict file was written before COMPLETE');
  assert.equal(w.completed(), false, 'blue stays until green answers');
  // Green takes the socket over (a listener of its own renamed over handoff.sock), then answers.
  await startBlue({ ...greenServes(w), takeover: true });
  g.send({ type: 'HANDOFF_COMPLETE', handoff_id: ID, reason: 'green owns the socket' });
  const ev = await o.take('EVENT');
  for (let e = ev; e.event.kind !== 'verdict'; e = await o.take('EVENT'));
  await w.world.until(() => w.completed(), 1_000, 'blue to leave');
  assert.equal(w.world.listenerOf(SOCK), GREEN, 'the socket answers from green');
  assert.equal(w.adapters.running, false, 'blue never polled again');
});

test('HELLO deadline: a silent connection is closed at 5 s of fake time, not before', async () => {
  const w = await blueWorld();
  const c = await WireClient.connect(w.world, 400, SOCK);
  await w.world.advance(4_999);
  assert.equal(c.closed, false);
  await w.world.advance(1);
  const e = await c.take('ERROR');
  assert.deepEqual(e, { v: 1, type: 'ERROR', code: 'timeout', message: 'no HELLO within 5 s', fatal: true });
  await c.closedWithin(1_100);
});

test(`the ${MAX_CONNECTIONS + 1}th connection gets ERROR too_many, encoded like every frame, and is closed`, async () => {
  const w = await blueWorld();
  const open: WireClient[] = [];
  for (let i = 0; i < MAX_CONNECTIONS; i++) open.push(await WireClient.connect(w.world, 1000 + i, SOCK));
  const extra = await WireClient.connect(w.world, 2000, SOCK);
  const e = await extra.take('ERROR');
  assert.deepEqual(e, { v: 1, type: 'ERROR', code: 'too_many', message: `more than ${MAX_CONNECTIONS} connections`, fatal: true });
  assert.deepEqual(e, JSON.parse(encodeFrame(errorFrame('too_many', `more than ${MAX_CONNECTIONS} connections`, undefined, true))));
  await extra.closedWithin(200);
  assert.ok(open.every((c) => !c.closed), 'the others stay');
});

test('refusals before HELLO: a wrong token, another first frame; an unknown type is skipped', async () => {
  const w = await blueWorld();
  const a = await WireClient.connect(w.world, 401, SOCK);
  a.send({ type: 'HELLO', role: 'observer', token: 'x', pid: 401 });
  assert.equal((await a.take('ERROR')).message, 'wrong token');
  const b = await WireClient.connect(w.world, 402, SOCK);
  b.send({ type: 'STATUS' });
  assert.equal((await b.take('ERROR')).message, 'the first frame must be HELLO');
  const c = await WireClient.connect(w.world, 403, SOCK);
  c.write('{"v":2,"type":"PING"}\n');
  assert.equal((await c.take('ERROR')).code, 'unknown_type');
  c.send({ type: 'HELLO', role: 'observer', token: w.token, pid: 403 });
  assert.equal((await c.take('WELCOME')).server_pid, 100);
  await a.closedWithin(1_100);
  await b.closedWithin(1_100);
});

test('a green that never sends HANDOFF_ACK: failed at the reserved ack_ms; blue stops it (SIGTERM after the grace, then SIGKILL)', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o);
  w.world.spawn(GREEN, 'ignore');
  const { g } = await rawGreen(w);
  await w.world.advance(19_999);
  assert.equal(w.blue.state().phase, 'init');
  await w.world.advance(21);
  assert.equal(w.blue.state().phase, 'idle');
  assert.equal(w.world.verdict(HOME, ID)?.reason, 'green did not send HANDOFF_ACK within 20 s');
  assert.equal((await g.take('HANDOFF_ROLLBACK')).reason, 'green did not send HANDOFF_ACK within 20 s');
  await w.world.advance(5_000 + 2_000 + 100);
  assert.deepEqual(
    w.world.signals.filter((s) => s.pid === GREEN).map((s) => s.signal),
    ['SIGTERM', 'SIGKILL'],
  );
  assert.equal(w.world.isAlive(GREEN), false);
  assert.equal(w.adapters.running, true, 'blue never stopped polling');
});

test('a verdict file that cannot be written: the handoff still decides, EVENT verdict and STATE carry record_error', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  o.send({ type: 'SUBSCRIBE' });
  await o.take('STATE');
  await reserve(o);
  w.world.failVerdictWrites = 'ENOSPC: no space left on device';
  o.send({ type: 'ABORT', handoff_id: ID, reason: 'operator' });
  await o.take('ABORTING');
  let ev = await o.take('EVENT');
  while (ev.event.kind !== 'verdict') ev = await o.take('EVENT');
  assert.equal(ev.event.kind === 'verdict' && ev.event.record.record_error, 'could not write the verdict file: ENOSPC: no space left on device');
  o.send({ type: 'STATUS' });
  const st = await o.take('STATE');
  assert.equal(st.last_verdict?.record_error, 'could not write the verdict file: ENOSPC: no space left on device');
  assert.equal(st.phase, 'idle');
  assert.equal(w.world.verdict(HOME, ID), null);
});

test('green dies after COMPLETE: blue takes the socket back, resumes from the last HEALTH cursors, rolled-back', async () => {
  const w = await blueWorld();
  const { g } = await toBake(w);
  await beatUntilComplete(w, g);
  w.world.crash(GREEN);
  await w.world.until(() => w.blue.state().phase === 'idle', 1_000, 'the take-back');
  assert.equal(w.world.listenerOf(SOCK), 100, 'the socket answers from blue again');
  assert.deepEqual(w.adapters.calls.slice(-1), ['start {"telegram":{"kind":"telegram","offset":130}}']);
  const rec = w.world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'rolled-back');
  assert.equal(rec.reason, `green (pid ${GREEN}) exited after HANDOFF_COMPLETE before taking over the socket`);
});

test('a green with an unreserved id, or a second green for a claimed one, is refused (ERROR busy, fatal); blue keeps serving', async () => {
  const w = await blueWorld();
  const stray = await WireClient.connect(w.world, 500, SOCK);
  stray.send({ type: 'HELLO', role: 'green', token: w.token, pid: 500, handoff_id: 'not-reserved' });
  assert.deepEqual(await stray.take('ERROR'), { v: 1, type: 'ERROR', code: 'busy', message: 'no handoff is reserved', frame: 'HELLO', fatal: true });
  const o = await observer(w);
  await reserve(o);
  await rawGreen(w);
  const second = await WireClient.connect(w.world, 501, SOCK);
  second.send({ type: 'HELLO', role: 'green', token: w.token, pid: 501, handoff_id: ID });
  assert.equal((await second.take('ERROR')).message, `handoff ${ID} is already claimed (init)`);
  await second.closedWithin(1_100);
  assert.equal(w.blue.state().handoff?.green_pid, GREEN);
  assert.equal(w.adapters.running, true);
});

test('green answers HANDOFF_COMPLETE without taking the socket over: blue sees the socket answer from itself, kills green, stays', async () => {
  const w = await blueWorld();
  const { g } = await toBake(w);
  await beatUntilComplete(w, g);
  g.send({ type: 'HANDOFF_COMPLETE', handoff_id: ID, reason: 'green owns the socket' });
  await w.world.until(() => w.blue.state().phase === 'idle', 3_000, 'the take-back');
  assert.equal(w.completed(), false, 'blue did not leave');
  const rec = w.world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'rolled-back');
  assert.equal(rec.reason, `green (pid ${GREEN}) answered HANDOFF_COMPLETE but the socket answers from pid 100 (blue)`);
  assert.equal(w.world.isAlive(GREEN), false, 'green was killed');
  assert.equal(w.world.listenerOf(SOCK), 100);
  assert.equal(w.adapters.running, true, 'blue polls again');
});

test('RESERVE of an id whose verdict file exists: ERROR exists, not fatal; blue stays idle', async () => {
  const w = await blueWorld();
  w.world.fileMap.set(`${HOME}/run/handoffs/${ID}.json`, '{"not":"a record"}');
  const o = await observer(w);
  o.send({ type: 'RESERVE', handoff_id: ID, release: 'r2', runtime: 'claw', bake_ms: 1 });
  assert.deepEqual(await o.take('ERROR'), {
    v: 1,
    type: 'ERROR',
    code: 'exists',
    message: `handoff ${ID} already has a verdict (unreadable); mint a new id`,
    frame: 'RESERVE',
    fatal: false,
  });
  o.send({ type: 'STATUS' });
  assert.equal((await o.take('STATE')).phase, 'idle');
});

test('HELLO: the token is checked before the handoff id', async () => {
  const w = await blueWorld();
  const a = await WireClient.connect(w.world, 600, SOCK);
  a.send({ type: 'HELLO', role: 'green', token: 'wrong', pid: 600, handoff_id: '../../etc' });
  assert.equal((await a.take('ERROR')).message, 'wrong token');
  const b = await WireClient.connect(w.world, 601, SOCK);
  b.send({ type: 'HELLO', role: 'green', token: w.token, pid: 601, handoff_id: '../../etc' });
  const e = await b.take('ERROR');
  assert.equal(e.code, 'bad_frame');
  assert.equal(e.message, 'HELLO: handoff_id: a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -');
  await b.closedWithin(1_100);
});

test('a green that dies while blue drains gets no cursors: failed, blue polls again from its own position', async () => {
  const w = await blueWorld();
  w.adapters.pauseTakesMs = 500;
  const o = await observer(w);
  await reserve(o);
  const { g, init } = await rawGreen(w);
  g.send({ type: 'HANDOFF_ACK', handoff_id: ID, pid: GREEN, runtime: 'claw', release: 'r2', store_schema: init.store.schema, init_ms: 10 });
  await w.world.until(() => w.blue.state().phase === 'draining', 1_000, 'draining');
  w.world.crash(GREEN);
  await w.world.until(() => w.world.verdict(HOME, ID) !== null, 2_000, 'the verdict file');
  const rec = w.world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'failed');
  assert.equal(rec.reason, `green (pid ${GREEN}) exited while blue was draining`);
  assert.equal(rec.dark_window_ms, null);
  await w.world.until(() => w.adapters.running, 1_000, 'blue polling again');
  assert.deepEqual(w.adapters.calls, ['pause 3000', 'start store']);
});
