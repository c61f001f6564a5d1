// The observation window in blue's machine: the old blue standing by after the promotion (the
// stand_by effect), and the listener side (a promoted green): a standby attaching, its status, a new
// RESERVE superseding it, its take-back, losing it. Random sequences keep one standby at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_OBSERVE_THRESHOLDS, STANDBY_END_MS, STANDBY_HEARTBEAT_MS } from '../../src/protocol/deadlines.ts';
import { initialState, view, type BlueEvent, type BlueState } from '../../src/protocol/machine.ts';
import type { VerdictRecord } from '../../src/protocol/frames.ts';
import { AT, assertWireSafe, BAKE_END, CUR_ACTIVE, drive, E, frameOf, GREEN, go, heartbeats, ID, kinds, only, SELF, T0, tg } from './machine-fixtures.ts';

const H = 3_600_000;
const STANDBY = 100;

/** The standard run up to green's answer to COMPLETE, reserved with a window of `observeMs`. */
function promotedWith(observeMs: number, thresholds?: Record<string, number>) {
  const evs: BlueEvent[] = [
    E.reserve(AT.reserve, { observe_ms: observeMs, ...(thresholds ? { observe_thresholds: thresholds } : {}) }),
    E.hello(AT.hello),
    E.ack(AT.ack),
    E.drained(AT.drained, CUR_ACTIVE, AT.paused),
    E.confirm(AT.confirm, AT.polling),
    ...heartbeats(AT.confirm, BAKE_END),
    E.health(BAKE_END, { seq: 9 }, tg(30)),
    E.greenComplete(BAKE_END + 5),
  ];
  return drive(initialState(SELF), evs);
}

test('a promotion reserved with observe_ms: the record carries the window; once the socket answers from green blue stands by instead of leaving', () => {
  const p = promotedWith(24 * H, { max_error_rate: 0.3 });
  const rec = p.state.handoff!.pending!;
  assert.deepEqual(rec.observation, { until: BAKE_END + 24 * H, ended_at: null, outcome: 'observing' });
  const r = go(p.state, E.checked(BAKE_END + 10));
  assert.deepEqual(kinds(r.effects), ['emit:verdict', 'close_green', 'stand_by']);
  const { setup } = only(r.effects, 'stand_by');
  assert.deepEqual(setup, {
    pid: SELF.pid,
    handoff_id: ID,
    green_pid: GREEN,
    release: 'r2',
    record: rec,
    until: BAKE_END + 24 * H,
    thresholds: { ...DEFAULT_OBSERVE_THRESHOLDS, max_error_rate: 0.3 },
    baseline: p.state.baseline,
    rollback_grace_ms: 5_000,
    restart_grace_ms: 5_000,
    cursors: tg(30),
  });
  assert.equal(r.state.deadline, null);
  // Without a window, the same promotion ends with exit.
  const plain = go(promotedWith(0).state, E.checked(BAKE_END + 10));
  assert.deepEqual(kinds(plain.effects), ['emit:verdict', 'close_green', 'exit']);
  assert.equal(promotedWith(0).state.handoff!.pending!.observation, undefined);
});

test('RESERVE: observe_ms and observe_thresholds are echoed complete; bad ones are a bad frame', () => {
  const r = go(initialState(SELF), E.reserve(T0, { observe_ms: 600_000, observe_thresholds: { consecutive: 4 } }));
  const f = frameOf(r.effects, 'reply') as { observe_ms: number; observe_thresholds: unknown };
  assert.equal(f.observe_ms, 600_000);
  assert.deepEqual(f.observe_thresholds, { ...DEFAULT_OBSERVE_THRESHOLDS, consecutive: 4 });
  const bad = go(initialState(SELF), E.reserve(T0, { observe_thresholds: { max_error_rate: 2 } }));
  assert.deepEqual(kinds(bad.effects), ['reply_close:ERROR bad_frame']);
  assert.match((frameOf(bad.effects, 'reply_close') as { message: string }).message, /^RESERVE: observe_thresholds\.max_error_rate: /);
  const neg = go(initialState(SELF), E.reserve(T0, { observe_ms: -1 }));
  assert.equal((frameOf(neg.effects, 'reply_close') as { message: string }).message, 'RESERVE: observe_ms: expected a whole number of milliseconds >= 0');
});

// --- the listener: a green that was promoted with a window

const UNTIL = T0 + 24 * H;
const PROMOTED: VerdictRecord = {
  v: 1,
  handoff_id: ID,
  verdict: 'promoted',
  reason: 'bake of 10 s passed: 9 heartbeats, 360 messages, error rate 0%, worst p99 50 ms',
  release: 'r1',
  runtime: 'legacy',
  blue_pid: STANDBY,
  green_pid: SELF.pid,
  decided_by: 'blue',
  decided_at: T0,
  dark_window_ms: 4,
  timeline: [],
  health: [],
  observation: { until: UNTIL, ended_at: null, outcome: 'observing' },
};
const sb = {
  hello: (now: number, pid = STANDBY, handoff_id = ID): BlueEvent => ({ type: 'standby_hello', now, handoff_id, pid }),
  status: (now: number, rss_bytes: number): BlueEvent => ({ type: 'standby_status', now, frame: { v: 1, type: 'STANDBY_STATUS', rss_bytes, until: UNTIL } }),
  rollback: (now: number, handoff_id = ID): BlueEvent => ({ type: 'standby_rollback', now, frame: { v: 1, type: 'HANDOFF_ROLLBACK', handoff_id, reason: 'green failed' } }),
  closed: (now: number, standby_alive: boolean, pid = STANDBY): BlueEvent => ({ type: 'standby_closed', now, pid, standby_alive }),
};
const listener = (last: VerdictRecord | null = PROMOTED) => initialState(SELF, last);
const attached = () => go(listener(), sb.hello(T0 + 1_000)).state;

