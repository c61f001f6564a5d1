// The standby's pure state machine (src/protocol/standby.ts): every transition on its own, and random
// event sequences that must keep its promises (one ending, the reversion written before green is
// stopped, never a resume while green may still poll, every wait bounded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_OBSERVE_THRESHOLDS, PROBE_MS, STANDBY_STATUS_MS } from '../../src/protocol/deadlines.ts';
import { formatTime } from '../../src/protocol/format.ts';
import { VerdictRecord, type Cursors, type HealthSample } from '../../src/protocol/frames.ts';
import { standbyStart, standbyStep, STANDBY_ATTACH_MS, STANDBY_RETRY_MS, type StandbyEffect, type StandbyEvent, type StandbySetup, type StandbyState } from '../../src/protocol/standby.ts';
import { assertWireSafe } from './machine-fixtures.ts';

const T0 = 1_800_000_000_000;
const H = 3_600_000;
const GREEN = 4200;
const tg = (offset: number): Cursors => ({ telegram: { kind: 'telegram', offset } });

const PROMOTED: VerdictRecord = {
  v: 1,
  handoff_id: 'h1',
  verdict: 'promoted',
  reason: 'bake of 5 min passed: 300 heartbeats, 3120 messages, error rate 0.2%, worst p99 1.8 s',
  release: 'r2',
  runtime: 'claw',
  blue_pid: 100,
  green_pid: GREEN,
  decided_by: 'blue',
  decided_at: T0,
  dark_window_ms: 12,
  timeline: [{ phase: 'complete', at: T0, note: 'promoted: bake of 5 min passed' }],
  health: [],
  observation: { until: T0 + 24 * H, ended_at: null, outcome: 'observing' },
};

const SETUP: StandbySetup = {
  pid: 100,
  handoff_id: 'h1',
  green_pid: GREEN,
  release: 'r2',
  record: PROMOTED,
  until: T0 + 24 * H,
  thresholds: DEFAULT_OBSERVE_THRESHOLDS,
  baseline: { latency_p99_ms: 40, replies: 500 },
  rollback_grace_ms: 10_000,
  restart_grace_ms: 5_000,
  cursors: tg(500),
};

const E = {
  welcome: (now: number, server_pid = GREEN, release = 'r2'): StandbyEvent => ({
    type: 'welcome',
    now,
    frame: { v: 1, type: 'STANDBY_WELCOME', handoff_id: 'h1', server_pid, release, runtime: 'claw', until: SETUP.until, heartbeat_ms: 1_000 },
  }),
  refused: (now: number, answered = false, why = 'cannot connect: ECONNREFUSED'): StandbyEvent => ({ type: 'refused', now, why, answered }),
  closed: (now: number): StandbyEvent => ({ type: 'closed', now }),
  health: (now: number, s: Partial<HealthSample> = {}, cursors = tg(600)): StandbyEvent => ({
    type: 'health',
    now,
    frame: { v: 1, type: 'HEALTH', handoff_id: 'h1', sample: { seq: 1, at: now, handled: 10, errors: 0, latency_p50_ms: 5, latency_p99_ms: 20, ...s }, cursors },
  }),
  end: (now: number, reason = 'superseded by handoff h2'): StandbyEvent => ({ type: 'end', now, frame: { v: 1, type: 'STANDBY_END', handoff_id: 'h1', reason } }),
  stopped: (now: number, cursors = tg(700)): StandbyEvent => ({ type: 'stopped', now, frame: { v: 1, type: 'HANDOFF_STOPPED', handoff_id: 'h1', cursors } }),
  tick: (now: number, green_alive = true, rss_bytes = 30_000_000): StandbyEvent => ({ type: 'tick', now, green_alive, rss_bytes }),
};

/** One step, checked: the input state is left alone, frames are wire-safe, records valid. */
function go(s: StandbyState, ev: StandbyEvent): { state: StandbyState; effects: StandbyEffect[] } {
  const before = structuredClone(s);
  const r = standbyStep(s, ev);
  assert.deepEqual(s, before, `standbyStep(${ev.type}) changed its input state`);
  for (const fx of r.effects) {
    if (fx.kind === 'send') assertWireSafe(fx.frame);
    if (fx.kind === 'record' || fx.kind === 'reclaim') {
      const v = VerdictRecord.safeParse(fx.record);
      assert.ok(v.success, `invalid record: ${v.success ? '' : JSON.stringify(v.error.issues[0])}`);
    }
  }
  return r;
}

