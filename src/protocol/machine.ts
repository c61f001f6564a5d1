import type { z } from 'zod';
import { Deadlines, deadlinesIssue, ObserveThresholds, PROBE_MS, STANDBY_END_MS, STANDBY_HEARTBEAT_MS, Thresholds } from './deadlines.ts';
import {
  PROTOCOL_VERSION,
  type Cursors,
  type HealthSample,
  type Outgoing,
  type Phase,
  type TimelineEntry,
  type Verdict,
  type VerdictRecord,
  type Reserve,
  type HandoffAck,
  type HandoffConfirm,
  type Health,
  type HandoffRollback,
  type HandoffStopped,
  type HandoffComplete,
  type StandbyStatus,
} from './frames.ts';
import { bakeEnd, judgeSample, NO_BASELINE, promotionReason, type Baseline, type Breaches } from './health.ts';
import { formatDuration } from './format.ts';
import { MAX_LINE_BYTES } from './framing.ts';
import { clip as clipTo } from './clip.ts';
import { errorFrame } from './errors.ts';
import type { StandbySetup } from './standby.ts';

/** Who blue is: fixed for the life of the process. */
export interface BlueSelf {
  pid: number;
  release: string;
  runtime: string;
  store_path: string;
  store_schema: number;
}

/** The handoff blue is running, from RESERVE to its verdict. */
export interface HandoffCtx {
  id: string;
  release: string;
  runtime: string;
  bake_ms: number;
  thresholds: Thresholds;
  deadlines: Deadlines;
  /** The observation window after the promotion (0: none). */
  observe_ms: number;
  /** What the standby judges green by during the window. */
  observe_thresholds: Thresholds;
  started_at: number;
  green_pid: number | null;
  /** The cursors HANDOFF_ACTIVE carried; null until blue handed over. */
  handed: Cursors | null;
  /** The latest cursors blue knows: the handed ones, then green's. */
  cursors: Cursors | null;
  paused_at: number | null;
  polling_at: number | null;
  bake_started_at: number | null;
  last_heartbeat_at: number | null;
  breaches: Breaches;
  /** HEALTH samples judged at or after the bake's deadline while a breach run stayed open. */
  late: number;
  health: HealthSample[];
  timeline: TimelineEntry[];
  rollback_reason: string | null;
  /** Green's notes from HANDOFF_CONFIRM, for the promotion's reason. */
  notes: string[];
  /** The promoted verdict, written and sent with COMPLETE, final once green answers that it owns the socket. */
  pending: VerdictRecord | null;
  /** Green answered HANDOFF_COMPLETE; blue is checking who answers on the socket. */
  verifying: boolean;
}

/** The standby observing this listener (a green that was promoted with an observation window). */
export interface StandbyCtx {
  pid: number;
  handoff_id: string;
  until: number;
  /** From its last STANDBY_STATUS; null before the first. */
  rss_bytes: number | null;
  /** STANDBY_END went out (a RESERVE supersedes the window): the listener waits for the standby to go. */
  ending: boolean;
}

export interface BlueState {
  phase: Phase;
  /** When the current phase times out (epoch ms), or null when it has no deadline. */
  deadline: number | null;
  self: BlueSelf;
  baseline: Baseline;
  handoff: HandoffCtx | null;
  last_verdict: VerdictRecord | null;
  /** Records sent to be written whose outcome (a `recorded` event) has not come back yet, oldest first. */
  unrecorded: VerdictRecord[];
  /** The observation window this listener serves under (its promotion's, from the last verdict), while a standby may attach; null when none. */
  window: { handoff_id: string; until: number } | null;
  /** The standby attached to this listener, or null. */
  standby: StandbyCtx | null;
  /** The standby is taking this listener's promotion back (its HANDOFF_ROLLBACK's reason): the listener stops and leaves. */
  reverting: string | null;
}

type Infer<T extends z.ZodType> = z.infer<T>;

/** Everything that can happen to blue, as seen by its one loop. */
export type BlueEvent =
  /** `existing`: what handoff `frame.handoff_id`'s verdict file holds (its verdict, `unreadable`), or null when there is none. */
  | { type: 'reserve'; now: number; frame: Infer<typeof Reserve>; existing: string | null }
  | { type: 'green_hello'; now: number; handoff_id: string; pid: number }
  | { type: 'ack'; now: number; frame: Infer<typeof HandoffAck> }
  | { type: 'drained'; now: number; cursors: Cursors; drained: number; paused_at: number }
  | { type: 'confirm'; now: number; frame: Infer<typeof HandoffConfirm> }
  | { type: 'health'; now: number; frame: Infer<typeof Health> }
  | { type: 'green_rollback'; now: number; frame: Infer<typeof HandoffRollback> }
  | { type: 'stopped'; now: number; frame: Infer<typeof HandoffStopped> }
  | { type: 'green_complete'; now: number; frame: Infer<typeof HandoffComplete> }
  | { type: 'green_closed'; now: number; green_alive: boolean }
  | { type: 'abort'; now: number; handoff_id: string; reason: string }
  | { type: 'baseline'; now: number; baseline: Baseline }
  /** The outcome of a `record` effect: `error` says why the verdict file could not be written. */
  | { type: 'recorded'; now: number; handoff_id: string; error: string | null }
  /** The outcome of `check_takeover`: the pid whose WELCOME answered on the socket, or null when none did. */
  | { type: 'takeover_checked'; now: number; server_pid: number | null }
  | { type: 'tick'; now: number; green_alive: boolean }
  // The observation window, on the listener (a promoted green) side:
  /** A standby sent a valid HELLO with the right token. */
  | { type: 'standby_hello'; now: number; handoff_id: string; pid: number }
  | { type: 'standby_status'; now: number; frame: Infer<typeof StandbyStatus> }
  /** HANDOFF_ROLLBACK on the standby's connection: the standby takes back. */
  | { type: 'standby_rollback'; now: number; frame: Infer<typeof HandoffRollback> }
  /** The standby's connection closed; `standby_alive`: whether its pid still ran when the listener judged. */
  | { type: 'standby_closed'; now: number; pid: number; standby_alive: boolean };

