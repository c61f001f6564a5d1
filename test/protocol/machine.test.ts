import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { initialState, step, view, type BlueEvent, type BlueState } from '../../src/protocol/machine.ts';
import { encodeFrame, MAX_LINE_BYTES } from '../../src/protocol/framing.ts';
import { DEFAULT_DEADLINES, DEFAULT_OBSERVE_THRESHOLDS, DEFAULT_THRESHOLDS } from '../../src/protocol/deadlines.ts';
import type { Cursors, Phase } from '../../src/protocol/frames.ts';
import {
  assertWireSafe,
  AT,
  BAKE,
  BAKE_END,
  CUR_ACTIVE,
  DL,
  drive,
  E,
  frameOf,
  GREEN,
  go,
  heartbeats,
  ID,
  kinds,
  only,
  PHASES,
  reach,
  SELF,
  T0,
  TH,
  tg,
} from './machine-fixtures.ts';

const ENDED = ['emit:phase', 'record', 'emit:verdict'];

function recordOf(r: { effects: Parameters<typeof only>[0] }) {
  return only(r.effects, 'record').record;
}

/** Asserts the step ended the handoff with `verdict` and `reason`, blue back to idle. */
function assertEnded(r: ReturnType<typeof go>, verdict: 'failed' | 'rolled-back', reason: string): void {
  const rec = recordOf(r);
  assert.equal(rec.verdict, verdict);
  assert.equal(rec.reason, reason);
  assert.equal(r.state.phase, 'idle');
  assert.equal(r.state.deadline, null);
  assert.equal(r.state.handoff, null);
  assert.deepEqual(r.state.last_verdict, rec);
  const verdicts = r.effects.filter((f) => f.kind === 'emit' && f.event.kind === 'verdict');
  assert.deepEqual(verdicts, [{ kind: 'emit', event: { kind: 'verdict', record: rec } }], 'the verdict EVENT carries the record');
}

test('a blue that has just started is idle, without a deadline or a handoff', () => {
  const s = initialState(SELF);
  assert.deepEqual(s, {
    phase: 'idle',
    deadline: null,
    self: SELF,
    baseline: { latency_p99_ms: null, replies: 0 },
    handoff: null,
    last_verdict: null,
    unrecorded: [],
    window: null,
    standby: null,
    reverting: null,
  });
  const last = reach('complete').s.last_verdict;
  assert.equal(initialState(SELF, last).last_verdict, last);
});

test('baseline: set between handoffs only (a refused RESERVE must not move the bake under way), and nothing else', () => {
  for (const p of PHASES) {
    const { s, now } = reach(p);
    const r = go(s, E.baseline(now, 123, 40));
    assert.deepEqual(r.effects, []);
    assert.deepEqual(r.state, p === 'idle' ? { ...s, baseline: { latency_p99_ms: 123, replies: 40 } } : s, p);
  }
});

test('RESERVE when idle: reserved until the claim deadline, RESERVED with the full settings', () => {
  const r = go(initialState(SELF), E.reserve(T0));
  assert.deepEqual(kinds(r.effects), ['emit:phase', 'reply:RESERVED']);
  assert.deepEqual(frameOf(r.effects, 'reply'), {
    type: 'RESERVED',
    handoff_id: ID,
    expires_at: T0 + 60_000,
    thresholds: TH,
    deadlines: DL,
    observe_ms: 0,
    observe_thresholds: DEFAULT_OBSERVE_THRESHOLDS,
  });
  assert.deepEqual(only(r.effects, 'emit').event, { kind: 'phase', handoff_id: ID, phase: 'reserved', at: T0, note: 'release r2, runtime claw' });
  assert.equal(r.state.phase, 'reserved');
  assert.equal(r.state.deadline, T0 + 60_000);
  const h = r.state.handoff!;
  assert.deepEqual(
    { id: h.id, release: h.release, runtime: h.runtime, bake_ms: h.bake_ms, started_at: h.started_at, green_pid: h.green_pid, handed: h.handed },
    { id: ID, release: 'r2', runtime: 'claw', bake_ms: BAKE, started_at: T0, green_pid: null, handed: null },
  );
  assert.deepEqual(h.timeline, [{ phase: 'reserved', at: T0, note: 'release r2, runtime claw' }]);

  // Without settings, the defaults apply; partial settings are completed.
  const d = go(initialState(SELF), E.reserve(T0, { thresholds: undefined, deadlines: { ack_ms: 7_000 } }));
  assert.deepEqual(frameOf(d.effects, 'reply'), {
    type: 'RESERVED',
    handoff_id: ID,
    expires_at: T0 + DEFAULT_DEADLINES.claim_ms,
    thresholds: DEFAULT_THRESHOLDS,
    deadlines: { ...DEFAULT_DEADLINES, ack_ms: 7_000 },
    observe_ms: 0,
    observe_thresholds: DEFAULT_OBSERVE_THRESHOLDS,
  });
});

test('RESERVE in any other phase: ERROR busy, nothing changes', () => {
  for (const p of PHASES.filter((x) => x !== 'idle')) {
    const { s, now } = reach(p);
    const r = go(s, E.reserve(now, { handoff_id: 'h2' }));
    assert.deepEqual(kinds(r.effects), ['reply:ERROR busy'], p);
    assert.deepEqual(frameOf(r.effects, 'reply'), { type: 'ERROR', code: 'busy', message: `handoff h1 is ${p}; one handoff at a time`, frame: 'RESERVE', fatal: false });
    assert.deepEqual(r.state, s, p);
  }
});

test('RESERVE after a handoff ended: accepted, the last verdict is kept for STATUS', () => {
  const { s, now } = reach('reserved');
  const failed = go(s, E.abort(now));
  const again = go(failed.state, E.reserve(now + 1, { handoff_id: 'h2' }));
  assert.equal(again.state.phase, 'reserved');
  assert.equal(again.state.handoff?.id, 'h2');
  assert.equal(again.state.last_verdict?.handoff_id, ID);
});

test('RESERVE with settings that were never validated does not throw', () => {
  const ev = E.reserve(T0);
  const bad = { ...ev, frame: { ...ev.frame, deadlines: { claim_ms: -5 } } };
  const r = go(initialState(SELF), bad);
  assert.deepEqual(kinds(r.effects), ['reply_close:ERROR bad_frame']);
  assert.match((frameOf(r.effects, 'reply_close') as { message: string }).message, /^RESERVE: deadlines\.claim_ms: /);
  assert.equal(r.state.phase, 'idle');
});

test('claim deadline: a reservation no green claims fails at its deadline, not before', () => {
  const { s } = reach('reserved');
  assert.deepEqual(go(s, E.tick(T0 + 59_999)).effects, []);
  const r = go(s, E.tick(T0 + 60_000));
  assert.deepEqual(kinds(r.effects), ENDED);
  assertEnded(r, 'failed', 'no green claimed handoff h1 within 1 min');
  const rec = recordOf(r);
  assert.equal(rec.green_pid, null);
  assert.equal(rec.dark_window_ms, null);
  assert.deepEqual(
    rec.timeline.map((t) => t.phase),
    ['reserved', 'idle'],
  );
  assert.equal(rec.timeline[1]?.note, 'failed: no green claimed handoff h1 within 1 min');
});

test('green HELLO with the reserved id: adopted, HANDOFF_INIT with blue and store, init until the ack deadline', () => {
  const { s } = reach('reserved');
  const r = go(s, E.hello(AT.hello));
  assert.deepEqual(kinds(r.effects), ['adopt_green', 'to_green:HANDOFF_INIT', 'emit:phase']);
  assert.deepEqual(frameOf(r.effects, 'to_green'), {
    type: 'HANDOFF_INIT',
    handoff_id: ID,
    blue_pid: 100,
    release: 'r1',
    runtime: 'legacy',
    store: { path: '/srv/hermes/store', schema: 3 },
    bake_ms: BAKE,
    deadlines: DL,
  });
  assert.equal(r.state.phase, 'init');
  assert.equal(r.state.deadline, AT.hello + DL.ack_ms);
  assert.equal(r.state.handoff?.green_pid, GREEN);
  assert.equal(r.state.handoff?.timeline.at(-1)?.note, `green pid ${GREEN}`);
});