test("the listener's window comes from its promoted last verdict while it is observing; a standby is welcomed for it", () => {
  assert.deepEqual(listener().window, { handoff_id: ID, until: UNTIL });
  assert.equal(listener({ ...PROMOTED, observation: { until: UNTIL, ended_at: T0 + 5, outcome: 'passed' } }).window, null);
  assert.equal(listener({ ...PROMOTED, observation: undefined }).window, null);
  assert.equal(listener(null).window, null);
  const r = go(listener(), sb.hello(T0 + 1_000));
  assert.deepEqual(r.effects, [
    { kind: 'adopt_standby', heartbeat_ms: STANDBY_HEARTBEAT_MS },
    { kind: 'to_standby', frame: { type: 'STANDBY_WELCOME', handoff_id: ID, server_pid: SELF.pid, release: 'r1', runtime: 'legacy', until: UNTIL, heartbeat_ms: STANDBY_HEARTBEAT_MS } },
  ]);
  assert.deepEqual(r.state.standby, { pid: STANDBY, handoff_id: ID, until: UNTIL, rss_bytes: null, ending: false });
  assert.equal(r.state.phase, 'idle', 'a standby changes nothing of the phase');
  const s = go(r.state, sb.status(T0 + 2_000, 41_000_000)).state;
  const st = view(s) as { standby: unknown };
  assertWireSafe(view(s));
  assert.deepEqual(st.standby, { pid: STANDBY, handoff_id: ID, until: UNTIL, rss_bytes: 41_000_000 });
});

test('standby HELLOs that are refused: no window, another id, the window over, a second standby; the same standby again replaces its connection', () => {
  const refusal = (s: BlueState, ev: BlueEvent) => frameOf(go(s, ev).effects, 'reply_close') as { code: string; message: string };
  assert.deepEqual(refusal(listener(null), sb.hello(T0)), { type: 'ERROR', code: 'unknown_handoff', message: `no observation window is open for handoff ${ID}`, frame: 'HELLO', fatal: true });
  assert.equal(refusal(listener(), sb.hello(T0, STANDBY, 'other')).code, 'unknown_handoff');
  assert.equal(refusal(listener(), sb.hello(UNTIL)).code, 'unknown_handoff');
  assert.deepEqual(refusal(attached(), sb.hello(T0 + 2_000, 777)), { type: 'ERROR', code: 'busy', message: `a standby (pid ${STANDBY}) already observes handoff ${ID}`, frame: 'HELLO', fatal: true });
  const again = go(attached(), sb.hello(T0 + 3_000));
  assert.deepEqual(kinds(again.effects), ['close_standby', 'adopt_standby', 'to_standby:STANDBY_WELCOME']);
  const busy = go(listener(), E.reserve(T0 + 10, { handoff_id: 'h2' })).state;
  assert.equal(refusal(busy, sb.hello(T0 + 20)).code, 'busy');
});

test('RESERVE while a standby observes: STANDBY_END first (the RESERVE is held), a second RESERVE is busy; once the standby is gone the RESERVE is taken', () => {
  const s = attached();
  const r = go(s, E.reserve(T0 + 5_000, { handoff_id: 'h2' }));
  const end = only(r.effects, 'end_standby');
  assert.deepEqual(end, {
    kind: 'end_standby',
    pid: STANDBY,
    frame: { type: 'STANDBY_END', handoff_id: ID, reason: 'superseded by handoff h2' },
    timeout_ms: STANDBY_END_MS,
    reserve: E.reserve(T0 + 5_000, { handoff_id: 'h2' }).frame,
  });
  assert.equal(r.effects.length, 1, 'no RESERVED yet');
  assert.equal(r.state.standby?.ending, true);
  assert.equal(r.state.window, null);
  assert.equal(r.state.phase, 'idle');
  assert.deepEqual(kinds(go(r.state, E.reserve(T0 + 5_001, { handoff_id: 'h3' })).effects), ['reply:ERROR busy']);
  // A RESERVE the listener refuses anyway (an id that has a verdict) leaves the standby alone.
  assert.deepEqual(kinds(go(s, E.reserve(T0 + 5_000, { handoff_id: ID })).effects), ['reply:ERROR exists']);
  const gone = go(r.state, sb.closed(T0 + 5_100, false));
  assert.deepEqual(gone.effects, [], 'superseded: the standby records that itself');
  assert.equal(gone.state.standby, null);
  const again = go(gone.state, E.reserve(T0 + 5_100, { handoff_id: 'h2' }));
  assert.deepEqual(kinds(again.effects), ['emit:phase', 'reply:RESERVED']);
});