/** What the loop must do after a step; the machine itself does nothing. */
export type BlueEffect =
  | { kind: 'reply'; frame: Outgoing } // to the connection that caused the event
  | { kind: 'reply_close'; frame: Outgoing } // the same, then close that connection
  | { kind: 'to_green'; frame: Outgoing }
  | { kind: 'adopt_green' } // the connection that sent the event is green's from now on
  | { kind: 'close_green' }
  | { kind: 'drain'; deadline_ms: number } // finish in-flight work and pause adapters within deadline_ms, then report 'drained'
  | { kind: 'resume'; cursors: Cursors | null } // poll again, from these cursors when given
  | { kind: 'stop_green'; pid: number; grace_ms: number } // SIGTERM after grace if still alive, then SIGKILL
  | { kind: 'kill_green'; pid: number } // SIGKILL now and wait until it is gone
  | { kind: 'reclaim_socket' } // bind a fresh path and rename it over the socket again (green may have taken it)
  | { kind: 'record'; record: VerdictRecord } // write the verdict file, then report 'recorded'
  | { kind: 'emit'; event: Extract<Outgoing, { type: 'EVENT' }>['event'] }
  | { kind: 'check_takeover'; pid: number; timeout_ms: number } // connect as an observer, then report 'takeover_checked'
  | { kind: 'exit' } // the promotion is final: stop listening and leave
  | { kind: 'stand_by'; setup: StandbySetup } // the promotion is final and a window was reserved: stop listening, release the adapters, observe green (standby.ts)
  | { kind: 'adopt_standby'; heartbeat_ms: number } // the connection that sent the event is the standby's: send it HEALTH every heartbeat_ms
  | { kind: 'to_standby'; frame: Outgoing }
  | { kind: 'close_standby' }
  // Send STANDBY_END; wait up to timeout_ms for the standby's pid to go (then SIGKILL it and wait up to 2 s);
  // report 'standby_closed'; then take `reserve` again, from the same connection.
  | { kind: 'end_standby'; pid: number; frame: Outgoing; timeout_ms: number; reserve: Infer<typeof Reserve> }
  // The standby takes back: pause the adapters, send HANDOFF_STOPPED with their cursors to the standby, stop listening, leave.
  | { kind: 'stop_serving'; handoff_id: string };

export interface Step {
  state: BlueState;
  effects: BlueEffect[];
}

/** The state of a blue that has just started serving; a promoted `last` still under observation opens its window to the standby. */
export function initialState(self: BlueSelf, last: VerdictRecord | null = null): BlueState {
  const o = last?.verdict === 'promoted' ? last.observation : undefined;
  const window = last && o?.outcome === 'observing' ? { handoff_id: last.handoff_id, until: o.until } : null;
  return { phase: 'idle', deadline: null, self, baseline: NO_BASELINE, handoff: null, last_verdict: last, unrecorded: [], window, standby: null, reverting: null };
}

/** Longest reason or note the machine writes; what peers send may be longer, frames must stay valid. */
const MAX_REASON = 1024;
/** Most bytes a verdict record may take, so EVENT and STATE frames carrying it fit one line (with room for record_error). */
const RECORD_BYTES = 40 * 1024;

/** `s` cut to `MAX_REASON`. */
const clip = (s: string) => clipTo(s, MAX_REASON);

const jsonBytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));

/** Keeps evenly spaced items of `xs` (the last always among them) so that their JSON takes at most `bytes`. */
function thin<T>(xs: readonly T[], bytes: number): T[] {
  const total = jsonBytes(xs);
  if (total <= bytes) return xs.slice();
  let n = Math.floor((xs.length * bytes) / total);
  for (;;) {
    const picked = n <= 0 ? [] : n === 1 ? [xs[xs.length - 1] as T] : Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T);
    if (n <= 0 || jsonBytes(picked) <= bytes) return picked;
    n = Math.floor(n * 0.9);
  }
}

/** The record with its health samples thinned, when needed, to fit `RECORD_BYTES`. */
function fitRecord(r: VerdictRecord): VerdictRecord {
  const rest = jsonBytes({ ...r, health: [] });
  return { ...r, health: thin(r.health, Math.max(0, RECORD_BYTES - rest)) };
}