test('green HELLO with the wrong id, with no reservation, or a second green: busy and closed', () => {
  const cases: [Phase, string, string][] = [
    ['idle', ID, 'no handoff is reserved'],
    ['reserved', 'h2', 'no reservation for handoff h2'],
    ['init', ID, 'handoff h1 is already claimed (init)'],
    ['draining', ID, 'handoff h1 is already claimed (draining)'],
    ['active', ID, 'handoff h1 is already claimed (active)'],
    ['baking', ID, 'handoff h1 is already claimed (baking)'],
    ['baking', 'h2', 'no reservation for handoff h2'],
    ['rolling-back', ID, 'handoff h1 is already claimed (rolling-back)'],
    ['complete', ID, 'handoff h1 is already claimed (complete)'],
  ];
  for (const [p, id, message] of cases) {
    const { s, now } = reach(p);
    const r = go(s, E.hello(now, id, 777));
    assert.deepEqual(kinds(r.effects), ['reply_close:ERROR busy'], `${p} ${id}`);
    assert.deepEqual(frameOf(r.effects, 'reply_close'), { type: 'ERROR', code: 'busy', message, frame: 'HELLO', fatal: true });
    assert.deepEqual(r.state, s, `${p} ${id}`);
  }
});

test('HANDOFF_ACK: blue drains, with the drain deadline; the pid from ACK is the one blue watches', () => {
  const { s } = reach('init');
  const r = go(s, E.ack(AT.ack, { pid: 556 }));
  assert.deepEqual(kinds(r.effects), ['emit:phase', 'drain']);
  assert.equal(r.state.phase, 'draining');
  assert.equal(r.state.deadline, AT.ack + DL.drain_ms);
  assert.equal(r.state.handoff?.green_pid, 556);
  assert.equal(r.state.handoff?.timeline.at(-1)?.note, 'green ready after 2.9 s');
});

test('HANDOFF_ACK with another release or runtime: failed before any handover, green stopped, blue never paused', () => {
  const cases: [Record<string, string>, string][] = [
    [{ release: 'r3' }, 'green reports release r3, expected r2'],
    [{ runtime: 'legacy' }, 'green reports runtime legacy, expected claw'],
  ];
  for (const [patch, reason] of cases) {
    const { s } = reach('init');
    const r = go(s, E.ack(AT.ack, patch));
    assert.deepEqual(kinds(r.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED]);
    assert.deepEqual(frameOf(r.effects, 'to_green'), { type: 'HANDOFF_ROLLBACK', handoff_id: ID, reason });
    assert.deepEqual(only(r.effects, 'stop_green'), { kind: 'stop_green', pid: GREEN, grace_ms: DL.rollback_grace_ms });
    assertEnded(r, 'failed', reason);
  }
});

test('HANDOFF_ACK with a wrong id: unknown_handoff; in another phase: wrong_phase; nothing changes', () => {
  const { s, now } = reach('init');
  const r = go(s, E.ack(now, { handoff_id: 'h2' }));
  assert.deepEqual(frameOf(r.effects, 'reply'), {
    type: 'ERROR',
    code: 'unknown_handoff',
    message: 'HANDOFF_ACK names handoff h2; the current handoff is h1',
    frame: 'HANDOFF_ACK',
    fatal: false,
  });
  assert.deepEqual(r.state, s);
  for (const p of PHASES.filter((x) => x !== 'init')) {
    const at = reach(p);
    const w = go(at.s, E.ack(at.now));
    const where = p === 'idle' ? 'blue is idle' : `handoff h1 is ${p}`;
    assert.deepEqual(frameOf(w.effects, 'reply'), { type: 'ERROR', code: 'wrong_phase', message: `HANDOFF_ACK is not accepted now: ${where}`, frame: 'HANDOFF_ACK', fatal: false }, p);
    assert.deepEqual(w.state, at.s, p);
  }
});

test('ack deadline, and green gone before ACK: failed, green stopped, no resume', () => {
  const { s } = reach('init');
  assert.deepEqual(go(s, E.tick(AT.hello + DL.ack_ms - 1)).effects, []);
  const late = go(s, E.tick(AT.hello + DL.ack_ms));
  assert.deepEqual(kinds(late.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED]);
  assertEnded(late, 'failed', 'green did not send HANDOFF_ACK within 20 s');
  const dead = go(s, E.tick(AT.hello + 10, false));
  assert.deepEqual(kinds(dead.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED]);
  assertEnded(dead, 'failed', `green (pid ${GREEN}) exited before HANDOFF_ACK`);
});

test('drained: HANDOFF_ACTIVE with the cursors, active until the confirm deadline', () => {
  const { s } = reach('draining');
  const r = go(s, E.drained(AT.drained, CUR_ACTIVE, AT.paused));
  assert.deepEqual(kinds(r.effects), ['to_green:HANDOFF_ACTIVE', 'emit:phase']);
  assert.deepEqual(frameOf(r.effects, 'to_green'), { type: 'HANDOFF_ACTIVE', handoff_id: ID, cursors: CUR_ACTIVE, drained: 2, paused_at: AT.paused });
  assert.equal(r.state.phase, 'active');
  assert.equal(r.state.deadline, AT.drained + DL.confirm_ms);
  assert.deepEqual(r.state.handoff?.handed, CUR_ACTIVE);
  assert.equal(r.state.handoff?.timeline.at(-1)?.note, '2 in-flight finished');
});

test('a late drained (the drain was abandoned) is ignored in every other phase', () => {
  for (const p of PHASES.filter((x) => x !== 'draining')) {
    const { s, now } = reach(p);
    const r = go(s, E.drained(now));
    assert.deepEqual(r.effects, [], p);
    assert.deepEqual(r.state, s, p);
  }
  const { s, now } = reach('draining');
  const failed = go(s, E.abort(now));
  const late = go(failed.state, E.drained(now + 5));
  assert.deepEqual(late.effects, []);
  assert.equal(late.state.phase, 'idle');
});

