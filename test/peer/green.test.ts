// Green in-process: the real runGreen against the real blue (or a blue played by the test) in one
// fake world; deadlines on the fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBlue } from '../../src/peer/blue.ts';
import { runGreen, type GreenOptions, type GreenResult } from '../../src/peer/green.ts';
import { sleep } from '../../src/peer/os.ts';
import { FakeAdapters } from './fake-adapters.ts';
import { FakeWorld } from './fake-os.ts';
import { BLUE, blueWorld, GREEN, HOME, ID, observer, reserve, SOCK } from './world.ts';

/** Runs green (pid 200) in `world`; resolves with its result, its adapters and when it ended. */
function startGreen(world: FakeWorld, patch: Partial<GreenOptions> = {}) {
  world.spawn(GREEN);
  const os = world.os(GREEN);
  const adapters = new FakeAdapters(world, GREEN, 0);
  let result: GreenResult | null = null;
  const done = runGreen({
    socketPath: SOCK,
    home: HOME,
    handoffId: ID,
    release: 'r2',
    runtime: 'claw',
    storeSchema: 1,
    adapters,
    init: () => sleep(os, 1_500),
    bluePid: BLUE,
    os,
    ...patch,
  }).then((r) => (result = r));
  return { adapters, done, result: () => result };
}

test('green and blue in one process: a promotion end to end, green takes the socket over, blue leaves', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o);
  const gr = startGreen(w.world);
  await w.world.until(() => gr.result() !== null, 30_000, "green's result");
  const r = gr.result()!;
  assert.equal(r.kind, 'serving');
  if (r.kind !== 'serving') return;
  assert.equal(r.how, 'complete');
  assert.equal(r.verdict.verdict, 'promoted');
  assert.equal(r.verdict.decided_by, 'blue');
  assert.deepEqual(gr.adapters.calls, ['start {"telegram":{"kind":"telegram","offset":100}}'], 'green started from the cursors blue handed over');
  assert.equal(w.adapters.running, false, 'never two pollers');
  // What the gateway does next: serve on the socket (takeover), then answer blue.
  await startBlue({
    socketPath: SOCK,
    home: HOME,
    release: 'r2',
    runtime: 'claw',
    store: { path: 'x', schema: 1 },
    adapters: gr.adapters,
    onComplete: () => {},
    takeover: true,
    lastVerdict: r.verdict,
    os: w.world.os(GREEN),
  });
  r.confirm();
  await w.world.until(() => w.completed(), 1_000, 'blue to leave');
  assert.equal(w.world.listenerOf(SOCK), GREEN);
  const o2 = await observer(w, 301);
  o2.send({ type: 'STATUS' });
  const st = await o2.take('STATE');
  assert.equal(st.server_pid, GREEN);
  assert.equal(st.last_verdict?.verdict, 'promoted');
});

test('blue dies during the bake: green decides promoted (decided_by green) and serves; nothing else polls', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o, { bake_ms: 60_000 });
  const gr = startGreen(w.world);
  await w.world.until(() => w.blue.state().phase === 'baking', 30_000, 'the bake');
  await w.world.advance(2_000);
  w.world.crash(BLUE);
  await w.world.until(() => gr.result() !== null, 15_000, "green's result");
  const r = gr.result()!;
  assert.equal(r.kind, 'serving');
  if (r.kind !== 'serving') return;
  assert.equal(r.how, 'blue-died');
  assert.equal(r.verdict.reason, `blue (pid ${BLUE}) exited during the bake; green took over`);
  assert.equal(r.verdict.decided_by, 'green');
  assert.equal(w.world.verdict(HOME, ID)?.decided_by, 'green');
  assert.equal(gr.adapters.running, true);
});

/**
 * A blue played by the test (pid 100): INIT, then ACTIVE after the ACK, then it hangs up 1.5 s into the
 * bake while its process lives on. `welcomeFrom` is the pid its listener then answers observers with
 * (null: its listener is gone).
 */
async function hangingUpBlue(world: FakeWorld, welcomeFrom: () => number | null) {
  world.spawn(BLUE);
  const bos = world.os(BLUE);
  bos.files.ensureToken(SOCK);
  const listener = await bos.net.listen(
    SOCK,
    (s) => {
      const send = (f: object) => s.write(JSON.stringify({ v: 1, ...f }) + '\n');
      const onFrame = (f: { type: string; role?: string }) => {
        if (f.type === 'HELLO' && f.role === 'observer') {
          const pid = welcomeFrom();
          return void (pid === null ? s.destroy() : send({ type: 'WELCOME', server_pid: pid, phase: 'baking', release: 'r1', runtime: 'legacy', versions: [1] }));
        }
        const deadlines = { hello_ms: 5000, claim_ms: 600000, ack_ms: 120000, drain_ms: 3000, confirm_ms: 4000, heartbeat_ms: 1000, rollback_grace_ms: 5000, takeover_ms: 4000 };
        if (f.type === 'HELLO') send({ type: 'HANDOFF_INIT', handoff_id: ID, blue_pid: BLUE, release: 'r1', runtime: 'legacy', store: { path: 'x', schema: 1 }, bake_ms: 60_000, deadlines });
        if (f.type === 'HANDOFF_ACK') send({ type: 'HANDOFF_ACTIVE', handoff_id: ID, cursors: { telegram: { kind: 'telegram', offset: 7 } }, drained: 0, paused_at: world.now });
        if (f.type === 'HANDOFF_CONFIRM') bos.after(1_500, () => s.destroy());
      };
      s.on('data', (b: Buffer) => {
        for (const line of b.toString().trim().split('\n')) onFrame(JSON.parse(line) as { type: string; role?: string });
      });
    },
    false,
  );
  return listener;
}