/** The handoff state machine of blue: (state, event) -> (state, effects). Pure; never throws on any event. */
export function step(state: BlueState, ev: BlueEvent): Step {
  const s: BlueState = { ...state, handoff: state.handoff ? { ...state.handoff } : null };
  const fx: BlueEffect[] = [];
  const h = s.handoff;

  const enter = (phase: Phase, deadline: number | null, longNote?: string) => {
    const note = longNote === undefined ? undefined : clip(longNote);
    s.phase = phase;
    s.deadline = deadline;
    if (s.handoff) {
      s.handoff.timeline = [...s.handoff.timeline, { phase, at: ev.now, ...(note ? { note } : {}) }];
      fx.push({ kind: 'emit', event: { kind: 'phase', handoff_id: s.handoff.id, phase, at: ev.now, ...(note ? { note } : {}) } });
    }
  };

  // Ends the handoff with a verdict; blue serves again unless promoted.
  const decide = (verdict: Verdict, longReason: string) => {
    const reason = clip(longReason);
    const ho = s.handoff!;
    const phase = verdict === 'promoted' ? 'complete' : 'idle';
    enter(phase, null, `${verdict}: ${reason}`);
    // The dark window ends with the next poller's first poll: green's, or blue's own resume when green never confirmed.
    const end = ho.polling_at ?? (ho.handed !== null && verdict !== 'promoted' ? ev.now : null);
    const record: VerdictRecord = fitRecord({
      v: PROTOCOL_VERSION,
      handoff_id: ho.id,
      verdict,
      reason,
      release: ho.release,
      runtime: ho.runtime,
      blue_pid: s.self.pid,
      green_pid: ho.green_pid,
      decided_by: 'blue',
      decided_at: ev.now,
      dark_window_ms: ho.paused_at !== null && end !== null ? Math.max(0, end - ho.paused_at) : null,
      timeline: ho.timeline.slice(-256),
      health: ho.health.slice(-4096),
      ...(verdict === 'promoted' && ho.observe_ms > 0 ? { observation: { until: ev.now + ho.observe_ms, ended_at: null, outcome: 'observing' as const } } : {}),
    });
    s.unrecorded = [...s.unrecorded, record];
    if (verdict === 'promoted') {
      // Not final yet: blue stays, paused, until green answers that it owns the socket (or is gone).
      ho.pending = record;
      s.deadline = ev.now + ho.deadlines.takeover_ms;
      fx.push({ kind: 'record', record }, { kind: 'to_green', frame: { type: 'HANDOFF_COMPLETE', handoff_id: ho.id, reason } });
    } else {
      // EVENT verdict waits for the write's outcome, so it carries record_error when there is one.
      s.last_verdict = record;
      fx.push({ kind: 'record', record });
      s.handoff = null;
    }
  };

  // Green never got the cursors: tell it to go, make sure it goes, decide failed.
  const failBeforeHandover = (longReason: string, resume: boolean) => {
    const reason = clip(longReason);
    const ho = s.handoff!;
    fx.push({ kind: 'to_green', frame: { type: 'HANDOFF_ROLLBACK', handoff_id: ho.id, reason } }, { kind: 'close_green' });
    if (ho.green_pid !== null) fx.push({ kind: 'stop_green', pid: ho.green_pid, grace_ms: ho.deadlines.rollback_grace_ms });
    if (resume) fx.push({ kind: 'resume', cursors: null });
    decide('failed', reason);
  };

  // Green may be polling: ask it to stop and wait for it (bounded by the grace period).
  const beginRollback = (longReason: string) => {
    const reason = clip(longReason);
    const ho = s.handoff!;
    ho.rollback_reason = reason;
    fx.push({ kind: 'to_green', frame: { type: 'HANDOFF_ROLLBACK', handoff_id: ho.id, reason } });
    enter('rolling-back', ev.now + ho.deadlines.rollback_grace_ms, reason);
  };

  const finishRollback = (cursors: Cursors | null, extra?: string) => {
    const ho = s.handoff!;
    fx.push({ kind: 'resume', cursors: cursors ?? ho.cursors }, { kind: 'close_green' });
    const reason = ho.rollback_reason ?? 'rolled back';
    decide('rolled-back', extra ? `${reason}; ${extra}` : reason);
  };

  // After COMPLETE: green is gone or is not serving. Kill it if need be, take the socket back, serve again.
  const takeBack = (reason: string, kill: boolean) => {
    const ho = s.handoff!;
    if (kill && ho.green_pid !== null) fx.push({ kind: 'kill_green', pid: ho.green_pid });
    fx.push({ kind: 'close_green' }, { kind: 'reclaim_socket' }, { kind: 'resume', cursors: ho.cursors });
    ho.pending = null;
    ho.verifying = false;
    decide('rolled-back', reason);
  };

  switch (ev.type) {
    case 'baseline':
      // Only between handoffs: a refused RESERVE must not move the yardstick of the bake under way.
      if (s.phase === 'idle') s.baseline = ev.baseline;
      return { state: s, effects: fx };

    case 'recorded':
      return recorded(s, fx, ev.handoff_id, ev.error);

    case 'reserve': {
      const f = ev.frame;
      // The frame was validated on the wire; an event built by hand may not have been, and step never throws.
      const dl = Deadlines.safeParse(f.deadlines ?? {});
      const th = Thresholds.safeParse(f.thresholds ?? {});
      const ot = ObserveThresholds.safeParse(f.observe_thresholds ?? {});
      const observeMs = f.observe_ms ?? 0;
      const inconsistent = dl.success ? deadlinesIssue(dl.data) : null;
      if (!dl.success || !th.success || !ot.success || inconsistent || !Number.isSafeInteger(observeMs) || observeMs < 0) {
        const [group, issue] = !dl.success ? ['deadlines', dl.error.issues[0]] : !th.success ? ['thresholds', th.error.issues[0]] : !ot.success ? ['observe_thresholds', ot.error.issues[0]] : ['observe_ms', undefined];
        const where = inconsistent
          ? `deadlines.${inconsistent[0]}: ${inconsistent[1]}`
          : group === 'observe_ms'
            ? 'observe_ms: expected a whole number of milliseconds >= 0'
            : `${group}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
        fx.push({ kind: 'reply_close', frame: errorFrame('bad_frame', `RESERVE: ${where}`, 'RESERVE', true) });
        return { state: s, effects: fx };
      }
      if (s.phase !== 'idle' || h) {
        const what = h ? `handoff ${h.id} is ${s.phase}` : `blue is ${s.phase}`;
        fx.push({ kind: 'reply', frame: errorFrame('busy', `${what}; one handoff at a time`, 'RESERVE') });
        return { state: s, effects: fx };
      }
      const known = [s.last_verdict, ...s.unrecorded].find((r) => r?.handoff_id === f.handoff_id);
      const existing = ev.existing ?? known?.verdict ?? null;
      if (existing !== null) {
        fx.push({ kind: 'reply', frame: errorFrame('exists', `handoff ${f.handoff_id} already has a verdict (${existing}); mint a new id`, 'RESERVE') });
        return { state: s, effects: fx };
      }
      if (s.reverting !== null) {
        fx.push({ kind: 'reply', frame: errorFrame('busy', `blue is stopping: its standby takes handoff ${s.standby?.handoff_id ?? ''} back; one handoff at a time`, 'RESERVE') });
        return { state: s, effects: fx };
      }
      if (s.standby) {
        // One standby at a time: the window of the handoff that promoted this listener ends before a new one starts.
        const st = s.standby;
        if (st.ending) {
          fx.push({ kind: 'reply', frame: errorFrame('busy', `the observation of handoff ${st.handoff_id} is ending for another handoff; one handoff at a time`, 'RESERVE') });
          return { state: s, effects: fx };
        }
        s.standby = { ...st, ending: true };
        s.window = null;
        const end: Outgoing = { type: 'STANDBY_END', handoff_id: st.handoff_id, reason: `superseded by handoff ${f.handoff_id}` };
        fx.push({ kind: 'end_standby', pid: st.pid, frame: end, timeout_ms: STANDBY_END_MS, reserve: f });
        return { state: s, effects: fx };
      }
      // A window nobody observes any more ends with this handoff too.
      s.window = null;
      const deadlines = dl.data;
      const thresholds = th.data;
      s.handoff = {
        id: f.handoff_id,
        release: f.release,
        runtime: f.runtime,
        bake_ms: f.bake_ms,
        thresholds,
        deadlines,
        observe_ms: observeMs,
        observe_thresholds: ot.data,
        started_at: ev.now,
        green_pid: null,
        handed: null,
        cursors: null,
        paused_at: null,
        polling_at: null,
        bake_started_at: null,
        last_heartbeat_at: null,
        breaches: { error: 0, latency: 0 },
        late: 0,
        health: [],
        timeline: [],
        rollback_reason: null,
        notes: [],
        pending: null,
        verifying: false,
      };
      enter('reserved', ev.now + deadlines.claim_ms, `release ${f.release}, runtime ${f.runtime}`);
      fx.push({
        kind: 'reply',
        frame: { type: 'RESERVED', handoff_id: f.handoff_id, expires_at: ev.now + deadlines.claim_ms, thresholds, deadlines, observe_ms: observeMs, observe_thresholds: ot.data },
      });
      return { state: s, effects: fx };
    }

    case 'green_hello': {
      if (s.phase !== 'reserved' || !h || h.id !== ev.handoff_id) {
        const why = !h ? 'no handoff is reserved' : h.id !== ev.handoff_id ? `no reservation for handoff ${ev.handoff_id}` : `handoff ${h.id} is already claimed (${s.phase})`;
        fx.push({ kind: 'reply_close', frame: errorFrame('busy', why, 'HELLO', true) });
        return { state: s, effects: fx };
      }
      h.green_pid = ev.pid;
      fx.push({ kind: 'adopt_green' });
      fx.push({
        kind: 'to_green',
        frame: {
          type: 'HANDOFF_INIT',
          handoff_id: h.id,
          blue_pid: s.self.pid,
          release: s.self.release,
          runtime: s.self.runtime,
          store: { path: s.self.store_path, schema: s.self.store_schema },
          bake_ms: h.bake_ms,
          deadlines: h.deadlines,
        },
      });
      enter('init', ev.now + h.deadlines.ack_ms, `green pid ${ev.pid}`);
      return { state: s, effects: fx };
    }

    case 'ack': {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, 'HANDOFF_ACK', ev.frame.handoff_id);
      if (!h || s.phase !== 'init') return wrongPhase(s, fx, 'HANDOFF_ACK');
      const f = ev.frame;
      if (f.release !== h.release) {
        failBeforeHandover(`green reports release ${f.release}, expected ${h.release}`, false);
      } else if (f.runtime !== h.runtime) {
        failBeforeHandover(`green reports runtime ${f.runtime}, expected ${h.runtime}`, false);
      } else if (f.store_schema !== s.self.store_schema) {
        failBeforeHandover(`green reads store schema ${f.store_schema}; blue's store is schema ${s.self.store_schema}`, false);
      } else {
        h.green_pid = f.pid;
        enter('draining', ev.now + h.deadlines.drain_ms, `green ready after ${formatDuration(f.init_ms)}`);
        fx.push({ kind: 'drain', deadline_ms: h.deadlines.drain_ms });
      }
      return { state: s, effects: fx };
    }

    case 'drained': {
      if (!h || s.phase !== 'draining') return { state: s, effects: fx }; // late: the drain was abandoned
      h.cursors = ev.cursors;
      h.handed = ev.cursors;
      h.paused_at = ev.paused_at;
      fx.push({ kind: 'to_green', frame: { type: 'HANDOFF_ACTIVE', handoff_id: h.id, cursors: ev.cursors, drained: ev.drained, paused_at: ev.paused_at } });
      enter('active', ev.now + h.deadlines.confirm_ms, `${ev.drained} in-flight finished`);
      return { state: s, effects: fx };
    }

    case 'confirm': {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, 'HANDOFF_CONFIRM', ev.frame.handoff_id);
      if (!h || s.phase !== 'active') return wrongPhase(s, fx, 'HANDOFF_CONFIRM');
      const f = ev.frame;
      h.polling_at = f.polling_at;
      h.bake_started_at = ev.now;
      h.last_heartbeat_at = ev.now;
      h.notes = (f.notes ?? []).map(clip);
      const handed = Object.keys(h.handed ?? {});
      const missing = handed.filter((n) => !f.adapters.includes(n));
      if (missing.length > 0) {
        beginRollback(`green did not start ${missing.length === 1 ? 'adapter' : 'adapters'} ${missing.join(', ')} handed over in HANDOFF_ACTIVE`);
        return { state: s, effects: fx };
      }
      const extra = f.adapters.filter((n) => !handed.includes(n));
      const dark = h.paused_at !== null ? ` after a ${formatDuration(Math.max(0, f.polling_at - h.paused_at))} dark window` : '';
      const also = extra.length > 0 ? `; green also started ${extra.join(', ')}` : '';
      enter('baking', ev.now + h.bake_ms, [`green polling${dark}${also}`, ...h.notes].join('; '));
      return { state: s, effects: fx };
    }

    case 'health': {
      // Heartbeats still count while rolling back: green may poll until it stops, and blue resumes from its latest cursors.
      if (!h || (s.phase !== 'baking' && s.phase !== 'active' && s.phase !== 'rolling-back') || ev.frame.handoff_id !== h.id) return { state: s, effects: fx };
      h.last_heartbeat_at = ev.now;
      h.cursors = ev.frame.cursors;
      h.health = [...h.health, ev.frame.sample].slice(-4096);
      fx.push({ kind: 'emit', event: { kind: 'health', handoff_id: h.id, sample: ev.frame.sample } });
      if (s.phase !== 'baking') return { state: s, effects: fx };
      const j = judgeSample(ev.frame.sample, s.baseline, h.thresholds, h.breaches);
      h.breaches = j.breaches;
      if (j.reason) beginRollback(j.reason);
      else if (s.deadline !== null && ev.now >= s.deadline) {
        // The bake is over and this heartbeat proves green alive now: promote, unless it is failing as the bake ends.
        h.late += 1;
        const end = bakeEnd(h.health, h.breaches, h.late, s.baseline, h.thresholds);
        if (end.kind === 'promote') decide('promoted', promotionReason(h.bake_ms, h.health, h.thresholds, h.notes));
        else if (end.kind === 'roll-back') beginRollback(end.reason);
      }
      return { state: s, effects: fx };
    }

    case 'green_rollback': {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, 'HANDOFF_ROLLBACK', ev.frame.handoff_id);
      if (!h || !['init', 'draining', 'active', 'baking', 'rolling-back'].includes(s.phase)) return wrongPhase(s, fx, 'HANDOFF_ROLLBACK');
      const reason = `green rolled back: ${ev.frame.reason}`;
      if (h.green_pid !== null) fx.push({ kind: 'stop_green', pid: h.green_pid, grace_ms: h.deadlines.rollback_grace_ms });
      if (h.handed === null) {
        fx.push({ kind: 'close_green' });
        if (s.phase === 'draining') fx.push({ kind: 'resume', cursors: null });
        decide('failed', reason);
      } else {
        h.rollback_reason ??= reason;
        finishRollback(ev.frame.cursors ?? null);
      }
      return { state: s, effects: fx };
    }

    case 'green_complete': {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, 'HANDOFF_COMPLETE', ev.frame.handoff_id);
      if (!h || s.phase !== 'complete' || !h.pending || h.verifying || h.green_pid === null) return wrongPhase(s, fx, 'HANDOFF_COMPLETE');
      // Green says it owns the socket: see for ourselves before leaving (nothing may be listening otherwise).
      h.verifying = true;
      fx.push({ kind: 'check_takeover', pid: h.green_pid, timeout_ms: PROBE_MS });
      return { state: s, effects: fx };
    }

    case 'takeover_checked': {
      if (!h || s.phase !== 'complete' || !h.verifying || !h.pending) return { state: s, effects: fx };
      h.verifying = false;
      if (ev.server_pid !== null && ev.server_pid === h.green_pid) {
        // Green serves on the socket: the promotion is final; blue leaves, or stands by for the window.
        const record = h.pending;
        s.last_verdict = record;
        s.deadline = null;
        h.pending = null;
        fx.push({ kind: 'emit', event: { kind: 'verdict', record } }, { kind: 'close_green' });
        const until = record.observation?.until;
        if (h.observe_ms > 0 && until !== undefined) {
          const setup: StandbySetup = {
            pid: s.self.pid,
            handoff_id: h.id,
            green_pid: h.green_pid!,
            release: h.release,
            record,
            until,
            thresholds: h.observe_thresholds,
            baseline: s.baseline,
            rollback_grace_ms: h.deadlines.rollback_grace_ms,
            restart_grace_ms: h.deadlines.restart_grace_ms,
            cursors: h.cursors,
          };
          fx.push({ kind: 'stand_by', setup });
        } else {
          fx.push({ kind: 'exit' });
        }
        return { state: s, effects: fx };
      }
      const who = ev.server_pid === null ? 'no process' : `pid ${ev.server_pid}${ev.server_pid === s.self.pid ? ' (blue)' : ''}`;
      takeBack(`green (pid ${h.green_pid}) answered HANDOFF_COMPLETE but the socket answers from ${who}`, true);
      return { state: s, effects: fx };
    }

    case 'stopped': {
      if (h && ev.frame.handoff_id !== h.id) return unknownHandoff(s, fx, 'HANDOFF_STOPPED', ev.frame.handoff_id);
      if (!h || s.phase !== 'rolling-back') return wrongPhase(s, fx, 'HANDOFF_STOPPED');
      if (h.green_pid !== null) fx.push({ kind: 'stop_green', pid: h.green_pid, grace_ms: h.deadlines.rollback_grace_ms });
      finishRollback(ev.frame.cursors);
      return { state: s, effects: fx };
    }

    case 'green_closed': {
      if (!h) return { state: s, effects: fx };
      // One reason per crash whatever wins the race: by whether green's pid is gone when blue judges.
      const how = (closed: string) => `green (pid ${h.green_pid}) ${ev.green_alive ? closed : 'exited'}`;
      switch (s.phase) {
        case 'init':
          failBeforeHandover(`${how('closed the connection')} before HANDOFF_ACK`, false);
          break;
        case 'draining':
          failBeforeHandover(`${how('closed the connection')} while blue was draining`, true);
          break;
        case 'active':
        case 'baking':
          // Green may still be polling: wait (bounded) until its pid is gone, then resume.
          beginRollback(`${how('closed the handoff connection')} during ${s.phase === 'active' ? 'the handover' : 'the bake'}`);
          break;
        default:
          break;
      }
      return { state: s, effects: fx };
    }

    case 'abort': {
      if (!h || h.id !== ev.handoff_id) {
        fx.push({ kind: 'reply', frame: errorFrame('unknown_handoff', h ? `the current handoff is ${h.id}` : 'no handoff is under way', 'ABORT') });
        return { state: s, effects: fx };
      }
      if (s.phase === 'complete') return wrongPhase(s, fx, 'ABORT');
      const reason = `aborted: ${ev.reason}`;
      fx.push({ kind: 'reply', frame: { type: 'ABORTING', handoff_id: h.id, phase: s.phase } });
      if (s.phase === 'reserved') decide('failed', reason);
      else if (s.phase === 'init') failBeforeHandover(reason, false);
      else if (s.phase === 'draining') failBeforeHandover(reason, true);
      else if (s.phase === 'active' || s.phase === 'baking') beginRollback(reason);
      return { state: s, effects: fx };
    }

    case 'tick':
      return tick(s, fx, ev.now, ev.green_alive, { decide, failBeforeHandover, beginRollback, finishRollback, takeBack });

    case 'standby_hello':
      return standbyHello(s, fx, ev);

    case 'standby_status':
      if (s.standby) s.standby = { ...s.standby, rss_bytes: ev.frame.rss_bytes };
      return { state: s, effects: fx };

    case 'standby_rollback': {
      const st = s.standby;
      if (!st || s.reverting !== null) return wrongPhase(s, fx, 'HANDOFF_ROLLBACK');
      if (ev.frame.handoff_id !== st.handoff_id) {
        fx.push({ kind: 'reply', frame: errorFrame('unknown_handoff', `HANDOFF_ROLLBACK names handoff ${ev.frame.handoff_id}; the standby observes ${st.handoff_id}`, 'HANDOFF_ROLLBACK') });
        return { state: s, effects: fx };
      }
      // The standby judged this green failed: stop, hand the cursors back, leave (the standby writes the verdict).
      s.reverting = clip(ev.frame.reason);
      s.window = null;
      fx.push({ kind: 'stop_serving', handoff_id: st.handoff_id });
      return { state: s, effects: fx };
    }

    case 'standby_closed':
      return standbyClosed(s, fx, ev);
  }
}