test('drain deadline, and green gone while draining: failed, blue resumes from its own position', () => {
  const { s } = reach('draining');
  assert.deepEqual(go(s, E.tick(AT.ack + DL.drain_ms - 1)).effects, []);
  const late = go(s, E.tick(AT.ack + DL.drain_ms));
  assert.deepEqual(kinds(late.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', 'resume', ...ENDED]);
  assert.deepEqual(only(late.effects, 'resume'), { kind: 'resume', cursors: null });
  assertEnded(late, 'failed', 'blue could not finish in-flight work within 3 s');
  const dead = go(s, E.tick(AT.ack + 10, false));
  assert.deepEqual(kinds(dead.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', 'resume', ...ENDED]);
  assertEnded(dead, 'failed', `green (pid ${GREEN}) exited while blue was draining`);
});

test('HANDOFF_CONFIRM: the bake starts, with the bake deadline and the dark window', () => {
  const { s } = reach('active');
  const r = go(s, E.confirm(AT.confirm, AT.polling));
  assert.deepEqual(kinds(r.effects), ['emit:phase']);
  assert.equal(r.state.phase, 'baking');
  assert.equal(r.state.deadline, AT.confirm + BAKE);
  assert.equal(r.state.handoff?.bake_started_at, AT.confirm);
  assert.equal(r.state.handoff?.polling_at, AT.polling);
  assert.equal(r.state.handoff?.timeline.at(-1)?.note, 'green polling after a 4 ms dark window');
  // A first poll stamped before the pause is a zero dark window, never negative.
  assert.equal(go(s, E.confirm(AT.confirm, AT.paused - 50)).state.handoff?.timeline.at(-1)?.note, 'green polling after a 0 ms dark window');
});

test('HANDOFF_CONFIRM with a wrong id or in another phase is refused; nothing changes', () => {
  const { s, now } = reach('active');
  const r = go(s, E.confirm(now, now, 'h2'));
  assert.deepEqual(kinds(r.effects), ['reply:ERROR unknown_handoff']);
  assert.deepEqual(r.state, s);
  for (const p of PHASES.filter((x) => x !== 'active')) {
    const at = reach(p);
    const w = go(at.s, E.confirm(at.now, at.now));
    assert.deepEqual(kinds(w.effects), ['reply:ERROR wrong_phase'], p);
    assert.deepEqual(w.state, at.s, p);
  }
});

test('confirm deadline, and green gone before CONFIRM: rolling back, then resumed from the cursors of ACTIVE', () => {
  const { s } = reach('active');
  assert.deepEqual(go(s, E.tick(AT.drained + DL.confirm_ms - 1)).effects, []);
  const late = go(s, E.tick(AT.drained + DL.confirm_ms));
  const reason = 'green did not send HANDOFF_CONFIRM within 4 s';
  assert.deepEqual(kinds(late.effects), ['to_green:HANDOFF_ROLLBACK', 'emit:phase']);
  assert.deepEqual(frameOf(late.effects, 'to_green'), { type: 'HANDOFF_ROLLBACK', handoff_id: ID, reason });
  assert.equal(late.state.phase, 'rolling-back');
  assert.equal(late.state.deadline, AT.drained + DL.confirm_ms + DL.rollback_grace_ms);
  const gone = go(late.state, E.tick(AT.drained + DL.confirm_ms + 20, false));
  assert.deepEqual(kinds(gone.effects), ['resume', 'close_green', ...ENDED]);
  assert.deepEqual(only(gone.effects, 'resume').cursors, CUR_ACTIVE);
  assertEnded(gone, 'rolled-back', reason);
  assert.equal(recordOf(gone).dark_window_ms, AT.drained + DL.confirm_ms + 20 - AT.paused, 'without CONFIRM the dark window ends when blue resumes');

  const dead = go(s, E.tick(AT.drained + 10, false));
  assert.equal(dead.state.phase, 'rolling-back');
  assert.equal(dead.state.handoff?.rollback_reason, `green (pid ${GREEN}) exited during the handover`);
});

test('bake end: promoted by the first healthy HEALTH at or after the deadline; record and COMPLETE, then the verdict and exit once green owns the socket', () => {
  const { s } = reach('baking');
  const during = drive(s, heartbeats(AT.confirm, BAKE_END));
  assert.ok(during.effects.every((f) => f.kind === 'emit' && f.event.kind === 'health'));
  assert.equal(during.state.phase, 'baking');
  // The deadline alone promotes nothing: a green that hung since its last heartbeat must not be promoted.
  assert.deepEqual(go(during.state, E.tick(BAKE_END)).effects, []);
  assert.deepEqual(kinds(go(during.state, E.health(BAKE_END - 1, { seq: 9 })).effects), ['emit:health']);
  const r = go(during.state, E.health(BAKE_END, { seq: 9 }));
  assert.deepEqual(kinds(r.effects), ['emit:health', 'emit:phase', 'record', 'to_green:HANDOFF_COMPLETE']);
  const reason = 'bake of 10 s passed: 10 heartbeats, 400 messages, error rate 0%, worst p99 50 ms';
  const rec = recordOf(r);
  assert.deepEqual(frameOf(r.effects, 'to_green'), { type: 'HANDOFF_COMPLETE', handoff_id: ID, reason });
  assert.deepEqual(
    { ...rec, timeline: rec.timeline.map((t) => t.phase), health: rec.health.length },
    {
      v: 1,
      handoff_id: ID,
      verdict: 'promoted',
      reason,
      release: 'r2',
      runtime: 'claw',
      blue_pid: 100,
      green_pid: GREEN,
      decided_by: 'blue',
      decided_at: BAKE_END,
      dark_window_ms: 4,
      timeline: ['reserved', 'init', 'draining', 'active', 'baking', 'complete'],
      health: 10,
    },
  );
  assert.equal(rec.timeline.at(-1)?.note, `promoted: ${reason}`);
  assert.equal(r.state.phase, 'complete');
  assert.equal(r.state.deadline, BAKE_END + DL.takeover_ms, 'green has takeover_ms to own the socket');
  assert.equal(r.state.handoff?.id, ID, 'the promoted handoff stays visible until blue exits');
  assert.equal(r.state.last_verdict, null, 'not final until green owns the socket');
  // Green answers HANDOFF_COMPLETE: blue checks who answers on the socket before it believes it.
  const answered = go(r.state, E.greenComplete(BAKE_END + 20));
  assert.deepEqual(answered.effects, [{ kind: 'check_takeover', pid: GREEN, timeout_ms: 2_000 }]);
  assert.equal(answered.state.last_verdict, null, 'not final while blue checks');
  assert.equal(go(answered.state, E.greenComplete(BAKE_END + 21)).effects[0]?.kind, 'reply', 'a second answer is refused');
  assert.deepEqual(go(answered.state, E.tick(BAKE_END + DL.takeover_ms + 5, false)).effects, [], 'while blue checks, the check decides');
  // The socket answers from green: final; the verdict goes out and blue leaves.
  const done = go(answered.state, E.checked(BAKE_END + 25));
  assert.deepEqual(kinds(done.effects), ['emit:verdict', 'close_green', 'exit']);
  assert.deepEqual(done.effects[0], { kind: 'emit', event: { kind: 'verdict', record: rec } });
  assert.deepEqual(done.state.last_verdict, rec);
  assert.equal(done.state.deadline, null);
});

test('blue checks the takeover: a socket that answers from blue itself, or from no one, is a take-back', () => {
  const { s, now } = reach('complete');
  const answered = go(s, E.greenComplete(now)).state;
  for (const [pid, who] of [
    [SELF.pid, `pid ${SELF.pid} (blue)`],
    [null, 'no process'],
    [4242, 'pid 4242'],
  ] as const) {
    const r = go(answered, E.checked(now + 5, pid));
    assert.deepEqual(kinds(r.effects), ['kill_green', 'close_green', 'reclaim_socket', 'resume', 'emit:phase', 'record', 'emit:verdict']);
    assert.equal(r.state.phase, 'idle');
    assert.equal(r.state.last_verdict?.verdict, 'rolled-back');
    assert.equal(r.state.last_verdict?.reason, `green (pid ${GREEN}) answered HANDOFF_COMPLETE but the socket answers from ${who}`);
    assert.deepEqual(only(r.effects, 'resume').cursors, tg(30), "from green's last HEALTH");
  }
  assert.deepEqual(go(s, E.checked(now)).effects, [], 'an outcome nobody asked for changes nothing');
});

test('after COMPLETE, a green that dies or stays silent before owning the socket is rolled back: blue takes the socket back and resumes', () => {
  const { s, now } = reach('complete');
  const dead = go(s, E.tick(now + 10, false));
  assert.deepEqual(kinds(dead.effects), ['close_green', 'reclaim_socket', 'resume', 'emit:phase', 'record', 'emit:verdict']);
  assert.equal(dead.state.phase, 'idle');
  assert.equal(dead.state.last_verdict?.verdict, 'rolled-back');
  assert.equal(dead.state.last_verdict?.reason, `green (pid ${GREEN}) exited after HANDOFF_COMPLETE before taking over the socket`);
  const silent = go(s, E.tick(s.deadline!, true));
  assert.deepEqual(kinds(silent.effects), ['kill_green', 'close_green', 'reclaim_socket', 'resume', 'emit:phase', 'record', 'emit:verdict']);
  assert.equal(silent.state.last_verdict?.reason, `green (pid ${GREEN}) did not take over the socket within 4 s of HANDOFF_COMPLETE and was killed`);
  // Before the deadline, with green alive, blue waits.
  assert.deepEqual(go(s, E.tick(s.deadline! - 1, true)).effects, []);
  // A late answer after the rollback is refused.
  assert.equal(go(dead.state, E.greenComplete(now + 20)).effects[0]?.kind, 'reply');
});

test('bake end: a last sample that completes a breach run rolls back; no HEALTH after the deadline rolls back by heartbeat age', () => {
  const { s } = reach('baking');
  const t = AT.confirm;
  const breaching = drive(s, [E.health(t + 8_000, { handled: 10, errors: 5 }), E.health(t + 9_000, { handled: 10, errors: 5 }), E.health(BAKE_END + 5, { handled: 10, errors: 5 })]);
  assert.equal(breaching.state.phase, 'rolling-back');
  assert.equal(breaching.state.handoff?.rollback_reason, 'error rate 50% > 5% in 3 consecutive samples');
  const quiet = drive(s, heartbeats(t, BAKE_END)).state; // last HEALTH at t + 9000
  assert.deepEqual(go(quiet, E.tick(t + 9_000 + TH.max_heartbeat_age_ms)).effects, []);
  const hung = go(quiet, E.tick(t + 9_000 + TH.max_heartbeat_age_ms + 1));
  assert.equal(hung.state.phase, 'rolling-back');
  assert.equal(hung.state.handoff?.rollback_reason, 'no HEALTH from green for 2.501 s (limit 2.5 s)');
});

test('bake end: a green failing as the bake ends is never promoted; the verdict comes within `consecutive` late samples', () => {
  const n = TH.consecutive;
  const SAMPLE = { ok: { handled: 10, errors: 0 }, err: { handled: 10, errors: 5 }, idle: { handled: 0, errors: 0, latency_p50_ms: 0, latency_p99_ms: 0 } } as const;
  const kind = fc.constantFrom<keyof typeof SAMPLE>('ok', 'err', 'idle');
  fc.assert(
    fc.property(fc.array(kind, { maxLength: 8 }), fc.array(kind, { minLength: n, maxLength: n }), (during, late) => {
      // The model of section 11, rules 4, 5 and 7 for the error kind alone.
      let run = 0;
      let lateSeen = 0;
      let expected: 'rolling-back' | 'complete' | 'baking' = 'baking';
      const all = [...during.map((k) => ({ k, late: false })), ...late.map((k) => ({ k, late: true }))];
      for (const { k, late: after } of all) {
        if (k === 'ok') run = 0;
        if (k === 'err') run += 1;
        if (run >= n) expected = 'rolling-back';
        else if (after) {
          lateSeen += 1;
          if (run === 0) expected = 'complete';
          else if (lateSeen >= n) expected = 'rolling-back';
        }
        if (expected !== 'baking') break;
      }
      const { s } = reach('baking');
      const step = BAKE / (during.length + 1);
      const events = [
        ...during.map((k, i) => E.health(AT.confirm + Math.round(step * (i + 1)), SAMPLE[k])),
        ...late.map((k, i) => E.health(BAKE_END + i * 1_000, SAMPLE[k])),
      ];
      let st = s;
      for (const ev of events) {
        if (st.phase !== 'baking') break;
        st = go(st, ev).state;
      }
      assert.equal(st.phase, expected, `${during.join(' ')} | ${late.join(' ')}`);
      assert.notEqual(st.phase, 'baking', 'decided within consecutive late samples');
    }),
  );
});

test('after COMPLETE nothing but refusals: no frame to green, no resume, no second verdict', () => {
  const { s, now } = reach('complete');
  const evs = [
    E.tick(now + 1, true),
    E.closed(now, false),
    E.health(now),
    E.greenRollback(now, 'x'),
    E.stopped(now, {}),
    E.abort(now),
    E.drained(now),
    E.confirm(now, now),
    E.ack(now),
    E.reserve(now, { handoff_id: 'h2' }),
  ];
  for (const ev of evs) {
    const r = go(s, ev);
    assert.ok(
      r.effects.every((f) => f.kind === 'reply' || f.kind === 'reply_close'),
      `${ev.type}: ${kinds(r.effects).join(', ')}`,
    );
    assert.equal(r.state.phase, 'complete');
  }
  assert.deepEqual(frameOf(go(s, E.abort(now)).effects, 'reply'), {
    type: 'ERROR',
    code: 'wrong_phase',
    message: 'ABORT is not accepted now: handoff h1 is complete',
    frame: 'ABORT',
    fatal: false,
  });
});

test('heartbeat age: no HEALTH for longer than the limit rolls back, exactly at the limit does not', () => {
  const { s } = reach('baking');
  assert.deepEqual(go(s, E.tick(AT.confirm + TH.max_heartbeat_age_ms)).effects, []);
  const r = go(s, E.tick(AT.confirm + TH.max_heartbeat_age_ms + 1));
  assert.deepEqual(kinds(r.effects), ['to_green:HANDOFF_ROLLBACK', 'emit:phase']);
  assert.equal(r.state.handoff?.rollback_reason, 'no HEALTH from green for 2.501 s (limit 2.5 s)');
  // The age counts from the last heartbeat.
  const hb = drive(s, [E.health(AT.confirm + 2_000)]).state;
  assert.deepEqual(go(hb, E.tick(AT.confirm + 4_000)).effects, []);
  assert.equal(go(hb, E.tick(AT.confirm + 4_600)).state.handoff?.rollback_reason, 'no HEALTH from green for 2.6 s (limit 2.5 s)');
});

test('green gone during the bake: rolling back; green still alive at bake end with heartbeats is promoted', () => {
  const { s } = reach('baking');
  const r = go(s, E.tick(AT.confirm + 500, false));
  assert.equal(r.state.phase, 'rolling-back');
  assert.equal(r.state.handoff?.rollback_reason, `green (pid ${GREEN}) exited during the bake`);
  // A dead green at the bake deadline is never promoted.
  const fed = drive(s, heartbeats(AT.confirm, BAKE_END)).state;
  assert.equal(go(fed, E.tick(BAKE_END, false)).state.phase, 'rolling-back');
});

test('rollback grace: green stopping is waited for; one that does not stop is killed at the deadline', () => {
  const { s } = reach('rolling-back'); // aborted at confirm + 100
  const graceEnd = AT.confirm + 100 + DL.rollback_grace_ms;
  assert.equal(s.deadline, graceEnd);
  assert.deepEqual(go(s, E.tick(graceEnd - 1)).effects, []);
  const kill = go(s, E.tick(graceEnd));
  assert.deepEqual(kinds(kill.effects), ['kill_green', 'resume', 'close_green', ...ENDED]);
  assert.deepEqual(only(kill.effects, 'kill_green'), { kind: 'kill_green', pid: GREEN });
  assertEnded(kill, 'rolled-back', 'aborted: operator; green did not stop within 5 s and was killed');

  const gone = go(s, E.tick(graceEnd - 1, false));
  assert.deepEqual(kinds(gone.effects), ['resume', 'close_green', ...ENDED]);
  assertEnded(gone, 'rolled-back', 'aborted: operator');

  const stopped = go(s, E.stopped(graceEnd - 1, tg(99)));
  assert.deepEqual(kinds(stopped.effects), ['stop_green', 'resume', 'close_green', ...ENDED]);
  assert.deepEqual(only(stopped.effects, 'resume').cursors, tg(99));
  assertEnded(stopped, 'rolled-back', 'aborted: operator');
});

test('HANDOFF_STOPPED with a wrong id or outside rolling-back is refused', () => {
  const { s, now } = reach('rolling-back');
  assert.deepEqual(kinds(go(s, E.stopped(now, {}, 'h2')).effects), ['reply:ERROR unknown_handoff']);
  for (const p of PHASES.filter((x) => x !== 'rolling-back')) {
    const at = reach(p);
    const r = go(at.s, E.stopped(at.now, {}));
    assert.deepEqual(kinds(r.effects), ['reply:ERROR wrong_phase'], p);
    assert.deepEqual(r.state, at.s, p);
  }
});

test('green connection closed, green alive or dead, in every phase', () => {
  type Want = { kinds: string[]; phase: Phase; reason?: string };
  const want = (p: Phase, alive: boolean): Want => {
    const how = alive ? 'closed the connection' : 'exited';
    switch (p) {
      case 'init':
        return { kinds: ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED], phase: 'idle', reason: `green (pid ${GREEN}) ${how} before HANDOFF_ACK` };
      case 'draining':
        return { kinds: ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', 'resume', ...ENDED], phase: 'idle', reason: `green (pid ${GREEN}) ${how} while blue was draining` };
      case 'active':
        return { kinds: ['to_green:HANDOFF_ROLLBACK', 'emit:phase'], phase: 'rolling-back', reason: `green (pid ${GREEN}) ${alive ? 'closed the handoff connection' : 'exited'} during the handover` };
      case 'baking':
        return { kinds: ['to_green:HANDOFF_ROLLBACK', 'emit:phase'], phase: 'rolling-back', reason: `green (pid ${GREEN}) ${alive ? 'closed the handoff connection' : 'exited'} during the bake` };
      default:
        return { kinds: [], phase: p };
    }
  };
  for (const p of PHASES) {
    for (const alive of [true, false]) {
      const { s, now } = reach(p);
      const r = go(s, E.closed(now, alive));
      const w = want(p, alive);
      assert.deepEqual(kinds(r.effects), w.kinds, `${p} alive=${alive}`);
      assert.equal(r.state.phase, w.phase, `${p} alive=${alive}`);
      if (w.phase === 'idle' && w.reason) assertEnded(r, 'failed', w.reason);
      else if (w.reason) assert.equal(r.state.handoff?.rollback_reason, w.reason);
      else assert.deepEqual(r.state, s);
    }
  }
});

test('one crash, one reason: a dead green is described the same whether its pid or its closed connection is seen first', () => {
  for (const p of ['init', 'draining', 'active', 'baking'] as const) {
    const { s, now } = reach(p);
    const byPid = go(s, E.tick(now, false));
    const byClose = go(s, E.closed(now, false));
    const reason = (r: ReturnType<typeof go>) => r.state.handoff?.rollback_reason ?? r.state.last_verdict?.reason;
    assert.equal(reason(byPid), reason(byClose), p);
    assert.equal(byPid.state.phase, byClose.state.phase, p);
  }
  // Green dying during the drain is failed, and blue resumes from its own position (green got no cursors).
  const { s, now } = reach('draining');
  const r = go(s, E.closed(now, false));
  assert.equal(r.state.last_verdict?.verdict, 'failed');
  assert.deepEqual(only(r.effects, 'resume').cursors, null);
  assert.deepEqual(go(r.state, E.drained(now + 5)).effects, [], 'a drain that ends afterwards hands nothing over');
});

test('RESERVE of an id that already has a verdict: ERROR exists (not fatal), from the file or from what blue remembers', () => {
  const fromFile = go(initialState(SELF), { ...E.reserve(T0), existing: 'promoted' });
  assert.deepEqual(fromFile.effects, [
    { kind: 'reply', frame: { type: 'ERROR', code: 'exists', message: 'handoff h1 already has a verdict (promoted); mint a new id', frame: 'RESERVE', fatal: false } },
  ]);
  assert.equal(fromFile.state.phase, 'idle');
  const { s, now } = reach('reserved');
  const ended = go(s, E.abort(now)).state;
  const again = go(ended, E.reserve(now + 1));
  assert.equal(frameOf(again.effects, 'reply').type === 'ERROR' && (frameOf(again.effects, 'reply') as { message: string }).message, 'handoff h1 already has a verdict (failed); mint a new id');
  assert.equal(go(ended, E.reserve(now + 1, { handoff_id: 'h2' })).state.phase, 'reserved', 'a fresh id is fine');
});

test('RESERVE with rollback_grace_ms below drain_ms is a bad frame (green could not finish its drain in the grace)', () => {
  const r = go(initialState(SELF), E.reserve(T0, { deadlines: { ...DL, drain_ms: 6_000, rollback_grace_ms: 5_000 } }));
  assert.deepEqual(r.effects, [
    { kind: 'reply_close', frame: { type: 'ERROR', code: 'bad_frame', message: 'RESERVE: deadlines.rollback_grace_ms: must be at least drain_ms (6000)', frame: 'RESERVE', fatal: true } },
  ]);
  assert.equal(go(initialState(SELF), E.reserve(T0, { deadlines: { ...DL, drain_ms: 5_000, rollback_grace_ms: 5_000 } })).state.phase, 'reserved', 'equal is fine');
});

test('HANDOFF_ACK with another store schema: failed before any handover, blue never paused', () => {
  const { s, now } = reach('init');
  const r = go(s, E.ack(now, { store_schema: 99 }));
  assert.deepEqual(kinds(r.effects), ['to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED]);
  assertEnded(r, 'failed', "green reads store schema 99; blue's store is schema 3");
});

test('HANDOFF_CONFIRM must name every adapter handed over; extra ones are noted; green\'s notes reach the timeline and the reason', () => {
  const two: Cursors = { ...tg(10), discord: { kind: 'discord', session_id: 's1', seq: 7, resume_gateway_url: 'wss://gw.example' } };
  const active = drive(initialState(SELF), [E.reserve(AT.reserve), E.hello(AT.hello), E.ack(AT.ack), E.drained(AT.drained, two, AT.paused)]).state;
  const missing = go(active, E.confirm(AT.confirm, AT.polling));
  assert.equal(missing.state.phase, 'rolling-back');
  assert.equal(missing.state.handoff?.rollback_reason, 'green did not start adapter discord handed over in HANDOFF_ACTIVE');
  const none = go(active, { ...E.confirm(AT.confirm, AT.polling), frame: { ...E.confirm(AT.confirm, AT.polling).frame, adapters: [] } });
  assert.equal(none.state.handoff?.rollback_reason, 'green did not start adapters telegram, discord handed over in HANDOFF_ACTIVE');
  const note = 'discord session s1 expired before green resumed; re-identified 1.2 s after blue paused: messages sent in between may be missed';
  const extra = go(active, { ...E.confirm(AT.confirm, AT.polling), frame: { ...E.confirm(AT.confirm, AT.polling).frame, adapters: ['telegram', 'discord', 'slack'], notes: [note] } });
  assert.equal(extra.state.phase, 'baking');
  assert.equal(extra.state.handoff?.timeline.at(-1)?.note, `green polling after a 4 ms dark window; green also started slack; ${note}`);
  const end = drive(extra.state, [...heartbeats(AT.confirm, BAKE_END), E.health(BAKE_END, { seq: 9 }, tg(30))]);
  assert.equal(end.state.phase, 'complete');
  assert.equal(end.state.handoff?.pending?.reason, `bake of 10 s passed: 10 heartbeats, 400 messages, error rate 0%, worst p99 50 ms; ${note}`);
});

test('too little traffic: a bake that passes with fewer than min_messages promotes and says so', () => {
  const { s } = reach('baking');
  const quiet = drive(s, [E.health(AT.confirm + 5_000, { handled: 0, errors: 0 }), E.health(BAKE_END, { handled: 1, errors: 0 })]);
  assert.equal(quiet.state.phase, 'complete');
  assert.equal(quiet.state.handoff?.pending?.reason, 'bake of 10 s passed with too little traffic to judge: 2 heartbeats, 1 message (fewer than 10)');
});

test('green HANDOFF_ROLLBACK in every phase', () => {
  const reason = 'green rolled back: adapter failed';
  const { s: init, now: n1 } = reach('init');
  const a = go(init, E.greenRollback(n1, 'adapter failed'));
  assert.deepEqual(kinds(a.effects), ['stop_green', 'close_green', ...ENDED]);
  assertEnded(a, 'failed', reason);

  const { s: draining, now: n2 } = reach('draining');
  const b = go(draining, E.greenRollback(n2, 'adapter failed'));
  assert.deepEqual(kinds(b.effects), ['stop_green', 'close_green', 'resume', ...ENDED]);
  assert.equal(only(b.effects, 'resume').cursors, null);
  assertEnded(b, 'failed', reason);

  for (const p of ['active', 'baking'] as const) {
    const { s, now } = reach(p);
    const withCursors = go(s, E.greenRollback(now, 'adapter failed', tg(77)));
    assert.deepEqual(kinds(withCursors.effects), ['stop_green', 'resume', 'close_green', ...ENDED], p);
    assert.deepEqual(only(withCursors.effects, 'resume').cursors, tg(77));
    assertEnded(withCursors, 'rolled-back', reason);
    const without = go(s, E.greenRollback(now, 'adapter failed'));
    assert.deepEqual(only(without.effects, 'resume').cursors, CUR_ACTIVE, `${p}: the last cursors blue knows`);
  }

  const { s: rb, now: n3 } = reach('rolling-back');
  const c = go(rb, E.greenRollback(n3, 'stopping', tg(88)));
  assert.deepEqual(kinds(c.effects), ['stop_green', 'resume', 'close_green', ...ENDED]);
  assertEnded(c, 'rolled-back', 'aborted: operator');

  for (const p of ['idle', 'reserved', 'complete'] as const) {
    const { s, now } = reach(p);
    const r = go(s, E.greenRollback(now, 'x'));
    assert.deepEqual(kinds(r.effects), ['reply:ERROR wrong_phase'], p);
    assert.deepEqual(r.state, s, p);
  }
  const { s, now } = reach('baking');
  const wrong = go(s, E.greenRollback(now, 'x', undefined, 'h2'));
  assert.deepEqual(kinds(wrong.effects), ['reply:ERROR unknown_handoff']);
  assert.deepEqual(wrong.state, s);
});

test('ABORT in every phase, and with a wrong id', () => {
  const { s: idle } = reach('idle');
  assert.deepEqual(frameOf(go(idle, E.abort(T0)).effects, 'reply'), {
    type: 'ERROR',
    code: 'unknown_handoff',
    message: 'no handoff is under way',
    frame: 'ABORT',
    fatal: false,
  });
  const table: [Phase, string[], Phase][] = [
    ['reserved', ['reply:ABORTING', ...ENDED], 'idle'],
    ['init', ['reply:ABORTING', 'to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', ...ENDED], 'idle'],
    ['draining', ['reply:ABORTING', 'to_green:HANDOFF_ROLLBACK', 'close_green', 'stop_green', 'resume', ...ENDED], 'idle'],
    ['active', ['reply:ABORTING', 'to_green:HANDOFF_ROLLBACK', 'emit:phase'], 'rolling-back'],
    ['baking', ['reply:ABORTING', 'to_green:HANDOFF_ROLLBACK', 'emit:phase'], 'rolling-back'],
    ['rolling-back', ['reply:ABORTING'], 'rolling-back'],
    ['complete', ['reply:ERROR wrong_phase'], 'complete'],
  ];
  for (const [p, k, after] of table) {
    const { s, now } = reach(p);
    const r = go(s, E.abort(now, 'operator asked'));
    assert.deepEqual(kinds(r.effects), k, p);
    assert.equal(r.state.phase, after, p);
    if (k[0] === 'reply:ABORTING') assert.deepEqual(frameOf(r.effects, 'reply'), { type: 'ABORTING', handoff_id: ID, phase: p });
    if (after === 'idle') assertEnded(r, 'failed', 'aborted: operator asked');
    if (after === 'rolling-back' && p !== 'rolling-back') assert.equal(r.state.handoff?.rollback_reason, 'aborted: operator asked');
    if (p === 'rolling-back') assert.deepEqual(r.state, s);

    const wrong = go(s, E.abort(now, 'x', 'h2'));
    assert.deepEqual(frameOf(wrong.effects, 'reply'), { type: 'ERROR', code: 'unknown_handoff', message: 'the current handoff is h1', frame: 'ABORT', fatal: false }, p);
    assert.deepEqual(wrong.state, s, p);
  }
});

test('health: judged during the bake against the reserved thresholds and blue baseline', () => {
  const { s } = reach('baking');
  const base = { ...s, baseline: { latency_p99_ms: 200, replies: 100 } }; // as taken before RESERVE; latency limit 600 ms
  const t = AT.confirm;
  const r = drive(base, [
    E.health(t + 1000, { handled: 100, errors: 10 }),
    E.health(t + 2000, { handled: 0, errors: 0 }), // idle: neither breaks nor extends the run
    E.health(t + 3000, { handled: 100, errors: 10, latency_p99_ms: 601 }),
    E.health(t + 4000, { handled: 100, errors: 0, latency_p99_ms: 700 }),
  ]);
  assert.equal(r.state.phase, 'baking');
  assert.deepEqual(r.state.handoff?.breaches, { error: 0, latency: 2 });
  assert.equal(r.effects.filter((f) => f.kind === 'emit' && f.event.kind === 'health').length, 4);
  const third = go(r.state, E.health(t + 5000, { handled: 100, errors: 0, latency_p99_ms: 900 }));
  const reason = "p99 reply latency 900 ms > 600 ms (3x blue's 200 ms, floor 250 ms) in 3 consecutive samples";
  assert.deepEqual(kinds(third.effects), ['emit:health', 'to_green:HANDOFF_ROLLBACK', 'emit:phase']);
  assert.equal(third.state.phase, 'rolling-back');
  assert.equal(third.state.handoff?.rollback_reason, reason);
  const end = go(third.state, E.tick(t + 5100, false));
  assertEnded(end, 'rolled-back', reason);
  assert.equal(recordOf(end).health.length, 5);

  const errs = drive(s, [1, 2, 3].map((i) => E.health(t + i * 1000, { handled: 1000, errors: 72 })));
  assert.equal(errs.state.handoff?.rollback_reason, 'error rate 7.2% > 5% in 3 consecutive samples');
});

test('health before CONFIRM is recorded and emitted but not judged', () => {
  const { s, now } = reach('active');
  const r = drive(s, [1, 2, 3, 4].map((i) => E.health(now + i, { handled: 10, errors: 10 }, tg(30 + i))));
  assert.equal(r.state.phase, 'active');
  assert.deepEqual(r.state.handoff?.breaches, { error: 0, latency: 0 });
  assert.equal(r.state.handoff?.health.length, 4);
  assert.deepEqual(r.state.handoff?.cursors, tg(34));
  assert.equal(r.state.handoff?.last_heartbeat_at, now + 4);
});

test('health in phases without a green, or for another handoff, is ignored', () => {
  for (const p of ['idle', 'reserved', 'init', 'draining', 'complete'] as const) {
    const { s, now } = reach(p);
    const r = go(s, E.health(now));
    assert.deepEqual(r.effects, [], p);
    assert.deepEqual(r.state, s, p);
  }
  const { s, now } = reach('baking');
  const r = go(s, E.health(now, { handled: 10, errors: 10 }, tg(1), 'h2'));
  assert.deepEqual(r.effects, []);
  assert.deepEqual(r.state, s);
});

test('resume cursors: the latest of ACTIVE, HEALTH and STOPPED', () => {
  const { s } = reach('baking');
  const t = AT.confirm;
  // Only ACTIVE's.
  assert.deepEqual(only(drive(s, [E.abort(t + 1), E.tick(t + 2, false)]).effects, 'resume').cursors, CUR_ACTIVE);
  // HEALTH's, also when it arrives during the rollback (green polls until it stops).
  const viaHealth = drive(s, [E.health(t + 1000, {}, tg(40)), E.abort(t + 1001), E.health(t + 1002, {}, tg(41)), E.tick(t + 1003, false)]);
  assert.deepEqual(only(viaHealth.effects, 'resume').cursors, tg(41));
  // STOPPED's, over HEALTH's.
  const viaStopped = drive(s, [E.health(t + 1000, {}, tg(40)), E.abort(t + 1001), E.stopped(t + 1002, tg(42))]);
  assert.deepEqual(only(viaStopped.effects, 'resume').cursors, tg(42));
  // Health during the rollback is not judged.
  const noJudge = drive(s, [E.abort(t + 1), ...[2, 3, 4].map((i) => E.health(t + i, { handled: 10, errors: 10 }))]);
  assert.equal(noJudge.state.phase, 'rolling-back');
  assert.equal(noJudge.state.handoff?.rollback_reason, 'aborted: operator');
});

test('the dark window in the record: from paused_at to polling_at, also when rolled back', () => {
  const { s } = reach('baking');
  const r = drive(s, [E.abort(AT.confirm + 1), E.tick(AT.confirm + 2, false)]);
  assert.equal(recordOf(r).dark_window_ms, 4);
  const { s: active } = reach('active');
  const neg = drive(active, [E.confirm(AT.confirm, AT.paused - 7), E.abort(AT.confirm + 1), E.tick(AT.confirm + 2, false)]);
  assert.equal(recordOf(neg).dark_window_ms, 0);
});

test('verdict files: EVENT verdict waits for the write; a failed write comes back as an event and the record says so', () => {
  const { s, now } = reach('reserved');
  const r = go(s, E.abort(now), false);
  assert.deepEqual(kinds(r.effects), ['reply:ABORTING', 'emit:phase', 'record'], 'no EVENT verdict before the write');
  assert.equal(r.state.unrecorded.length, 1);
  const w = go(r.state, { type: 'recorded', now: now + 1, handoff_id: ID, error: 'could not write the verdict file: EROFS' });
  const rec = only(w.effects, 'emit').event;
  assert.equal(rec.kind === 'verdict' && rec.record.record_error, 'could not write the verdict file: EROFS');
  assert.equal(w.state.last_verdict?.record_error, 'could not write the verdict file: EROFS');
  assert.deepEqual(w.state.unrecorded, []);
  assert.equal(r.state.last_verdict?.record_error, undefined, 'the earlier state is untouched');
  // An outcome nobody waits for changes nothing.
  assert.deepEqual(go(w.state, { type: 'recorded', now: now + 2, handoff_id: ID, error: null }).effects, []);
});

test('verdict files: a promoted record that could not be written is final with record_error once green answers', () => {
  const { s } = reach('baking');
  const steps = [...heartbeats(AT.confirm, BAKE_END), E.health(BAKE_END, { seq: 9 }, tg(30))];
  let st = s;
  for (const ev of steps.slice(0, -1)) st = go(st, ev).state;
  const p = go(st, steps[steps.length - 1]!, false);
  assert.equal(p.state.phase, 'complete');
  assert.deepEqual(kinds(p.effects).slice(-2), ['record', 'to_green:HANDOFF_COMPLETE']);
  const w = go(p.state, { type: 'recorded', now: BAKE_END, handoff_id: ID, error: 'could not write the verdict file: ENOSPC' });
  assert.deepEqual(w.effects, [], 'still provisional: no EVENT verdict');
  const done = go(go(w.state, E.greenComplete(BAKE_END + 20)).state, E.checked(BAKE_END + 22));
  const ev = only(done.effects, 'emit').event;
  assert.equal(ev.kind === 'verdict' && ev.record.record_error, 'could not write the verdict file: ENOSPC');
  assert.equal(done.state.last_verdict?.record_error, 'could not write the verdict file: ENOSPC');
});

test('verdict files: outcomes come back in the order of the writes, also across handoffs', () => {
  let st = initialState(SELF);
  st = go(st, E.reserve(T0)).state;
  st = go(st, E.abort(T0 + 1), false).state;
  st = go(st, E.reserve(T0 + 2, { handoff_id: 'h2' })).state;
  st = go(st, E.abort(T0 + 3, 'again', 'h2'), false).state;
  assert.deepEqual(st.unrecorded.map((r) => r.handoff_id), [ID, 'h2']);
  const a = go(st, { type: 'recorded', now: T0 + 4, handoff_id: ID, error: 'disk full' });
  const first = only(a.effects, 'emit').event;
  assert.ok(first.kind === 'verdict' && first.record.handoff_id === ID && first.record.record_error === 'disk full');
  assert.equal(a.state.last_verdict?.handoff_id, 'h2', 'the later verdict stays the last one');
  assert.equal(a.state.last_verdict?.record_error, undefined);
});

test('view: STATE during a handoff and after one', () => {
  const { s, now } = reach('baking');
  const fed = drive(s, [E.health(now + 1000)]).state;
  const v = view(fed);
  assertWireSafe(v);
  assert.deepEqual(v, {
    type: 'STATE',
    phase: 'baking',
    server_pid: 100,
    release: 'r1',
    runtime: 'legacy',
    handoff: { id: ID, release: 'r2', runtime: 'claw', bake_ms: BAKE, green_pid: GREEN, started_at: T0, bake_started_at: AT.confirm },
    timeline: fed.handoff!.timeline,
    health: fed.handoff!.health,
    last_verdict: null,
    standby: null,
  });
  const ended = drive(fed, [E.abort(now + 2000), E.tick(now + 2001, false)]).state;
  const after = view(ended) as Extract<ReturnType<typeof view>, { type: 'STATE' }>;
  assertWireSafe(after);
  assert.equal(after.phase, 'idle');
  assert.equal(after.handoff, null);
  assert.deepEqual(after.health, []);
  assert.deepEqual(after.timeline, ended.last_verdict!.timeline);
  assert.equal(after.last_verdict?.verdict, 'rolled-back');
});

test('a long bake, long reasons and a big last verdict still give frames that fit one line', () => {
  const { s } = reach('baking');
  const long = 'é'.repeat(4096);
  const bake = 3_600_000;
  let st: BlueState = { ...s, deadline: AT.confirm + bake, handoff: { ...s.handoff!, bake_ms: bake } };
  const n = 3000;
  for (let i = 1; i <= n; i++) {
    const sample = { seq: i, handled: 123456, errors: 1, latency_p50_ms: 12.345678901, latency_p99_ms: 98.765432109 };
    // step, not go: checking purity on every one of 3000 steps would take the test quadratic time.
    st = step(st, E.health(AT.confirm + i * 1000, sample, { ...tg(1_000_000 + i), discord: { kind: 'discord', session_id: 'x'.repeat(128), seq: i, resume_gateway_url: `wss://${'g'.repeat(490)}` } })).state;
  }
  assert.equal(st.handoff?.health.length, n);
  assertWireSafe(view(st));
  const r = go(st, E.abort(AT.confirm + n * 1000 + 1, long));
  const end = go(r.state, E.stopped(AT.confirm + n * 1000 + 2, tg(1)));
  const rec = recordOf(end);
  assert.ok(rec.reason.startsWith('aborted: éé') && rec.reason.length <= 4096, `reason of ${rec.reason.length} characters`);
  assert.ok(rec.health.length > 100 && rec.health.length < n, `${rec.health.length} samples kept`);
  assert.equal(rec.health.at(-1)?.seq, n, 'the last sample is kept');
  assert.equal(rec.health[0]?.seq, 1, 'the first sample is kept');
  // Even with a record_error added by the peer, the verdict EVENT fits.
  const withError = { ...rec, record_error: 'could not write the verdict file: ' + 'E'.repeat(4000) };
  assert.ok(Buffer.byteLength(encodeFrame({ type: 'EVENT', event: { kind: 'verdict', record: withError } })) <= MAX_LINE_BYTES + 1);
  // A new handoff's STATE carries the old record and live health, and still fits.
  let next = drive(end.state, [E.reserve(T0 + 1e8, { handoff_id: 'h2' }), E.hello(T0 + 1e8 + 1, 'h2')]).state;
  next = { ...next, last_verdict: withError, phase: 'baking', handoff: { ...next.handoff!, health: st.handoff!.health } };
  assertWireSafe(view(next));
  // A record from another implementation with the schema's maximum of samples.
  const big = { ...withError, health: Array.from({ length: 4096 }, (_, i) => ({ ...st.handoff!.health[0]!, seq: i })) };
  assertWireSafe(view(initialState(SELF, big)));
});

test('reasons from peers longer than a frame allows are clipped, never sent invalid', () => {
  for (const p of ['init', 'baking'] as const) {
    const { s, now } = reach(p);
    const r = drive(s, [E.greenRollback(now, 'x'.repeat(4096)), E.tick(now + 1, false)]);
    const rec = recordOf(r);
    assert.ok(rec.reason.startsWith('green rolled back: xxx') && rec.reason.length <= 4096, p);
  }
});

// --- property: random event sequences

type Spec =
  | { k: 'next'; dt: number; ok: boolean }
  | { k: 'reserve'; dt: number; id: string; bake: number; dl: Partial<typeof DL>; th: Partial<typeof TH>; observe: number }
  | { k: 'hello'; dt: number; right: boolean; pid: number }
  | { k: 'ack'; dt: number; right: boolean; release: boolean; runtime: boolean; pid: number }
  | { k: 'drained'; dt: number }
  | { k: 'confirm'; dt: number; right: boolean; polling: number }
  | { k: 'health'; dt: number; right: boolean; handled: number; errors: number; p99: number }
  | { k: 'green_rollback'; dt: number; right: boolean; reason: string; cursors: boolean }
  | { k: 'stopped'; dt: number; right: boolean }
  | { k: 'closed'; dt: number; alive: boolean }
  | { k: 'abort'; dt: number; right: boolean; reason: string }
  | { k: 'baseline'; dt: number; p99: number }
  | { k: 'tick'; dt: number; alive: boolean };

/**
 * Random events. Wild: anything may happen at any time. Calm: gaps stay short and green behaves unless the
 * events say otherwise, so handoffs get deep (baking, promotion) often enough to be tested there too.
 */
function specsWith(wild: boolean): fc.Arbitrary<Spec> {
  const w = wild ? 1 : 0;
  const short = fc.integer({ min: 0, max: 1_000 });
  const dt = wild ? fc.oneof({ weight: 5, arbitrary: short }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 30_000 }) }) : short;
  const right = fc.nat({ max: 4 }).map((n) => n > 0); // mostly the current handoff's id
  const fine = wild ? right : fc.constant(true);
  // Reasons as long as a frame allows, so what blue adds to them must still fit.
  const reason = fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: 'binary', minLength: 4000, maxLength: 4096 }));
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ k: fc.constant('next' as const), dt, ok: wild ? right : fc.nat({ max: 9 }).map((n) => n > 0) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('reserve' as const),
        dt,
        id: fc.constantFrom('h1', 'h2', 'a'.repeat(64)),
        bake: fc.integer({ min: 0, max: 30_000 }),
        observe: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })),
        dl: fc.record(
          {
            claim_ms: fc.integer({ min: 1, max: 20_000 }),
            ack_ms: fc.integer({ min: 1, max: 20_000 }),
            drain_ms: fc.integer({ min: 1, max: 5_000 }),
            confirm_ms: fc.integer({ min: 1, max: 5_000 }),
            rollback_grace_ms: fc.integer({ min: 1, max: 8_000 }),
          },
          { requiredKeys: [] },
        ),
        th: fc.record(
          {
            max_error_rate: fc.double({ min: 0, max: 0.5, noNaN: true }),
            consecutive: fc.integer({ min: 1, max: 4 }),
            max_heartbeat_age_ms: fc.integer({ min: 100, max: 6_000 }),
          },
          { requiredKeys: [] },
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('hello' as const), dt, right, pid: fc.integer({ min: 1, max: 9 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('ack' as const), dt, right, release: fine, runtime: fine, pid: fc.integer({ min: 1, max: 9 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('drained' as const), dt }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('confirm' as const), dt, right, polling: fc.integer({ min: -50, max: 50 }) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('health' as const),
        dt,
        right,
        handled: fc.nat({ max: 100 }),
        errors: wild ? fc.nat({ max: 20 }) : fc.constant(0),
        p99: fc.nat({ max: wild ? 2_000 : 200 }),
      }),
    },
    { weight: w, arbitrary: fc.record({ k: fc.constant('green_rollback' as const), dt, right, reason, cursors: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('stopped' as const), dt, right }) },
    { weight: w, arbitrary: fc.record({ k: fc.constant('closed' as const), dt, alive: fc.boolean() }) },
    { weight: w, arbitrary: fc.record({ k: fc.constant('abort' as const), dt, right, reason }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('baseline' as const), dt, p99: fc.nat({ max: 500 }) }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('tick' as const), dt, alive: wild ? fc.nat({ max: 5 }).map((n) => n > 0) : fc.constant(true) }) },
  );
}
const specsArb = fc.oneof(fc.array(specsWith(true), { maxLength: 80, size: 'max' }), fc.array(specsWith(false), { maxLength: 80, size: 'max' }));

