// The standby's state machine (docs/protocol.md section 14.1): after a promotion with an observation
// window, the old blue watches green from a connection to green's socket and takes back a green that
// dies, hangs or fails its health. Pure, like blue's machine: (state, event) -> (state, effects).
import { PROBE_MS, STANDBY_STATUS_MS, type Thresholds } from './deadlines.ts';
import type { Cursors, HandoffStopped, Health, Observation, Outgoing, StandbyEnd, StandbyWelcome, TimelineEntry, VerdictRecord } from './frames.ts';
import { judgeSample, type Baseline, type Breaches } from './health.ts';
import { formatDuration, formatTime } from './format.ts';
import { clip } from './clip.ts';
import type { z } from 'zod';

/** What the standby starts from: the final promotion it observes and the window's terms (carried by blue's `stand_by` effect). */
export interface StandbySetup {
  /** The standby's own pid (the old blue's). */
  pid: number;
  handoff_id: string;
  /** Green's pid: the process the standby watches (a restarted green replaces it). */
  green_pid: number;
  /** The promoted release: a restarted green is taken as green only when its STANDBY_WELCOME reports it. */
  release: string;
  /** The promoted verdict record, final, its `observation` `observing`. */
  record: VerdictRecord;
  /** When the window ends. */
  until: number;
  /** The window's thresholds (RESERVE.observe_thresholds, completed). */
  thresholds: Thresholds;
  /** Blue's baseline from the RESERVE, for the latency limit. */
  baseline: Baseline;
  rollback_grace_ms: number;
  restart_grace_ms: number;
  /** Green's latest cursors from the bake: where blue resumes if green dies before its first HEALTH to the standby. */
  cursors: Cursors | null;
}

/**
 * `attaching`: connecting to green's socket at the start; `observing`: attached (or re-attaching to a
 * live green), judging its HEALTH; `waiting`: green's pid is gone, a restarted green may listen again
 * within restart_grace_ms; `stopping`: the take-back is decided and written, green is being stopped;
 * `served`: blue serves again; `ended`: the window ended without a take-back, the standby leaves.
 */
export type StandbyPhase = 'attaching' | 'observing' | 'waiting' | 'stopping' | 'served' | 'ended';

/** Everything the standby knows, between two steps. */
export interface StandbyState {
  phase: StandbyPhase;
  /** When the current phase times out (epoch ms): the end of the start's attach, of the window, of the restart grace, of the stop; null once over. */
  deadline: number | null;
  setup: StandbySetup;
  /** When the window started (the promotion became final). */
  started_at: number;
  /** The green being watched or stopped; null while the take-back looks for a green that restarted meanwhile. */
  green_pid: number | null;
  /** A STANDBY_WELCOME came on the current connection. */
  connected: boolean;
  /** An attach (connect, HELLO) is under way. */
  attaching: boolean;
  /** The next attach goes out no earlier than this. */
  retry_at: number;
  /** The latest cursors: green's last HEALTH (on this connection or during the bake), or its HANDOFF_STOPPED. */
  cursors: Cursors | null;
  last_heartbeat_at: number;
  breaches: Breaches;
  next_status_at: number;
  /** Why the last attach failed, in words. */
  refused: string | null;
  /** When green's pid was found gone (the start of `waiting`). */
  exited_at: number | null;
  /** What made the take-back, without its tail (`; blue resumed from its cursors`). */
  trigger: string | null;
  /** The record the take-back wrote. */
  record: VerdictRecord | null;
}

type Infer<T extends z.ZodType> = z.infer<T>;

/** Everything that can happen to the standby, as its loop sees it. */
export type StandbyEvent =
  | { type: 'welcome'; now: number; frame: Infer<typeof StandbyWelcome> }
  /**
   * An attach failed: nothing listens, or no STANDBY_WELCOME came within PROBE_MS; `answered`: a listener
   * answered the HELLO with an ERROR (it refuses the standby, which trying again will not change).
   */
  | { type: 'refused'; now: number; why: string; answered: boolean }
  /** The attached connection closed. */
  | { type: 'closed'; now: number }
  | { type: 'health'; now: number; frame: Infer<typeof Health> }
  | { type: 'end'; now: number; frame: Infer<typeof StandbyEnd> }
  | { type: 'stopped'; now: number; frame: Infer<typeof HandoffStopped> }
  /** The periodic check: whether `green_pid` lives (true when it is null), and the standby's own resident memory. */
  | { type: 'tick'; now: number; green_alive: boolean; rss_bytes: number };