/** A standby's HELLO: accepted only for the open window of this listener's own promotion, one standby at a time. */
function standbyHello(s: BlueState, fx: BlueEffect[], ev: Extract<BlueEvent, { type: 'standby_hello' }>): Step {
  const w = s.window;
  const h = s.handoff;
  const refuse = (code: 'busy' | 'unknown_handoff', message: string): Step => {
    fx.push({ kind: 'reply_close', frame: errorFrame(code, message, 'HELLO', true) });
    return { state: s, effects: fx };
  };
  if (s.reverting !== null) return refuse('busy', `this listener is stopping: its standby takes handoff ${s.standby?.handoff_id ?? ev.handoff_id} back`);
  if (h) return refuse('busy', `handoff ${h.id} is ${s.phase}; no observation window is open`);
  if (!w || w.handoff_id !== ev.handoff_id || ev.now >= w.until) return refuse('unknown_handoff', `no observation window is open for handoff ${ev.handoff_id}`);
  if (s.standby && s.standby.pid !== ev.pid) return refuse('busy', `a standby (pid ${s.standby.pid}) already observes handoff ${w.handoff_id}`);
  // The same standby attaching again replaces its old connection.
  if (s.standby) fx.push({ kind: 'close_standby' });
  s.standby = { pid: ev.pid, handoff_id: w.handoff_id, until: w.until, rss_bytes: s.standby?.rss_bytes ?? null, ending: false };
  fx.push(
    { kind: 'adopt_standby', heartbeat_ms: STANDBY_HEARTBEAT_MS },
    {
      kind: 'to_standby',
      frame: { type: 'STANDBY_WELCOME', handoff_id: w.handoff_id, server_pid: s.self.pid, release: s.self.release, runtime: s.self.runtime, until: w.until, heartbeat_ms: STANDBY_HEARTBEAT_MS },
    },
  );
  return { state: s, effects: fx };
}

