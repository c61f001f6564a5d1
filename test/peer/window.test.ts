// The observation window in-process: the real blue, green and standby roles over in-memory sockets on
// the fake clock. Green killed at several moments, hanging, failing its health an hour in; the standby
// killed; a new promotion during the window; restarts of green in both orders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_OBSERVE_THRESHOLDS } from '../../src/protocol/deadlines.ts';
import { formatTime } from '../../src/protocol/format.ts';
import { BLUE, GREEN, HOME, ID, observer, SOCK } from './world.ts';
import { offsetOf, promotedWithWindow, restartGreen, serveAs, WINDOW_DEADLINES, type Serving, type Window } from './window-world.ts';
import { runGreen, type GreenResult } from '../../src/peer/green.ts';
import { FakeAdapters } from './fake-adapters.ts';
import { sleep } from '../../src/peer/os.ts';

const MIN = 60_000;

/** Everything a take-back must leave behind: blue serves alone on the socket, from green's last cursors, the verdict reverted. */
async function assertTakenBack(x: Window, reason: RegExp, greenPid = GREEN) {
  const { world, w } = x;
  await world.until(() => w.blue.standby() === null && w.blue.state().last_verdict?.verdict === 'reverted', 30_000, 'the take-back');
  await world.until(() => w.adapters.running, 5_000, 'blue polling again');
  const rec = world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'reverted');
  assert.match(rec.reason, reason);
  assert.equal(rec.observation?.outcome, 'reverted');
  assert.equal(rec.observation?.ended_at, rec.decided_at);
  assert.deepEqual(
    rec.timeline.slice(-3).map((t) => t.phase),
    ['complete', 'observing', 'reverted'],
  );
  assert.equal(world.listenerOf(SOCK), BLUE, 'the socket answers from blue again');
  assert.equal(world.isAlive(greenPid), false, 'green is gone');
  assert.equal(x.pollers.most, 1, 'never two pollers');
  assert.equal(w.blue.state().phase, 'idle');
  assert.deepEqual(w.blue.state().last_verdict, rec, 'STATE.last_verdict is the reversion');
  assert.equal(x.blueLeft(), false);
  return rec;
}

test('the window passes: the standby attaches (STATE.standby with its memory), watches green for the whole window, records passed and leaves; green serves on', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world, w } = x;
  assert.deepEqual(w.adapters.calls, ['pause 3000', 'release'], 'blue paused for the handover and released its adapters');
  const file = world.verdict(HOME, ID)!;
  assert.equal(file.verdict, 'promoted');
  assert.deepEqual(file.observation, { until: x.promotedAt + 10 * MIN, ended_at: null, outcome: 'observing' });
  world.rssBytes.set(BLUE, 31_457_280);
  await world.advance(11_000);
  const o = await observer({ world, token: w.token }, 301);
  o.send({ type: 'STATUS' });
  const st = await o.take('STATE');
  assert.equal(st.server_pid, GREEN);
  assert.deepEqual(st.standby, { pid: BLUE, handoff_id: ID, until: x.promotedAt + 10 * MIN, rss_bytes: 31_457_280 });
  assert.equal(st.last_verdict?.observation?.outcome, 'observing');
  await world.until(() => x.blueLeft(), 11 * MIN, 'the end of the window');
  const rec = world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'promoted');
  assert.equal(rec.reason, file.reason, "the promotion's reason stands");
  assert.equal(rec.observation?.outcome, 'passed');
  assert.ok(rec.observation!.ended_at! >= x.promotedAt + 10 * MIN && rec.observation!.ended_at! < x.promotedAt + 10 * MIN + 1_000);
  assert.deepEqual(
    rec.timeline.slice(-2).map((t) => [t.phase, t.note]),
    [
      ['observing', `until ${formatTime(x.promotedAt + 10 * MIN)}`],
      ['observed', 'passed'],
    ],
  );
  assert.equal(world.isAlive(BLUE), false, 'the standby left');
  assert.equal(x.green.adapters.running, true, 'green serves on');
  assert.equal(world.listenerOf(SOCK), GREEN);
  o.send({ type: 'STATUS' });
  const after = await o.take('STATE');
  assert.equal(after.standby, null);
  assert.equal(after.last_verdict?.observation?.outcome, 'passed');
  assert.equal(x.pollers.most, 1);
});