/** The event a spec stands for in state `s` at time `now`. */
function eventFor(spec: Spec, s: BlueState, now: number): BlueEvent {
  const h = s.handoff;
  const id = (ok: boolean) => (ok ? (h?.id ?? 'h1') : 'zz');
  switch (spec.k) {
    case 'next':
      switch (s.phase) {
        case 'idle':
          return E.reserve(now, { handoff_id: 'h1', bake_ms: 5_000 });
        case 'reserved':
          return E.hello(now, id(true));
        case 'init':
          return E.ack(now, { handoff_id: id(true), release: h!.release, runtime: h!.runtime });
        case 'draining':
          return E.drained(now, tg(now % 1000));
        case 'active':
          return E.confirm(now, now - 3, id(true));
        case 'baking':
          return E.health(now, { handled: 20, errors: spec.ok ? 0 : 5 }, tg(now % 1000), id(true));
        case 'complete':
          if (h?.verifying) return E.checked(now, spec.ok ? h.green_pid : null);
          return spec.ok ? E.greenComplete(now, id(true)) : E.tick(now, false);
        default:
          return spec.ok ? E.stopped(now, tg(1), id(true)) : E.tick(now, false);
      }
    case 'reserve':
      return E.reserve(now, { handoff_id: spec.id, bake_ms: spec.bake, deadlines: spec.dl, thresholds: spec.th, observe_ms: spec.observe });
    case 'hello':
      return E.hello(now, id(spec.right), spec.pid);
    case 'ack':
      return E.ack(now, { handoff_id: id(spec.right), pid: spec.pid, release: spec.release ? (h?.release ?? 'r2') : 'other', runtime: spec.runtime ? (h?.runtime ?? 'claw') : 'other' });
    case 'drained':
      return E.drained(now);
    case 'confirm':
      return E.confirm(now, Math.max(0, now + spec.polling), id(spec.right));
    case 'health':
      return E.health(now, { handled: spec.handled, errors: spec.errors, latency_p99_ms: spec.p99 }, tg(now % 997), id(spec.right));
    case 'green_rollback':
      return E.greenRollback(now, spec.reason, spec.cursors ? tg(5) : undefined, id(spec.right));
    case 'stopped':
      return E.stopped(now, tg(6), id(spec.right));
    case 'closed':
      return E.closed(now, spec.alive);
    case 'abort':
      return E.abort(now, spec.reason, id(spec.right));
    case 'baseline':
      return E.baseline(now, spec.p99);
    case 'tick':
      return E.tick(now, spec.alive);
  }
}