/**
 * The standby's connection closed. Nothing changes for this listener's serving: the standby is a safety
 * net. A standby that died inside the window leaves the window recorded as `standby-lost`.
 */
function standbyClosed(s: BlueState, fx: BlueEffect[], ev: Extract<BlueEvent, { type: 'standby_closed' }>): Step {
  const st = s.standby;
  if (!st || st.pid !== ev.pid) return { state: s, effects: fx };
  s.standby = null;
  // Taking back or superseded: the standby records how the window ended itself.
  if (s.reverting !== null || st.ending) return { state: s, effects: fx };
  const w = s.window;
  const last = s.last_verdict;
  const o = last?.handoff_id === st.handoff_id ? last.observation : undefined;
  if (ev.now >= st.until) {
    // The window is over: the standby wrote `passed` and left.
    s.window = null;
    if (last && o?.outcome === 'observing') s.last_verdict = { ...last, observation: { ...o, ended_at: ev.now, outcome: 'passed' } };
    return { state: s, effects: fx };
  }
  // Alive: it may attach again (the window stays open for it).
  if (ev.standby_alive || !w) return { state: s, effects: fx };
  s.window = null;
  if (last && o?.outcome === 'observing') {
    const record: VerdictRecord = {
      ...last,
      observation: { ...o, ended_at: ev.now, outcome: 'standby-lost', reason: `the standby (pid ${st.pid}) exited ${formatDuration(ev.now - last.decided_at)} after promotion; green serves unobserved` },
    };
    s.last_verdict = record;
    s.unrecorded = [...s.unrecorded, record];
    fx.push({ kind: 'record', record });
  }
  return { state: s, effects: fx };
}