/** What the standby's loop must do after a step; the machine itself does nothing. */
export type StandbyEffect =
  /** Connect to the socket and send HELLO {role: standby}; report `welcome` or `refused`, then frames and `closed`. */
  | { kind: 'attach' }
  | { kind: 'send'; frame: Outgoing }
  /** Close the current connection (no `closed` event follows). */
  | { kind: 'close' }
  /** SIGKILL green and wait (up to 2 s) until it is gone. */
  | { kind: 'kill_green'; pid: number }
  /** Write the verdict file. */
  | { kind: 'record'; record: VerdictRecord }
  /** Bind a fresh path, rename it over the socket, serve as blue with `record` as the last verdict. */
  | { kind: 'reclaim'; record: VerdictRecord }
  /** Start every adapter from these cursors (null: from the store's own position). */
  | { kind: 'resume'; cursors: Cursors | null }
  /** The window ended without a take-back: the process leaves. */
  | { kind: 'exit'; outcome: Observation['outcome'] };

/** One step's result: the next state and what the loop must do, in order. */
export interface StandbyStep {
  state: StandbyState;
  effects: StandbyEffect[];
}

/** How long the standby tries to attach to green at the start before it gives the window up. */
export const STANDBY_ATTACH_MS = 5_000;
/** Pause between two attach attempts. */
export const STANDBY_RETRY_MS = 200;

/** The standby as the window starts: attaching to green. */
export function standbyStart(setup: StandbySetup, now: number): StandbyStep {
  const state: StandbyState = {
    phase: 'attaching',
    deadline: now + STANDBY_ATTACH_MS,
    setup,
    started_at: now,
    green_pid: setup.green_pid,
    connected: false,
    attaching: true,
    retry_at: now,
    cursors: setup.cursors,
    last_heartbeat_at: now,
    breaches: { error: 0, latency: 0 },
    next_status_at: now,
    refused: null,
    exited_at: null,
    trigger: null,
    record: null,
  };
  return { state, effects: [{ kind: 'attach' }] };
}