test('HANDOFF_ROLLBACK from the standby: the listener stops serving and hands back its cursors; it takes no RESERVE and no standby meanwhile', () => {
  const r = go(attached(), sb.rollback(T0 + H));
  assert.deepEqual(r.effects, [{ kind: 'stop_serving', handoff_id: ID }]);
  assert.equal(r.state.reverting, 'green failed');
  assert.deepEqual(kinds(go(r.state, E.reserve(T0 + H + 1, { handoff_id: 'h2' })).effects), ['reply:ERROR busy']);
  assert.deepEqual(kinds(go(r.state, sb.rollback(T0 + H + 2)).effects), ['reply:ERROR wrong_phase']);
  assert.deepEqual(go(r.state, sb.closed(T0 + H + 3, false)).effects, [], 'the standby writes the reversion');
  assert.deepEqual(kinds(go(attached(), sb.rollback(T0 + H, 'other')).effects), ['reply:ERROR unknown_handoff']);
  assert.deepEqual(kinds(go(listener(), sb.rollback(T0 + H)).effects), ['reply:ERROR wrong_phase'], 'no standby, no take-back');
});

test('losing the standby changes nothing for the listener; a dead standby inside the window is recorded as standby-lost, a live one may come back', () => {
  const alive = go(attached(), sb.closed(T0 + H, true));
  assert.deepEqual(alive.effects, []);
  assert.deepEqual(alive.state.window, { handoff_id: ID, until: UNTIL }, 'it may attach again');
  const dead = go(attached(), sb.closed(T0 + H, false));
  assert.deepEqual(kinds(dead.effects), ['record']);
  const rec = only(dead.effects, 'record').record;
  assert.equal(rec.verdict, 'promoted');
  assert.deepEqual(rec.observation, { until: UNTIL, ended_at: T0 + H, outcome: 'standby-lost', reason: `the standby (pid ${STANDBY}) exited 1 h after promotion; green serves unobserved` });
  assert.deepEqual(dead.state.last_verdict, rec);
  assert.equal(dead.state.window, null);
  assert.equal(dead.state.phase, 'idle');
  // The window ended: the standby wrote passed and left.
  const over = go(attached(), sb.closed(UNTIL + 5, false));
  assert.deepEqual(over.effects, []);
  assert.equal(over.state.last_verdict?.observation?.outcome, 'passed');
  // A close of another pid (an old connection) is no news.
  assert.deepEqual(go(attached(), sb.closed(T0 + H, false, 555)).state.standby?.pid, STANDBY);
});

test('property: a listener never holds two standbys, answers RESERVED only without one, ends a standby before reserving, and its STATE always fits a line', () => {
  type Sp = { k: 'hello' | 'status' | 'rollback' | 'closed' | 'reserve' | 'tick' | 'abort'; dt: number; pid: number; alive: boolean; id: string };
  const arb = fc.record({
    k: fc.constantFrom('hello', 'hello', 'status', 'rollback', 'closed', 'closed', 'reserve', 'reserve', 'tick', 'abort'),
    dt: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 12 * H })),
    pid: fc.constantFrom(STANDBY, 101, 102),
    alive: fc.boolean(),
    id: fc.constantFrom(ID, 'h2', 'h3'),
  }) as fc.Arbitrary<Sp>;
  let superseded = 0;
  fc.assert(
    fc.property(fc.array(arb, { maxLength: 60 }), (specs) => {
      let s = listener();
      let now = T0;
      let stopped = false;
      for (const sp of specs) {
        now += sp.dt;
        const ev: BlueEvent =
          sp.k === 'hello'
            ? sb.hello(now, sp.pid, sp.id)
            : sp.k === 'status'
              ? sb.status(now, 1_000)
              : sp.k === 'rollback'
                ? sb.rollback(now, sp.id)
                : sp.k === 'closed'
                  ? sb.closed(now, sp.alive, sp.pid)
                  : sp.k === 'reserve'
                    ? E.reserve(now, { handoff_id: sp.id })
                    : sp.k === 'abort'
                      ? E.abort(now, 'x', sp.id)
                      : E.tick(now);
        const before = s;
        const r = go(s, ev);
        s = r.state;
        const k = kinds(r.effects);
        assertWireSafe(view(s));
        if (k.includes('adopt_standby')) assert.ok(before.standby === null || before.standby.pid === (ev as { pid: number }).pid, 'never two standbys');
        if (k.includes('reply:RESERVED')) assert.equal(before.standby, null, 'RESERVED only without a standby');
        if (k.includes('end_standby')) {
          assert.ok(before.standby && !before.standby.ending);
          superseded++;
        }
        if (k.includes('stop_serving')) {
          assert.ok(!stopped, 'stops once');
          stopped = true;
        }
        if (s.standby) assert.ok(s.handoff === null, 'no handoff while a standby observes');
      }
    }),
    { numRuns: 400 },
  );
  assert.ok(superseded > 0);
});