interface Helpers {
  decide: (verdict: Verdict, reason: string) => void;
  failBeforeHandover: (reason: string, resume: boolean) => void;
  beginRollback: (reason: string) => void;
  finishRollback: (cursors: Cursors | null, extra?: string) => void;
  takeBack: (reason: string, kill: boolean) => void;
}

function tick(s: BlueState, fx: BlueEffect[], now: number, greenAlive: boolean, x: Helpers): Step {
  const h = s.handoff;
  if (!h) return { state: s, effects: fx };
  const pid = h.green_pid;
  const due = s.deadline !== null && now >= s.deadline;
  const d = h.deadlines;
  const dead = pid !== null && !greenAlive;
  switch (s.phase) {
    case 'reserved':
      if (due) x.decide('failed', `no green claimed handoff ${h.id} within ${formatDuration(d.claim_ms)}`);
      break;
    case 'init':
      if (dead) x.failBeforeHandover(`green (pid ${pid}) exited before HANDOFF_ACK`, false);
      else if (due) x.failBeforeHandover(`green did not send HANDOFF_ACK within ${formatDuration(d.ack_ms)}`, false);
      break;
    case 'draining':
      if (dead) x.failBeforeHandover(`green (pid ${pid}) exited while blue was draining`, true);
      else if (due) x.failBeforeHandover(`blue could not finish in-flight work within ${formatDuration(d.drain_ms)}`, true);
      break;
    case 'active':
      if (dead) x.beginRollback(`green (pid ${pid}) exited during the handover`);
      else if (due) x.beginRollback(`green did not send HANDOFF_CONFIRM within ${formatDuration(d.confirm_ms)}`);
      break;
    case 'baking': {
      const age = now - (h.last_heartbeat_at ?? now);
      const limit = h.thresholds.max_heartbeat_age_ms;
      if (dead) x.beginRollback(`green (pid ${pid}) exited during the bake`);
      else if (age > limit) x.beginRollback(`no HEALTH from green for ${formatDuration(age, limit)} (limit ${formatDuration(limit)})`);
      // At the bake's end blue waits for one more HEALTH (see 'health') rather than promote a green
      // that may have hung since its last one; the heartbeat-age limit above bounds that wait.
      break;
    }
    case 'rolling-back':
      if (!greenAlive) x.finishRollback(null);
      else if (due) {
        if (pid !== null) fx.push({ kind: 'kill_green', pid });
        x.finishRollback(null, `green did not stop within ${formatDuration(d.rollback_grace_ms)} and was killed`);
      }
      break;
    case 'complete':
      // COMPLETE was sent; green has not yet said it owns the socket. If it died or went silent,
      // nobody would serve: blue takes the socket back and resumes from green's last cursors.
      // (A null deadline means the promotion is final: blue is leaving. While blue checks green's
      // answer, the check's own bound decides.)
      if (s.deadline !== null && pid !== null && !h.verifying && (dead || due)) {
        x.takeBack(
          dead
            ? `green (pid ${pid}) exited after HANDOFF_COMPLETE before taking over the socket`
            : `green (pid ${pid}) did not take over the socket within ${formatDuration(d.takeover_ms)} of HANDOFF_COMPLETE and was killed`,
          !dead,
        );
      }
      break;
    default:
      break;
  }
  return { state: s, effects: fx };
}