for (const [when, at] of [
  ['just after the standby attached', 1_000],
  ['half-way through', 5 * MIN],
  ['a moment before the window ends', 10 * MIN - 2_000],
] as const) {
  test(`green killed ${when}: after the restart grace the standby takes back from green's last cursors, reverted`, async () => {
    const x = await promotedWithWindow(10 * MIN);
    const { world, w } = x;
    await world.advance(at - (world.now - x.promotedAt));
    x.green.adapters.answer(7);
    await world.advance(1_500); // a heartbeat carries the new cursors
    const last = x.green.adapters.offset;
    const killedAt = world.now;
    world.crash(GREEN);
    await world.advance(4_900);
    assert.notEqual(w.blue.standby(), null, 'the standby waits the restart grace first');
    assert.equal(w.adapters.running, false);
    const rec = await assertTakenBack(x, new RegExp(`^green \\(pid ${GREEN}\\) exited .+ after promotion; blue resumed from its cursors$`));
    assert.ok(rec.decided_at - killedAt >= WINDOW_DEADLINES.restart_grace_ms && rec.decided_at - killedAt < WINDOW_DEADLINES.restart_grace_ms + 500);
    assert.equal(offsetOf(w.adapters.calls.length ? JSON.parse(w.adapters.calls.at(-1)!.slice(6)) : null), last, "blue resumed from green's last cursors");
  });
}

test('green hangs: no HEALTH for longer than the limit, HANDOFF_ROLLBACK unanswered, killed after the grace, then the take-back', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world, w } = x;
  await world.advance(2 * MIN);
  const hungAt = world.now;
  world.freeze(GREEN);
  await world.until(() => w.blue.standby()?.phase === 'stopping', 10_000, 'the standby decides');
  assert.ok(world.now - hungAt > 3_000 && world.now - hungAt < 4_200, 'the heartbeat age limit (3 s) decided');
  assert.equal(world.verdict(HOME, ID)?.verdict, 'reverted', 'the reversion is written before green is stopped');
  const rec = await assertTakenBack(
    x,
    new RegExp(`^no HEALTH from green \\(pid ${GREEN}\\) for 3\\.\\d+ s \\(limit 3 s\\), 2 min( \\d+ s)? after promotion; green did not stop within 5 s and was killed; blue resumed from its cursors$`),
  );
  assert.ok(world.signals.some((s) => s.pid === GREEN && s.signal === 'SIGKILL'));
  assert.ok(rec.decided_at - hungAt >= 8_000);
});

test("green's error burst an hour in: ten breaching samples in a row make the standby take back; green stops and hands its cursors back", async () => {
  const x = await promotedWithWindow(2 * 60 * MIN, { max_heartbeat_age_ms: 3_000 });
  const { world, w } = x;
  await world.advance(60 * MIN);
  assert.equal(w.blue.standby()?.phase, 'observing');
  x.green.adapters.window = { handled: 10, errors: 10, latency_p50_ms: 5, latency_p99_ms: 20 };
  x.green.adapters.answer(3);
  await world.until(() => x.green.takenBack() !== null, 30_000, 'green told to stop');
  const stoppedAt = x.green.adapters.offset;
  const rec = await assertTakenBack(
    x,
    new RegExp(`^green \\(pid ${GREEN}\\): error rate 100% > 20% in ${DEFAULT_OBSERVE_THRESHOLDS.consecutive} consecutive samples, 1 h after promotion; blue resumed from its cursors$`),
  );
  assert.equal(x.green.takenBack(), rec.reason);
  assert.deepEqual(x.green.adapters.calls.slice(-1), ['pause 10000'], 'green drained before it handed back');
  assert.deepEqual(w.adapters.calls.slice(-1), [`start {"telegram":{"kind":"telegram","offset":${stoppedAt}}}`], "blue resumed from green's HANDOFF_STOPPED");
  assert.equal(world.signals.filter((s) => s.pid === GREEN).length, 0, 'green stopped by itself');
});