function drive(evs: StandbyEvent[], from = standbyStart(SETUP, T0 + 10).state) {
  let s = from;
  const effects: StandbyEffect[] = [];
  for (const ev of evs) {
    const r = go(s, ev);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s, effects };
}

const kinds = (fx: StandbyEffect[]) => fx.map((f) => (f.kind === 'send' ? `send:${f.frame.type}` : f.kind));
const recordOf = (fx: StandbyEffect[]) => {
  const r = fx.filter((f): f is Extract<StandbyEffect, { kind: 'record' }> => f.kind === 'record');
  return r[r.length - 1]!.record;
};
/** Attached and observing since T0 + 10 (the first STANDBY_STATUS went out). */
const observing = () => drive([E.welcome(T0 + 20), E.tick(T0 + 30)]).state;

test('the standby starts by attaching to green (bounded), and observes once green welcomes it; STANDBY_STATUS at once, then every 10 s', () => {
  const st = standbyStart(SETUP, T0 + 10);
  assert.deepEqual(st.effects, [{ kind: 'attach' }]);
  assert.equal(st.state.phase, 'attaching');
  assert.equal(st.state.deadline, T0 + 10 + STANDBY_ATTACH_MS);
  const w = go(st.state, E.welcome(T0 + 20));
  assert.deepEqual(w.effects, []);
  assert.equal(w.state.phase, 'observing');
  assert.equal(w.state.deadline, SETUP.until, 'the window bounds the observation');
  const t1 = go(w.state, E.tick(T0 + 30));
  assert.deepEqual(t1.effects, [{ kind: 'send', frame: { type: 'STANDBY_STATUS', rss_bytes: 30_000_000, until: SETUP.until } }]);
  assert.deepEqual(go(t1.state, E.tick(T0 + 30 + STANDBY_STATUS_MS - 1)).effects, []);
  assert.equal(kinds(go(t1.state, E.tick(T0 + 30 + STANDBY_STATUS_MS)).effects).join(), 'send:STANDBY_STATUS');
});

test('attaching: refused attempts are retried every 200 ms; a green that never accepts ends the window as standby-lost, green untouched', () => {
  let s = go(standbyStart(SETUP, T0).state, E.refused(T0 + 5, true, 'unknown_handoff: no observation window is open for handoff h1')).state;
  assert.deepEqual(go(s, E.tick(T0 + 5 + STANDBY_RETRY_MS - 1)).effects, []);
  const again = go(s, E.tick(T0 + 5 + STANDBY_RETRY_MS));
  assert.deepEqual(again.effects, [{ kind: 'attach' }]);
  s = again.state;
  const end = go(s, E.tick(T0 + STANDBY_ATTACH_MS));
  assert.deepEqual(kinds(end.effects), ['close', 'record', 'exit']);
  const rec = recordOf(end.effects);
  assert.equal(rec.verdict, 'promoted');
  assert.deepEqual(rec.observation, {
    until: SETUP.until,
    ended_at: T0 + STANDBY_ATTACH_MS,
    outcome: 'standby-lost',
    reason: `green (pid ${GREEN}) did not accept the standby within 5 s: unknown_handoff: no observation window is open for handoff h1`,
  });
  assert.ok(!end.effects.some((f) => f.kind === 'kill_green' || f.kind === 'reclaim'));
  assert.equal(end.state.phase, 'ended');
  assert.deepEqual(go(end.state, E.tick(T0 + 2 * H, false)).effects, [], 'nothing after the end');
});

test('the window passes: observation passed, the promotion stands, the standby leaves', () => {
  const r = drive([E.health(T0 + 20_000), E.tick(T0 + 20_001), E.health(SETUP.until - 1), E.tick(SETUP.until)], observing());
  const end = r.effects.slice(-3);
  assert.deepEqual(kinds(end), ['close', 'record', 'exit']);
  const rec = recordOf(r.effects);
  assert.equal(rec.verdict, 'promoted');
  assert.equal(rec.reason, PROMOTED.reason);
  assert.equal(rec.decided_at, T0);
  assert.deepEqual(rec.observation, { until: SETUP.until, ended_at: SETUP.until, outcome: 'passed' });
  assert.deepEqual(rec.timeline.slice(-2), [
    { phase: 'observing', at: T0 + 10, note: `until ${formatTime(SETUP.until)}` },
    { phase: 'observed', at: SETUP.until, note: 'passed' },
  ]);
  assert.deepEqual(end[2], { kind: 'exit', outcome: 'passed' });
});