/** The standby's state machine: (state, event) -> (state, effects). Pure; never throws on any event. */
export function standbyStep(state: StandbyState, ev: StandbyEvent): StandbyStep {
  const s: StandbyState = { ...state };
  const fx: StandbyEffect[] = [];
  const su = s.setup;
  if (s.phase === 'served' || s.phase === 'ended') return { state: s, effects: fx };

  const sincePromotion = (at: number) => `${formatDuration(at - su.record.decided_at)} after promotion`;
  const close = () => {
    if (s.connected || s.attaching) fx.push({ kind: 'close' });
    s.connected = false;
    s.attaching = false;
  };
  const attach = () => {
    s.attaching = true;
    fx.push({ kind: 'attach' });
  };
  const timeline = (last: TimelineEntry): TimelineEntry[] =>
    [...su.record.timeline, { phase: 'observing', at: s.started_at, note: `until ${formatTime(su.until)}` }, last].slice(-256);
  const base = (): VerdictRecord => {
    const { record_error: _dropped, ...rest } = su.record;
    return rest;
  };

  // The window ended without a take-back: record how, and leave.
  const end = (outcome: 'passed' | 'superseded' | 'standby-lost', longReason?: string) => {
    const reason = longReason === undefined ? undefined : clip(longReason, 1024);
    close();
    const note = outcome === 'passed' ? 'passed' : `${outcome}: ${reason}`;
    const record: VerdictRecord = {
      ...base(),
      timeline: timeline({ phase: 'observed', at: ev.now, note: clip(note, 4096) }),
      observation: { until: su.until, ended_at: ev.now, outcome, ...(reason ? { reason } : {}) },
    };
    fx.push({ kind: 'record', record }, { kind: 'exit', outcome });
    s.phase = 'ended';
    s.deadline = null;
  };

  const revertedRecord = (reason: string): VerdictRecord => ({
    ...base(),
    verdict: 'reverted',
    reason,
    decided_by: 'blue',
    decided_at: ev.now,
    timeline: timeline({ phase: 'reverted', at: ev.now, note: reason }),
    observation: { until: su.until, ended_at: ev.now, outcome: 'reverted' },
  });

  // Green failed: write the reversion first (a green its supervisor restarts from now on exits at once), then stop green.
  const takeBack = (trigger: string, greenAlive: boolean) => {
    s.trigger = clip(trigger, 900);
    const record = revertedRecord(`${s.trigger}; blue resumed from its cursors`);
    s.record = record;
    fx.push({ kind: 'record', record });
    s.phase = 'stopping';
    if (s.green_pid !== null && greenAlive && s.connected) {
      fx.push({ kind: 'send', frame: { type: 'HANDOFF_ROLLBACK', handoff_id: su.handoff_id, reason: record.reason } });
      s.deadline = ev.now + su.rollback_grace_ms;
    } else if (s.green_pid !== null && greenAlive) {
      // Nothing to tell it on: it goes the hard way.
      close();
      fx.push({ kind: 'kill_green', pid: s.green_pid });
      finish(null, true);
    } else {
      // Green is gone; a restart may have bound the socket after the last attach: look once more, and stop it too.
      close();
      s.green_pid = null;
      s.deadline = ev.now + PROBE_MS;
      attach();
    }
  };

  // Green is stopped or gone: take the socket back, poll again.
  const finish = (cursors: Cursors | null, killed = false) => {
    let record = s.record!;
    if (killed) {
      record = revertedRecord(`${s.trigger}; green did not stop within ${formatDuration(su.rollback_grace_ms)} and was killed; blue resumed from its cursors`);
      s.record = record;
      fx.push({ kind: 'record', record });
    }
    close();
    fx.push({ kind: 'reclaim', record }, { kind: 'resume', cursors: cursors ?? s.cursors });
    s.phase = 'served';
    s.deadline = null;
    s.green_pid = null;
  };

  const toWaiting = () => {
    close();
    s.phase = 'waiting';
    s.exited_at = ev.now;
    s.deadline = ev.now + su.restart_grace_ms;
    s.retry_at = ev.now;
  };

  const observeFrom = (pid: number) => {
    s.green_pid = pid;
    s.connected = true;
    s.phase = 'observing';
    s.deadline = su.until;
    s.next_status_at = ev.now;
  };

  switch (ev.type) {
    case 'welcome': {
      s.attaching = false;
      const f = ev.frame;
      const ours = f.handoff_id === su.handoff_id;
      if (s.phase === 'attaching' || s.phase === 'observing') {
        if (ours && f.server_pid === s.green_pid) {
          observeFrom(f.server_pid);
          // The heartbeat age runs from the last HEALTH; the first attach starts it.
          if (state.phase === 'attaching') s.last_heartbeat_at = ev.now;
        } else {
          s.refused = `the socket answers from pid ${f.server_pid}, not green (pid ${s.green_pid})`;
          s.retry_at = ev.now + STANDBY_RETRY_MS;
          fx.push({ kind: 'close' });
        }
      } else if (s.phase === 'waiting') {
        if (ours && f.release === su.release) {
          // Green's supervisor started it again: observe the new process.
          observeFrom(f.server_pid);
          s.last_heartbeat_at = ev.now;
          s.breaches = { error: 0, latency: 0 };
          s.exited_at = null;
        } else {
          s.refused = `the socket answers from pid ${f.server_pid} with release ${f.release}, not ${su.release}`;
          s.retry_at = ev.now + STANDBY_RETRY_MS;
          fx.push({ kind: 'close' });
        }
      } else if (s.phase === 'stopping' && s.green_pid === null) {
        // Something listens on the socket after green died: a restart that came too late. It is stopped like green.
        s.green_pid = f.server_pid;
        s.connected = true;
        fx.push({ kind: 'send', frame: { type: 'HANDOFF_ROLLBACK', handoff_id: su.handoff_id, reason: s.record!.reason } });
        s.deadline = ev.now + su.rollback_grace_ms;
      } else {
        fx.push({ kind: 'close' });
      }
      return { state: s, effects: fx };
    }

    case 'refused':
      s.attaching = false;
      s.connected = false;
      s.refused = clip(ev.why, 512);
      s.retry_at = ev.now + STANDBY_RETRY_MS;
      if (s.phase === 'stopping' && s.green_pid === null) finish(null);
      // A live green that refuses its standby (its window was closed by a new handoff): the window is over, green keeps serving.
      else if (s.phase === 'observing' && ev.answered) end('standby-lost', `green (pid ${s.green_pid}) refused the standby ${sincePromotion(ev.now)}: ${s.refused}`);
      return { state: s, effects: fx };

    case 'closed':
      s.connected = false;
      s.attaching = false;
      s.retry_at = ev.now + STANDBY_RETRY_MS;
      return { state: s, effects: fx };

    case 'health': {
      if (ev.frame.handoff_id !== su.handoff_id || !s.connected) return { state: s, effects: fx };
      if (s.phase === 'stopping') {
        // Green may poll until it stops: blue resumes from where it got to.
        s.cursors = ev.frame.cursors;
        return { state: s, effects: fx };
      }
      if (s.phase !== 'observing') return { state: s, effects: fx };
      s.last_heartbeat_at = ev.now;
      s.cursors = ev.frame.cursors;
      const j = judgeSample(ev.frame.sample, su.baseline, su.thresholds, s.breaches);
      s.breaches = j.breaches;
      if (j.reason) takeBack(`green (pid ${s.green_pid}): ${j.reason}, ${sincePromotion(ev.now)}`, true);
      return { state: s, effects: fx };
    }

    case 'end':
      if (ev.frame.handoff_id === su.handoff_id && (s.phase === 'observing' || s.phase === 'attaching')) end('superseded', ev.frame.reason);
      return { state: s, effects: fx };

    case 'stopped':
      if (s.phase === 'stopping' && s.green_pid !== null && s.connected && ev.frame.handoff_id === su.handoff_id) finish(ev.frame.cursors);
      return { state: s, effects: fx };

    case 'tick':
      return tick(s, fx, ev, { end, takeBack, finish, toWaiting, attach, sincePromotion });
  }
}