test('the standby is killed: green keeps serving, nothing failed; the window is recorded as standby-lost', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world } = x;
  await world.advance(3 * MIN);
  world.crash(BLUE);
  await world.advance(2_000);
  assert.equal(x.green.adapters.running, true);
  assert.equal(world.listenerOf(SOCK), GREEN);
  const rec = world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'promoted');
  assert.equal(rec.observation?.outcome, 'standby-lost');
  assert.match(rec.observation?.reason ?? '', new RegExp(`^the standby \\(pid ${BLUE}\\) exited 3 min after promotion; green serves unobserved$`));
  const o = await observer({ world, token: x.w.token }, 302);
  o.send({ type: 'STATUS' });
  const st = await o.take('STATE');
  assert.equal(st.standby, null);
  assert.equal(st.phase, 'idle');
  assert.equal(st.last_verdict?.verdict, 'promoted');
  // Green serves on as any blue: a later promotion is accepted.
  o.send({ type: 'RESERVE', handoff_id: 'h-2', release: 'r3', runtime: 'claw', bake_ms: 1_000 });
  assert.equal((await o.take('RESERVED')).handoff_id, 'h-2');
});

test('a new promotion during the window: RESERVE on green ends the standby first (STANDBY_END, superseded), then RESERVED; never two standbys', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world } = x;
  await world.advance(4 * MIN);
  const o = await observer({ world, token: x.w.token }, 303);
  o.send({ type: 'RESERVE', handoff_id: 'h-2', release: 'r3', runtime: 'claw', bake_ms: 1_000, observe_ms: 10 * MIN });
  const reserved = await o.take('RESERVED');
  assert.equal(reserved.observe_ms, 10 * MIN);
  assert.equal(world.isAlive(BLUE), false, 'the old standby left before RESERVED');
  assert.equal(x.blueLeft(), true);
  const rec = world.verdict(HOME, ID)!;
  assert.equal(rec.verdict, 'promoted');
  assert.deepEqual(rec.observation && { outcome: rec.observation.outcome, reason: rec.observation.reason }, { outcome: 'superseded', reason: 'superseded by handoff h-2' });
  o.send({ type: 'STATUS' });
  const st = await o.take('STATE');
  assert.equal(st.standby, null);
  assert.equal(st.phase, 'reserved');
  assert.equal(x.green.adapters.running, true);
});

test('a new promotion during the window, the standby hung: killed after 5 s, then RESERVED', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world } = x;
  await world.advance(MIN);
  world.freeze(BLUE);
  const o = await observer({ world, token: x.w.token }, 304);
  const t0 = world.now;
  o.send({ type: 'RESERVE', handoff_id: 'h-2', release: 'r3', runtime: 'claw', bake_ms: 1_000 });
  await o.take('RESERVED');
  assert.ok(world.now - t0 >= 5_000 && world.now - t0 < 5_500, `${world.now - t0} ms`);
  assert.ok(world.signals.some((s) => s.pid === BLUE && s.signal === 'SIGKILL'));
  assert.equal(world.isAlive(BLUE), false);
});

test('a restart of green inside the restart grace: the standby re-attaches to the restarted green and observes on; the window passes', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world, w } = x;
  await world.advance(2 * MIN);
  world.crash(GREEN);
  await world.advance(2_000);
  const again = await restartGreen(x, 201);
  assert.ok(again, 'the restarted green serves (its verdict is still promoted)');
  await world.until(() => w.blue.standby()?.green_pid === 201 && w.blue.standby()?.phase === 'observing', 5_000, 're-attached');
  await world.advance(5_000);
  assert.equal(w.adapters.running, false, 'no take-back');
  await world.until(() => x.blueLeft(), 10 * MIN, 'the end of the window');
  assert.equal(world.verdict(HOME, ID)?.observation?.outcome, 'passed');
  assert.equal(again.adapters.running, true);
  assert.equal(x.pollers.most, 1);
});