interface Track {
  id: string;
  drained: boolean;
  adopted: boolean;
  stopped: boolean;
  resumes: number;
  records: number;
  /** A promotion taken back because green never owned the socket. */
  revoked?: boolean;
  /** Blue left: the promotion became final. */
  exited?: boolean;
}

test('property: random events never throw, keep deadlines consistent, resume at most once, and every handoff ends with one record', () => {
  let finals = 0;
  let takenBack = 0;
  fc.assert(
    fc.property(specsArb, (specs) => {
      let s = initialState(SELF);
      let now = T0;
      let cur: Track | null = null;
      const all: Track[] = [];

      const check = (ev: BlueEvent) => {
        const before = s;
        const r = go(s, ev);
        s = r.state;
        const k = kinds(r.effects);
        // Deadlines follow the phase.
        // A promotion waits (with a deadline) for green to own the socket; once final it has none.
        const final = s.phase === 'complete' && s.handoff?.pending === null;
        assert.equal(s.deadline === null, s.phase === 'idle' || final, `${s.phase} with deadline ${s.deadline}`);
        assert.equal(s.handoff === null, s.phase === 'idle', `${s.phase} with handoff ${s.handoff?.id}`);
        if (s.deadline !== null) assert.ok(s.deadline >= ev.now || s.deadline === before.deadline, 'a new deadline is not in the past');
        assertWireSafe(view(s));
        // Once the promotion is final, blue only answers.
        if (before.phase === 'complete' && before.deadline === null) assert.ok(k.every((x) => x.startsWith('reply')), `after complete: ${k.join(', ')}`);
        if (k.includes('reply:RESERVED')) {
          assert.equal(before.phase, 'idle');
          cur = { id: s.handoff!.id, drained: false, adopted: false, stopped: false, resumes: 0, records: 0 };
          all.push(cur);
        }
        const t = cur as Track | null;
        for (const fx of r.effects) {
          if (fx.kind === 'drain') {
            assert.ok(t && !t.drained, 'drain at most once per handoff');
            t.drained = true;
          }
          if (fx.kind === 'resume') {
            assert.ok(t && t.drained, 'resume only after blue paused');
            t.resumes++;
            assert.equal(t.resumes, 1, `resume twice for handoff ${t.id}`);
          }
          if (fx.kind === 'adopt_green') t!.adopted = true;
          if (fx.kind === 'stop_green' || fx.kind === 'kill_green') {
            assert.equal(fx.pid, before.handoff?.green_pid, 'the pid stopped is green');
            t!.stopped = true;
          }
          if (fx.kind === 'exit' || fx.kind === 'stand_by') {
            assert.ok(ev.type === 'takeover_checked' && ev.server_pid === before.handoff?.green_pid, 'exit or stand by only once the socket answers from green');
            assert.ok(before.phase === 'complete' && s.phase === 'complete');
            // A window was reserved exactly when blue stands by, and the promoted record says until when.
            const h = before.handoff!;
            assert.equal(fx.kind === 'stand_by', h.observe_ms > 0);
            if (fx.kind === 'stand_by') {
              assert.equal(fx.setup.until, h.pending!.decided_at + h.observe_ms);
              assert.deepEqual(fx.setup.record, s.last_verdict);
              assert.equal(fx.setup.green_pid, h.green_pid);
            }
            t!.exited = true;
          }
        }
        const rec = r.effects.find((f) => f.kind === 'record');
        const ended = before.handoff !== null && (s.handoff === null || (s.phase === 'complete' && before.phase !== 'complete'));
        assert.equal(rec !== undefined, ended, `a record exactly when a handoff ends (${before.phase} -> ${s.phase})`);
        if (rec && rec.kind === 'record' && t) {
          t.records++;
          assert.equal(rec.record.handoff_id, t.id);
          assert.ok(rec.record.reason.trim().length > 0, 'a verdict has a reason');
          if (before.phase === 'complete') t.revoked = true;
          if (rec.record.verdict === 'promoted') {
            assert.deepEqual(k.slice(-2), ['record', 'to_green:HANDOFF_COMPLETE']);
            assert.equal(t.resumes, 0, 'a promoted blue never resumes');
          } else {
            assert.equal(t.resumes, t.drained ? 1 : 0, `a ${rec.record.verdict} handoff that paused blue resumes it exactly once`);
            if (t.adopted) {
              assert.ok(k.includes('close_green'), 'green connection closed');
              assert.ok(t.stopped || (ev.type === 'tick' && !ev.green_alive), 'green stopped unless it is gone');
            }
          }
          if (s.phase === 'idle') cur = null;
        }
      };

      for (const spec of specs) {
        now += spec.dt;
        check(eventFor(spec, s, now));
      }
      // Let every deadline pass, with a green that never dies by itself.
      for (let i = 0; i < 3; i++) {
        now += 1e9;
        check(E.tick(now, true));
      }
      assert.ok(s.phase === 'idle' || s.phase === 'complete', `stuck in ${s.phase}`);
      // A promotion whose green never took the socket is recorded again, as rolled back.
      for (const t of all) assert.equal(t.records, t.revoked ? 2 : 1, `handoff ${t.id}: ${t.records} records`);
      finals += all.filter((t) => t.exited).length;
      takenBack += all.filter((t) => t.revoked).length;
    }),
    { numRuns: 400 },
  );
  // The runs reach the end of a promotion both ways, or the property says little about it.
  assert.ok(finals > 0 && takenBack > 0, `final promotions ${finals}, take-backs ${takenBack}`);
});