test('green fails its health: the reversion is written first, then HANDOFF_ROLLBACK; its HANDOFF_STOPPED cursors are where blue resumes', () => {
  let s = observing();
  const bad = { handled: 10, errors: 5 };
  for (let i = 1; i < 10; i++) {
    const r = go(s, E.health(T0 + H + i * 1000, bad));
    assert.deepEqual(r.effects, [], `sample ${i}`);
    s = r.state;
  }
  const decide = go(s, E.health(T0 + H + 10_000, bad, tg(650)));
  assert.deepEqual(kinds(decide.effects), ['record', 'send:HANDOFF_ROLLBACK']);
  const rec = recordOf(decide.effects);
  const reason = `green (pid ${GREEN}): error rate 50% > 20% in 10 consecutive samples, 1 h after promotion; blue resumed from its cursors`;
  assert.equal(rec.verdict, 'reverted');
  assert.equal(rec.reason, reason);
  assert.equal(rec.decided_at, T0 + H + 10_000);
  assert.deepEqual(rec.observation, { until: SETUP.until, ended_at: T0 + H + 10_000, outcome: 'reverted' });
  assert.deepEqual(decide.effects[1], { kind: 'send', frame: { type: 'HANDOFF_ROLLBACK', handoff_id: 'h1', reason } });
  assert.equal(decide.state.phase, 'stopping');
  assert.equal(decide.state.deadline, T0 + H + 10_000 + SETUP.rollback_grace_ms);
  // Green may poll until it stops: its HEALTH still moves the cursors; its HANDOFF_STOPPED ends it.
  const more = go(decide.state, E.health(T0 + H + 10_500, bad, tg(660)));
  assert.deepEqual(more.effects, []);
  const done = go(more.state, E.stopped(T0 + H + 11_000, tg(670)));
  assert.deepEqual(done.effects, [
    { kind: 'close' },
    { kind: 'reclaim', record: rec },
    { kind: 'resume', cursors: tg(670) },
  ]);
  assert.equal(done.state.phase, 'served');
  assert.equal(done.state.deadline, null);
});

test('green that does not stop after HANDOFF_ROLLBACK is killed at the grace; the record says so; blue resumes from the latest cursors', () => {
  const s = drive([E.health(T0 + 1_000, {}, tg(610)), E.tick(T0 + 1_000 + 30_001)], observing());
  assert.equal(s.state.phase, 'stopping');
  const reason = recordOf(s.effects).reason;
  assert.equal(reason, `no HEALTH from green (pid ${GREEN}) for 30.001 s (limit 30 s), 31 s after promotion; blue resumed from its cursors`);
  assert.deepEqual(go(s.state, E.tick(s.state.deadline! - 1)).effects, []);
  const k = go(s.state, E.tick(s.state.deadline!));
  assert.deepEqual(kinds(k.effects), ['kill_green', 'record', 'close', 'reclaim', 'resume']);
  assert.deepEqual(k.effects[0], { kind: 'kill_green', pid: GREEN });
  const rec = recordOf(k.effects);
  assert.equal(rec.reason, `no HEALTH from green (pid ${GREEN}) for 30.001 s (limit 30 s), 31 s after promotion; green did not stop within 10 s and was killed; blue resumed from its cursors`);
  assert.deepEqual(k.effects[3], { kind: 'reclaim', record: rec });
  assert.deepEqual(k.effects[4], { kind: 'resume', cursors: tg(610) });
});