test('a restart of green after the restart grace: the standby took back first; the restarted green exits without serving (restart rule)', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world } = x;
  await world.advance(2 * MIN);
  world.crash(GREEN);
  await assertTakenBack(x, /exited 2 min after promotion; blue resumed from its cursors$/);
  const again = await restartGreen(x, 202);
  assert.equal(again, null, 'the restart exits: the verdict is reverted');
  assert.equal(world.isAlive(202), false);
  assert.equal(world.listenerOf(SOCK), BLUE);
  assert.equal(x.pollers.most, 1);
});

test('a restart that binds the socket in the instant after the take-back was decided is found by the last look and stopped like green', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world } = x;
  await world.advance(2 * MIN);
  // A restart that read the verdict (still promoted) and checked it again before the decision, and binds right after it.
  const promoted = world.verdict(HOME, ID);
  world.spawn(203);
  let late: Promise<Serving> | null = null;
  world.onVerdictWrite = (rec) => {
    if (rec.verdict !== 'reverted' || late) return;
    late = serveAs(world, 203, x.pollers, { takeover: true, startOffset: x.green.adapters.offset, lastVerdict: promoted });
    void late.then((s) => s.adapters.start(null));
  };
  world.crash(GREEN);
  await assertTakenBack(x, /exited 2 min after promotion; blue resumed from its cursors$/, 203);
  assert.ok(late, 'the restart bound the socket');
  const s = await (late as unknown as Promise<Serving>);
  assert.equal(s.takenBack(), world.verdict(HOME, ID)?.reason, 'it was told to stop, with the reason');
  assert.deepEqual(s.adapters.calls, ['start store', 'pause 10000']);
});

test('a green whose observation it cannot join (no window on its side): the standby gives the window up (standby-lost) and leaves; green is untouched', async () => {
  const x = await promotedWithWindow(10 * MIN);
  const { world, w } = x;
  // Green's listener restarted without the window (an older green): refuses the standby after a drop.
  await x.green.blue.close();
  world.fileMap.delete(`${HOME}/run/handoffs/${ID}.json`);
  const other = await serveAs(world, GREEN, x.pollers, { takeover: true, adapters: x.green.adapters });
  await world.until(() => x.blueLeft(), 30_000, 'the standby to give up');
  assert.equal(w.adapters.running, false);
  assert.equal(other.adapters.running, true);
  assert.equal(world.isAlive(GREEN), true);
});

test('green promoted with observe_ms 0: blue leaves at once, as before the window existed', async () => {
  const { blueWorld, reserve } = await import('./world.ts');
  const w = await blueWorld();
  const o = await observer(w);
  await reserve(o, { deadlines: WINDOW_DEADLINES });
  const gos = w.world.os(GREEN);
  const adapters = new FakeAdapters(w.world, GREEN, 0);
  let r: GreenResult | null = null;
  void runGreen({ socketPath: SOCK, home: HOME, handoffId: ID, release: 'r2', runtime: 'claw', storeSchema: 1, adapters, init: () => sleep(gos, 10), bluePid: BLUE, os: gos }).then((x) => (r = x));
  await w.world.until(() => r !== null, 30_000, 'green');
  const res = r as GreenResult | null;
  assert.ok(res?.kind === 'serving');
  assert.equal(res.verdict.observation, undefined);
  const pollers = new (await import('./fake-adapters.ts')).Pollers();
  await serveAs(w.world, GREEN, pollers, { takeover: true, adapters });
  res.confirm();
  await w.world.until(() => w.completed(), 5_000, 'blue to leave');
  assert.equal(w.blue.standby(), null);
  assert.deepEqual(w.adapters.calls, ['pause 3000']);
});