/** A verdict file was written (or not): annotate the record, and send a final verdict to the subscribers. */
function recorded(s: BlueState, fx: BlueEffect[], id: string, error: string | null): Step {
  const i = s.unrecorded.findIndex((r) => r.handoff_id === id);
  if (i < 0) return { state: s, effects: fx };
  const written = s.unrecorded[i]!;
  s.unrecorded = s.unrecorded.filter((_, j) => j !== i);
  const record: VerdictRecord = error === null ? written : { ...written, record_error: clip(error) };
  const same = (r: VerdictRecord | null | undefined) => r?.handoff_id === id && r.decided_at === written.decided_at && r.verdict === written.verdict;
  if (written.verdict === 'promoted') {
    // Provisional until green answers; the EVENT goes out then. A take-back may already have replaced it.
    if (s.handoff && same(s.handoff.pending)) s.handoff.pending = record;
    return { state: s, effects: fx };
  }
  if (same(s.last_verdict)) s.last_verdict = record;
  fx.push({ kind: 'emit', event: { kind: 'verdict', record } });
  return { state: s, effects: fx };
}

function unknownHandoff(s: BlueState, fx: BlueEffect[], frame: string, id: string): Step {
  fx.push({ kind: 'reply', frame: errorFrame('unknown_handoff', `${frame} names handoff ${id}; the current handoff is ${s.handoff?.id}`, frame) });
  return { state: s, effects: fx };
}