test("green's pid goes: the standby waits the restart grace, trying to attach; a green that listens again with the promoted release is observed instead", () => {
  const w = go(observing(), E.tick(T0 + H, false));
  assert.deepEqual(kinds(w.effects), ['close']);
  assert.equal(w.state.phase, 'waiting');
  assert.equal(w.state.deadline, T0 + H + SETUP.restart_grace_ms);
  const a = go(w.state, E.tick(T0 + H + 1));
  assert.deepEqual(a.effects, [{ kind: 'attach' }]);
  // Another release on the socket is not green restarted.
  const other = go(a.state, E.welcome(T0 + H + 50, 4300, 'r9'));
  assert.deepEqual(other.effects, [{ kind: 'close' }]);
  assert.equal(other.state.phase, 'waiting');
  const back = go(drive([E.tick(T0 + H + 300)], other.state).state, E.welcome(T0 + H + 400, 4301));
  assert.equal(back.state.phase, 'observing');
  assert.equal(back.state.green_pid, 4301);
  assert.equal(back.state.deadline, SETUP.until);
  // The restarted green is judged afresh: its heartbeat age starts now.
  assert.deepEqual(go(back.state, E.tick(T0 + H + 400 + 30_000)).effects.map((f) => f.kind), ['send']);
});

test("no restart within the grace: the reversion is written, the socket is asked once more, nothing answers: take back from green's last cursors", () => {
  const s = drive([E.health(T0 + 2 * H, {}, tg(640)), E.tick(T0 + 3 * H + 12 * 60_000, false)], observing()).state;
  const d = go(s, E.tick(T0 + 3 * H + 12 * 60_000 + SETUP.restart_grace_ms));
  assert.deepEqual(kinds(d.effects), ['record', 'attach']);
  const rec = recordOf(d.effects);
  assert.equal(rec.reason, `green (pid ${GREEN}) exited 3 h 12 min after promotion; blue resumed from its cursors`);
  assert.equal(d.state.phase, 'stopping');
  assert.equal(d.state.green_pid, null);
  assert.equal(d.state.deadline, T0 + 3 * H + 12 * 60_000 + SETUP.restart_grace_ms + PROBE_MS);
  const f = go(d.state, E.refused(T0 + 3 * H + 12 * 60_000 + SETUP.restart_grace_ms + 3));
  assert.deepEqual(f.effects, [
    { kind: 'reclaim', record: rec },
    { kind: 'resume', cursors: tg(640) },
  ]);
});

test('a restart that answers the last look after the decision is stopped like green, then the take-back', () => {
  const s = drive([E.tick(T0 + H, false), E.tick(T0 + H + 5_000)], observing()).state;
  const w = go(s, E.welcome(T0 + H + 5_010, 4302));
  assert.deepEqual(kinds(w.effects), ['send:HANDOFF_ROLLBACK']);
  assert.equal(w.state.green_pid, 4302);
  assert.equal(w.state.deadline, T0 + H + 5_010 + SETUP.rollback_grace_ms);
  const done = go(w.state, E.stopped(T0 + H + 5_100, tg(720)));
  assert.deepEqual(kinds(done.effects), ['close', 'reclaim', 'resume']);
});

test('STANDBY_END: the window is superseded by a new handoff; recorded, the standby leaves', () => {
  const r = go(observing(), E.end(T0 + 2 * H));
  assert.deepEqual(kinds(r.effects), ['close', 'record', 'exit']);
  assert.deepEqual(recordOf(r.effects).observation, { until: SETUP.until, ended_at: T0 + 2 * H, outcome: 'superseded', reason: 'superseded by handoff h2' });
  assert.deepEqual(r.effects[2], { kind: 'exit', outcome: 'superseded' });
});

test('a live green that refuses the standby after a dropped connection (its window closed): standby-lost; one that merely drops is attached again', () => {
  const s = drive([E.health(T0 + H), E.tick(T0 + H + 1_000)], observing()).state;
  const c = go(s, E.closed(T0 + H + 1_100));
  assert.deepEqual(c.effects, []);
  const a = go(c.state, E.tick(T0 + H + 1_100 + STANDBY_RETRY_MS));
  assert.deepEqual(a.effects, [{ kind: 'attach' }]);
  const back = go(a.state, E.welcome(T0 + H + 1_400));
  assert.equal(back.state.phase, 'observing');
  const refused = go(a.state, E.refused(T0 + H + 1_400, true, 'busy: handoff h2 is reserved; no observation window is open'));
  assert.deepEqual(kinds(refused.effects), ['record', 'exit']);
  assert.equal(recordOf(refused.effects).observation?.reason, `green (pid ${GREEN}) refused the standby 1 h after promotion: busy: handoff h2 is reserved; no observation window is open`);
});