interface Helpers {
  end: (outcome: 'passed' | 'superseded' | 'standby-lost', reason?: string) => void;
  takeBack: (trigger: string, greenAlive: boolean) => void;
  finish: (cursors: Cursors | null, killed?: boolean) => void;
  toWaiting: () => void;
  attach: () => void;
  sincePromotion: (at: number) => string;
}

function tick(s: StandbyState, fx: StandbyEffect[], ev: Extract<StandbyEvent, { type: 'tick' }>, x: Helpers): StandbyStep {
  const su = s.setup;
  const now = ev.now;
  const due = s.deadline !== null && now >= s.deadline;
  const retry = () => {
    if (!s.connected && !s.attaching && now >= s.retry_at) x.attach();
  };
  switch (s.phase) {
    case 'attaching':
      if (!ev.green_alive) x.toWaiting();
      else if (now >= su.until) x.end('passed');
      else if (due) x.end('standby-lost', `green (pid ${s.green_pid}) did not accept the standby within ${formatDuration(now - s.started_at)}: ${s.refused ?? 'no answer'}`);
      else retry();
      break;
    case 'observing': {
      const age = now - s.last_heartbeat_at;
      const limit = su.thresholds.max_heartbeat_age_ms;
      if (!ev.green_alive) x.toWaiting();
      else if (age > limit) x.takeBack(`no HEALTH from green (pid ${s.green_pid}) for ${formatDuration(age, limit)} (limit ${formatDuration(limit)}), ${x.sincePromotion(now)}`, true);
      else if (now >= su.until) x.end('passed');
      else {
        if (s.connected && now >= s.next_status_at) {
          fx.push({ kind: 'send', frame: { type: 'STANDBY_STATUS', rss_bytes: Math.max(0, Math.round(ev.rss_bytes)), until: su.until } });
          s.next_status_at = now + STANDBY_STATUS_MS;
        }
        retry();
      }
      break;
    }
    case 'waiting':
      // Green's pid went inside the window: the wait decides, even when the window's end comes meanwhile.
      if (due) x.takeBack(`green (pid ${s.green_pid}) exited ${x.sincePromotion(s.exited_at ?? now)}`, false);
      else retry();
      break;
    case 'stopping':
      if (s.green_pid === null) {
        if (due) x.finish(null);
      } else if (!ev.green_alive) x.finish(null);
      else if (due) {
        fx.push({ kind: 'kill_green', pid: s.green_pid });
        x.finish(null, true);
      }
      break;
    default:
      break;
  }
  return { state: s, effects: fx };
}