function wrongPhase(s: BlueState, fx: BlueEffect[], frame: string): Step {
  const where = s.handoff ? `handoff ${s.handoff.id} is ${s.phase}` : `blue is ${s.phase}`;
  fx.push({ kind: 'reply', frame: errorFrame('wrong_phase', `${frame} is not accepted now: ${where}`, frame) });
  return { state: s, effects: fx };
}

/** The STATE frame an observer gets for this state; it always fits one line. */
export function view(s: BlueState): Outgoing {
  const h = s.handoff;
  const last = s.last_verdict ? fitRecord(s.last_verdict) : null;
  const frame: Extract<Outgoing, { type: 'STATE' }> = {
    type: 'STATE',
    phase: s.phase,
    server_pid: s.self.pid,
    release: s.self.release,
    runtime: s.self.runtime,
    handoff: h
      ? { id: h.id, release: h.release, runtime: h.runtime, bake_ms: h.bake_ms, green_pid: h.green_pid, started_at: h.started_at, bake_started_at: h.bake_started_at }
      : null,
    timeline: h ? h.timeline : (last?.timeline ?? []),
    health: [],
    last_verdict: last,
    standby: s.standby ? { pid: s.standby.pid, handoff_id: s.standby.handoff_id, until: s.standby.until, rss_bytes: s.standby.rss_bytes } : null,
  };
  // The live samples get what room the rest leaves (a margin for the envelope and "v").
  frame.health = h ? thin(h.health.slice(-256), Math.max(0, MAX_LINE_BYTES - 256 - jsonBytes(frame))) : [];
  return frame;
}