test('a green pid gone at the end of the window is still waited for and taken back: the failure came inside the window', () => {
  const s = drive([E.tick(SETUP.until - 100, false), E.tick(SETUP.until + 1)], observing()).state;
  assert.equal(s.phase, 'waiting');
  assert.equal(kinds(go(s, E.tick(SETUP.until - 100 + SETUP.restart_grace_ms)).effects)[0], 'record');
});

// --- property: random event sequences

type Spec = { k: 'welcome' | 'refused' | 'closed' | 'health' | 'end' | 'stopped' | 'tick'; dt: number; ok: boolean; alive: boolean; bad: boolean; pid: number };

const specArb: fc.Arbitrary<Spec> = fc.record({
  k: fc.constantFrom('welcome', 'refused', 'closed', 'health', 'end', 'stopped', 'tick', 'tick', 'tick', 'health'),
  dt: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 * H }) }),
  ok: fc.nat({ max: 4 }).map((n) => n > 0),
  alive: fc.nat({ max: 6 }).map((n) => n > 0),
  bad: fc.nat({ max: 3 }).map((n) => n === 0),
  pid: fc.constantFrom(GREEN, 4301, 4302),
});

function eventFor(sp: Spec, now: number): StandbyEvent {
  switch (sp.k) {
    case 'welcome':
      return E.welcome(now, sp.pid, sp.ok ? 'r2' : 'r9');
    case 'refused':
      return E.refused(now, sp.ok);
    case 'closed':
      return E.closed(now);
    case 'health':
      return E.health(now, sp.bad ? { errors: 10 } : {}, tg(now % 997));
    case 'end':
      return E.end(now);
    case 'stopped':
      return E.stopped(now, tg(now % 991));
    case 'tick':
      return E.tick(now, sp.alive);
  }
}

test('property: random events never throw; one ending at most (leave, or write the reversion then take back); the reversion before any stop; resume only after reclaim; every phase but the last two has a deadline', () => {
  let tookBack = 0;
  let left = 0;
  fc.assert(
    fc.property(fc.array(specArb, { maxLength: 120 }), (specs) => {
      let s = standbyStart(SETUP, T0).state;
      let now = T0;
      let reverted = false;
      let reclaimed = false;
      let ended = false;
      const step = (ev: StandbyEvent) => {
        const before = s;
        const r = go(s, ev);
        s = r.state;
        if (before.phase === 'served' || before.phase === 'ended') assert.deepEqual(r.effects, [], 'nothing after the end');
        assert.equal(s.deadline === null, s.phase === 'served' || s.phase === 'ended', `${s.phase} with deadline ${s.deadline}`);
        for (const fx of r.effects) {
          if (fx.kind === 'record' && fx.record.verdict === 'reverted') reverted = true;
          if (fx.kind === 'kill_green' || (fx.kind === 'send' && fx.frame.type === 'HANDOFF_ROLLBACK')) assert.ok(reverted, 'the reversion is written before green is stopped');
          if (fx.kind === 'kill_green') assert.equal(fx.pid, before.green_pid, 'only the green being watched is killed');
          if (fx.kind === 'reclaim') {
            assert.ok(reverted && !reclaimed && !ended);
            assert.equal(fx.record.verdict, 'reverted');
            reclaimed = true;
          }
          if (fx.kind === 'resume') assert.ok(reclaimed, 'resume only after the socket is back');
          if (fx.kind === 'exit') {
            assert.ok(!reverted && !ended, 'leave only without a take-back, once');
            ended = true;
          }
          if (fx.kind === 'record' && fx.record.verdict === 'promoted') assert.notEqual(fx.record.observation?.outcome, 'observing');
        }
      };
      for (const sp of specs) {
        now += sp.dt;
        step(eventFor(sp, now));
      }
      // Time runs on: every wait ends.
      for (let i = 0; i < 4; i++) {
        now += 30 * H;
        step(E.tick(now, true));
      }
      assert.ok(s.phase === 'served' || s.phase === 'ended', `stuck in ${s.phase}`);
      assert.equal(s.phase === 'served', reclaimed);
      if (reclaimed) tookBack++;
      if (ended) left++;
    }),
    { numRuns: 500 },
  );
  assert.ok(tookBack > 0 && left > 0, `take-backs ${tookBack}, endings ${left}`);
});