test('blue closes the handoff connection but stays alive and still serves: green waits the grace, checks the socket, stands down', async () => {
  const world = new FakeWorld();
  await hangingUpBlue(world, () => BLUE);
  const gr = startGreen(world);
  await world.until(() => gr.result() !== null, 30_000, "green's result");
  const r = gr.result()!;
  assert.deepEqual(r, { kind: 'stopped', verdict: 'failed', reason: `blue (pid ${BLUE}) closed the handoff connection during the bake and is still running` });
  assert.equal(gr.adapters.running, false, 'green stopped polling');
  assert.deepEqual(gr.adapters.calls, ['start {"telegram":{"kind":"telegram","offset":7}}', 'pause 3000']);
  assert.equal(world.verdict(HOME, ID), null, 'green wrote nothing');
});

test("blue's pid lives on but the socket no longer answers from it (refused, or another pid): blue is gone, green serves", async () => {
  for (const [answers, who] of [
    [null, 'no process'],
    [777, 'pid 777'],
  ] as const) {
    const world = new FakeWorld();
    await hangingUpBlue(world, () => answers);
    const gr = startGreen(world);
    await world.until(() => gr.result() !== null, 30_000, "green's result");
    const r = gr.result()!;
    assert.equal(r.kind, 'serving', who);
    if (r.kind !== 'serving') continue;
    assert.equal(r.verdict.reason, `blue (pid ${BLUE}) left the socket (its pid runs, the socket answers from ${who}) during the bake; green took over`);
    assert.equal(r.verdict.blue_pid, BLUE);
    assert.equal(r.verdict.dark_window_ms, 0, 'paused_at to polling_at, on the fake clock');
    assert.deepEqual(
      r.verdict.timeline.map((t) => t.phase),
      ['green-started', 'init', 'ack', 'active', 'taken-over'],
    );
    assert.equal(gr.adapters.running, true);
  }
});

test("blue gone before it said who it is: green's own verdict has blue_pid null and no dark window", async () => {
  const world = new FakeWorld();
  world.os(BLUE).files.ensureToken(SOCK); // the token the first blue wrote; nothing listens now
  world.crash(BLUE);
  const gr = startGreen(world, { bluePid: null });
  await world.until(() => gr.result() !== null, 30_000, "green's result");
  const r = gr.result()!;
  assert.equal(r.kind, 'serving');
  if (r.kind !== 'serving') return;
  assert.equal(r.verdict.reason, 'blue exited during start-up; green took over');
  assert.equal(r.verdict.blue_pid, null);
  assert.equal(r.verdict.dark_window_ms, null);
  assert.deepEqual(world.verdict(HOME, ID), r.verdict);
  assert.deepEqual(gr.adapters.calls, ['start store']);
});

test('no HANDOFF_INIT within hello_ms: green gives up, failed, having polled nothing', async () => {
  const world = new FakeWorld();
  world.spawn(BLUE);
  const bos = world.os(BLUE);
  bos.files.ensureToken(SOCK);
  await bos.net.listen(SOCK, () => {}, false);
  const gr = startGreen(world);
  await world.advance(4_999);
  assert.equal(gr.result(), null);
  await world.advance(2);
  await world.settle();
  assert.deepEqual(gr.result(), { kind: 'stopped', verdict: 'failed', reason: 'blue sent no HANDOFF_INIT within 5 s' });
  assert.deepEqual(gr.adapters.calls, []);
});

test('a cursor green cannot start from (another kind): HANDOFF_ROLLBACK before CONFIRM, nothing polled; blue resumes from what it handed over', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o);
  const gr = startGreen(w.world);
  gr.adapters.start = async (c) => {
    throw new Error(`cursor "telegram" is a discord cursor; this adapter is telegram (${JSON.stringify(c)})`);
  };
  await w.world.until(() => gr.result() !== null, 30_000, "green's result");
  assert.equal(gr.result()?.kind, 'stopped');
  await w.world.until(() => w.blue.state().phase === 'idle', 1_000, 'blue back to idle');
  const rec = w.world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'rolled-back');
  assert.match(rec.reason, /^green rolled back: could not start the adapters: cursor "telegram" is a discord cursor/);
  assert.deepEqual(w.adapters.calls.slice(-1), ['start {"telegram":{"kind":"telegram","offset":100}}'], 'blue polls again from the cursors it handed over');
});

test('a store schema green cannot read: HANDOFF_ROLLBACK before any ACK, blue fails the handoff and never pauses', async () => {
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o);
  const gr = startGreen(w.world, { storeSchema: 2 });
  await w.world.until(() => gr.result() !== null, 30_000, "green's result");
  const r = gr.result()!;
  assert.equal(r.kind, 'stopped');
  if (r.kind !== 'stopped') return;
  assert.equal(r.verdict, 'failed');
  assert.match(r.reason, /^cannot read store schema 1 at /);
  assert.deepEqual(gr.adapters.calls, [], 'green polled nothing');
  await w.world.until(() => w.blue.state().phase === 'idle', 5_000, 'blue back to idle');
  assert.equal(w.blue.state().last_verdict?.verdict, 'failed');
  assert.match(w.blue.state().last_verdict?.reason ?? '', /^green rolled back: cannot read store schema 1 at /);
  assert.equal(w.adapters.running, true, 'blue never stopped polling');
});
