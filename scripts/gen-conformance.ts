// Writes conformance/blue-*.json: transcripts of blue's pure state machine (src/protocol/machine.ts),
// events in, effects out, from the scenarios below. Run it after a deliberate change to the machine
// and review the diff: the vectors are the contract other implementations are held to.
//   node --import tsx scripts/gen-conformance.ts [--check]
// With --check it writes nothing and exits 1 when a file would change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEADLINES } from '../src/protocol/deadlines.ts';
import { DEFAULT_OBSERVE_THRESHOLDS } from '../src/protocol/deadlines.ts';
import type { Cursors, HealthSample, VerdictRecord } from '../src/protocol/frames.ts';
import { initialState, step, type BlueEvent, type BlueSelf } from '../src/protocol/machine.ts';
import { standbyStart, standbyStep, type StandbyEvent, type StandbySetup } from '../src/protocol/standby.ts';

const ROOT = join(import.meta.dirname, '..');
const SELF: BlueSelf = { pid: 100, release: 'r1', runtime: 'legacy', store_path: '/srv/hermes/store/transcript.log', store_schema: 1 };
const ID = 'h1';
const GREEN = 200;
const T0 = 1_800_000_000_000;
const DL = { ...DEFAULT_DEADLINES, claim_ms: 60_000, ack_ms: 20_000, drain_ms: 3_000, confirm_ms: 4_000, rollback_grace_ms: 5_000, takeover_ms: 4_000, restart_grace_ms: 5_000 };
const tg = (offset: number): Cursors => ({ telegram: { kind: 'telegram', offset } });
const TG_DC: Cursors = { ...tg(1042), discord: { kind: 'discord', session_id: '9f1c2ab7e04d', seq: 4211, resume_gateway_url: 'wss://gateway-us-east1-b.discord.gg' } };

type Ev<T extends BlueEvent['type']> = Extract<BlueEvent, { type: T }>;
const at = (ms: number) => T0 + ms;
const E = {
  baseline: (t: number, p99: number | null, replies: number): Ev<'baseline'> => ({ type: 'baseline', now: at(t), baseline: { latency_p99_ms: p99, replies } }),
  reserve: (t: number, patch: Partial<Ev<'reserve'>['frame']> = {}, existing: string | null = null): Ev<'reserve'> => ({
    type: 'reserve',
    now: at(t),
    frame: { v: 1, type: 'RESERVE', handoff_id: ID, release: 'r2', runtime: 'claw', bake_ms: 3_000, deadlines: DL, ...patch },
    existing,
  }),
  hello: (t: number, handoff_id = ID, pid = GREEN): Ev<'green_hello'> => ({ type: 'green_hello', now: at(t), handoff_id, pid }),
  ack: (t: number, patch: Partial<Ev<'ack'>['frame']> = {}): Ev<'ack'> => ({
    type: 'ack',
    now: at(t),
    frame: { v: 1, type: 'HANDOFF_ACK', handoff_id: ID, pid: GREEN, runtime: 'claw', release: 'r2', store_schema: 1, init_ms: 1_502, ...patch },
  }),
  drained: (t: number, cursors: Cursors = tg(72), pausedAt = t - 2): Ev<'drained'> => ({ type: 'drained', now: at(t), cursors, drained: 0, paused_at: at(pausedAt) }),
  confirm: (t: number, pollingAt: number, adapters = ['telegram'], notes?: string[]): Ev<'confirm'> => ({
    type: 'confirm',
    now: at(t),
    frame: { v: 1, type: 'HANDOFF_CONFIRM', handoff_id: ID, adapters, polling_at: at(pollingAt), ...(notes ? { notes } : {}) },
  }),
  health: (t: number, seq: number, s: Partial<HealthSample> = {}, cursors: Cursors = tg(72 + 10 * seq)): Ev<'health'> => ({
    type: 'health',
    now: at(t),
    frame: { v: 1, type: 'HEALTH', handoff_id: ID, sample: { seq, at: at(t), handled: 10, errors: 0, latency_p50_ms: 2.5, latency_p99_ms: 6, ...s }, cursors },
  }),
  greenRollback: (t: number, reason: string, cursors?: Cursors): Ev<'green_rollback'> => ({
    type: 'green_rollback',
    now: at(t),
    frame: { v: 1, type: 'HANDOFF_ROLLBACK', handoff_id: ID, reason, ...(cursors ? { cursors } : {}) },
  }),
  stopped: (t: number, cursors: Cursors): Ev<'stopped'> => ({ type: 'stopped', now: at(t), frame: { v: 1, type: 'HANDOFF_STOPPED', handoff_id: ID, cursors } }),
  complete: (t: number): Ev<'green_complete'> => ({ type: 'green_complete', now: at(t), frame: { v: 1, type: 'HANDOFF_COMPLETE', handoff_id: ID, reason: 'green owns the socket' } }),
  checked: (t: number, server_pid: number | null): Ev<'takeover_checked'> => ({ type: 'takeover_checked', now: at(t), server_pid }),
  closed: (t: number, alive: boolean): Ev<'green_closed'> => ({ type: 'green_closed', now: at(t), green_alive: alive }),
  abort: (t: number, reason = 'operator cancelled', handoff_id = ID): Ev<'abort'> => ({ type: 'abort', now: at(t), handoff_id, reason }),
  recorded: (t: number, error: string | null = null, handoff_id = ID): Ev<'recorded'> => ({ type: 'recorded', now: at(t), handoff_id, error }),
  tick: (t: number, alive = true): Ev<'tick'> => ({ type: 'tick', now: at(t), green_alive: alive }),
};

/** The standard start of a handoff, up to the bake: reserve at 0, HELLO at 1 s, ACK at 2.5 s, drained at 2.51 s, CONFIRM at 2.53 s. */
const toBake = (cursors: Cursors = tg(72)): BlueEvent[] => [
  E.baseline(0, 41, 120),
  E.reserve(0),
  E.hello(1_000),
  E.ack(2_500),
  E.drained(2_510, cursors, 2_505),
  E.confirm(2_530, 2_524, Object.keys(cursors)),
];
/** Heartbeats each second of the 3 s bake (HEALTH at 3.53, 4.53, 5.53 s), the last promoting. */
const beats = (s: Partial<HealthSample> = {}): BlueEvent[] => [E.health(3_530, 1, s), E.health(4_530, 2, s), E.health(5_530, 3, s)];

interface Scenario {
  name: string;
  why: string;
  events: BlueEvent[];
  last_verdict?: VerdictRecord | null;
}

const H = 3_600_000;
/** What a promoted green's listener starts with: its promotion, under observation for 24 h. */
const PROMOTED: VerdictRecord = {
  v: 1,
  handoff_id: ID,
  verdict: 'promoted',
  reason: 'bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms',
  release: 'r1',
  runtime: 'legacy',
  blue_pid: 90,
  green_pid: SELF.pid,
  decided_by: 'blue',
  decided_at: T0,
  dark_window_ms: 19,
  timeline: [{ phase: 'complete', at: T0, note: 'promoted: bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms' }],
  health: [],
  observation: { until: T0 + 24 * H, ended_at: null, outcome: 'observing' },
};
type LEv<T extends BlueEvent['type']> = Extract<BlueEvent, { type: T }>;
const L = {
  hello: (t: number, pid = 90, handoff_id = ID): LEv<'standby_hello'> => ({ type: 'standby_hello', now: at(t), handoff_id, pid }),
  status: (t: number, rss_bytes: number): LEv<'standby_status'> => ({ type: 'standby_status', now: at(t), frame: { v: 1, type: 'STANDBY_STATUS', rss_bytes, until: T0 + 24 * H } }),
  rollback: (t: number, reason: string): LEv<'standby_rollback'> => ({ type: 'standby_rollback', now: at(t), frame: { v: 1, type: 'HANDOFF_ROLLBACK', handoff_id: ID, reason } }),
  closed: (t: number, alive: boolean, pid = 90): LEv<'standby_closed'> => ({ type: 'standby_closed', now: at(t), pid, standby_alive: alive }),
};

const FILES: Record<string, { about: string; scenarios: Scenario[] }> = {
  'blue-promotion.json': {
    about: 'Promotions: the bake passes, COMPLETE both ways, blue checks the socket answers from green, then leaves.',
    scenarios: [
      {
        name: 'a promotion',
        why: 'sections 8.2, 11 and 14: the whole happy path, with the record written before HANDOFF_COMPLETE and EVENT verdict only once the socket answers from green',
        events: [...toBake(), ...beats(), E.recorded(5_530), E.complete(5_540), E.checked(5_545, GREEN)],
      },
      {
        name: 'a promotion of two adapters, one of them added by the new release',
        why: 'section 12.3: CONFIRM names every adapter handed over; an extra one is noted',
        events: [
          E.baseline(0, 41, 120),
          E.reserve(0),
          E.hello(1_000),
          E.ack(2_500),
          E.drained(2_510, TG_DC, 2_505),
          E.confirm(2_530, 2_519, ['telegram', 'discord', 'slack']),
          ...beats(),
          E.recorded(5_530),
          E.complete(5_540),
          E.checked(5_545, GREEN),
        ],
      },
      {
        name: 'a promotion after green re-identified an expired Discord session',
        why: "section 12.6: green's CONFIRM notes go into the timeline and the promotion's reason",
        events: [
          E.baseline(0, 41, 120),
          E.reserve(0),
          E.hello(1_000),
          E.ack(2_500),
          E.drained(2_510, TG_DC, 2_505),
          E.confirm(2_530, 2_519, ['telegram', 'discord'], ['discord session 9f1c2ab7e04d expired before green resumed; re-identified 1.3 s after blue paused: messages sent in between may be missed']),
          ...beats(),
          E.recorded(5_530),
          E.complete(5_540),
          E.checked(5_545, GREEN),
        ],
      },
      {
        name: 'a bake with too little traffic still promotes, and says so',
        why: 'section 11, rule 8: min_messages',
        events: [...toBake(), ...beats({ handled: 1, latency_p50_ms: 30, latency_p99_ms: 30 }), E.recorded(5_530), E.complete(5_540), E.checked(5_545, GREEN)],
      },
      {
        name: 'a breach run open as the bake ends: blue judges on, and a clean sample closes it and promotes',
        why: 'section 11, rule 7: the deadline passes while green fails; the next sample that breaches nothing promotes',
        events: [...toBake(), E.health(3_530, 1), E.health(4_530, 2, { errors: 10 }), E.health(5_530, 3, { errors: 10 }), E.health(6_530, 4), E.recorded(6_530), E.complete(6_540), E.checked(6_545, GREEN)],
      },
      {
        name: 'a verdict file that cannot be written',
        why: 'section 16: the handoff decides as it would have; the record carries record_error, in EVENT verdict too',
        events: [...toBake(), ...beats(), E.recorded(5_530, 'could not write the verdict file: ENOSPC: no space left on device'), E.complete(5_540), E.checked(5_545, GREEN)],
      },
    ],
  },
  'blue-takeover.json': {
    about: 'After HANDOFF_COMPLETE: green must own the socket, or blue takes it back and resumes.',
    scenarios: [
      {
        name: 'green answers HANDOFF_COMPLETE but the socket still answers from blue',
        why: 'section 14: blue checks the takeover; green is killed and the promotion rewritten as rolled-back',
        events: [...toBake(), ...beats(), E.recorded(5_530), E.complete(5_540), E.complete(5_541), E.tick(9_600), E.checked(9_700, SELF.pid), E.recorded(9_700)],
      },
      {
        name: 'green answers but nothing answers on the socket',
        why: 'section 14',
        events: [...toBake(), ...beats(), E.recorded(5_530), E.complete(5_540), E.checked(7_540, null), E.recorded(7_540)],
      },
      {
        name: 'green dies after HANDOFF_COMPLETE, before it owns the socket',
        why: 'section 14: take-back from the last HEALTH cursors, no HANDOFF_ROLLBACK',
        events: [...toBake(), ...beats(), E.recorded(5_530), E.tick(5_550, false), E.recorded(5_550), E.complete(5_560)],
      },
      {
        name: 'green stays silent after HANDOFF_COMPLETE',
        why: 'section 14: killed at takeover_ms',
        events: [...toBake(), ...beats(), E.recorded(5_530), E.tick(9_529), E.tick(9_530), E.recorded(9_530)],
      },
    ],
  },
  'blue-failures.json': {
    about: 'Handoffs that fail before green gets the cursors, and refused reservations.',
    scenarios: [
      {
        name: 'a reservation no green claims',
        why: 'section 7.1',
        events: [E.reserve(0), E.tick(59_999), E.tick(60_000), E.recorded(60_000), E.hello(60_010)],
      },
      {
        name: 'RESERVE while one is held, of an id with a verdict file, and with a grace shorter than the drain',
        why: 'section 7.1: busy, exists, bad_frame',
        events: [
          E.reserve(0, {}, 'promoted'),
          E.reserve(1, { deadlines: { ...DL, rollback_grace_ms: 2_000 } }),
          E.reserve(2, { handoff_id: 'h0' }),
          E.reserve(3),
          E.abort(4, 'prepare-command failed', 'h0'),
          E.recorded(4, null, 'h0'),
          E.reserve(5, { handoff_id: 'h0' }),
        ],
      },
      {
        name: 'green reports another release',
        why: 'section 9.2: failed, green told to go and stopped, blue never paused',
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500, { release: 'r2-not' }), E.recorded(2_500)],
      },
      {
        name: 'green reads another store schema',
        why: 'section 17: blue accepts an ACK only with its own store schema',
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500, { store_schema: 99 }), E.recorded(2_500)],
      },
      {
        name: 'green dies while blue drains: its pid is seen first',
        why: 'section 9.3: failed, blue resumes from its own position; a drain that ends later hands nothing over',
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500), E.tick(2_520, false), E.recorded(2_520), E.drained(2_600)],
      },
      {
        name: 'green dies while blue drains: its connection is seen first',
        why: 'section 9.3: one crash, one reason',
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500), E.closed(2_560, false), E.recorded(2_560)],
      },
      {
        name: 'green closes the connection before ACK but stays alive',
        why: 'section 9.2',
        events: [E.reserve(0), E.hello(1_000), E.closed(1_500, true), E.recorded(1_500)],
      },
      {
        name: 'green never sends HANDOFF_ACK',
        why: 'section 10: ack_ms',
        events: [E.reserve(0), E.hello(1_000), E.tick(20_999), E.tick(21_000), E.recorded(21_000)],
      },
      {
        name: 'blue cannot finish its drain',
        why: 'section 12.2: drain_ms',
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500), E.tick(5_500), E.recorded(5_500)],
      },
      {
        name: 'green rolls itself back before the handover',
        why: 'section 17: a green that cannot read the store says so before ACK',
        events: [E.reserve(0), E.hello(1_000), E.greenRollback(2_000, 'cannot read store schema 1 at /srv/hermes/store/transcript.log'), E.recorded(2_000)],
      },
    ],
  },
  'blue-window.json': {
    about: 'The observation window in blue\'s machine: the old blue stands by after the promotion; a promoted green (the listener) and its standby.',
    scenarios: [
      {
        name: 'a promotion with a 24 h observation window: blue stands by instead of leaving',
        why: 'sections 14 and 14.1: the record carries observation {until, ended_at: null, outcome: observing}; stand_by carries what the standby needs',
        events: [E.baseline(0, 41, 120), E.reserve(0, { observe_ms: 24 * H, observe_thresholds: { consecutive: 5 } }), E.hello(1_000), E.ack(2_500), E.drained(2_510, tg(72), 2_505), E.confirm(2_530, 2_524), ...beats(), E.recorded(5_530), E.complete(5_540), E.checked(5_545, GREEN)],
      },
      {
        name: 'a standby attaches to the promoted green, reports its memory, and a new RESERVE supersedes it',
        why: 'section 14.1: STANDBY_WELCOME, STATE.standby, STANDBY_END before RESERVED; the RESERVE is taken again once the standby is gone',
        last_verdict: PROMOTED,
        events: [L.hello(1_000), L.status(2_000, 41_943_040), L.hello(2_500, 91), E.reserve(3_000, { handoff_id: 'h2' }), E.reserve(3_001, { handoff_id: 'h3' }), L.closed(3_200, false), E.reserve(3_200, { handoff_id: 'h2' })],
      },
      {
        name: 'the standby takes back: the listener stops serving',
        why: 'section 14.1: HANDOFF_ROLLBACK on the standby connection; the standby writes the reversion',
        last_verdict: PROMOTED,
        events: [L.hello(1_000), L.rollback(3_600_000, 'green (pid 100): error rate 50% > 20% in 10 consecutive samples, 1 h after promotion; blue resumed from its cursors'), E.reserve(3_600_001, { handoff_id: 'h2' }), L.closed(3_600_100, false)],
      },
      {
        name: 'the standby dies inside the window: green serves on and records standby-lost',
        why: 'section 14.1: losing the standby changes nothing for green',
        last_verdict: PROMOTED,
        events: [L.hello(1_000), L.closed(2 * H, true), L.hello(2 * H + 500), L.closed(3 * H, false), E.recorded(3 * H), L.hello(3 * H + 10)],
      },
      {
        name: 'standby HELLOs refused: another handoff, the window over',
        why: 'section 6.1',
        last_verdict: PROMOTED,
        events: [L.hello(1_000, 90, 'h0'), L.hello(24 * H), E.reserve(24 * H + 1, { handoff_id: 'h2' }), L.hello(24 * H + 2)],
      },
    ],
  },
  'blue-rollback.json': {
    about: 'Rollbacks after the handover: blue resumes from the latest cursors it knows.',
    scenarios: [
      {
        name: 'error rate: the third breaching sample rolls back; green stops and hands its cursors back',
        why: 'sections 11 and 13',
        events: [...toBake(), ...beats({ errors: 10 }), E.health(5_540, 4, { errors: 10 }, tg(103)), E.stopped(5_560, tg(104)), E.recorded(5_560)],
      },
      {
        name: 'a breach run open as the bake ends: blue judges on, and the run completes a sample later',
        why: 'section 11, rule 7: a bake does not pass a green that is failing as it ends',
        events: [...toBake(), E.health(3_530, 1), E.health(4_530, 2, { errors: 10 }), E.health(5_530, 3, { errors: 10 }), E.health(6_530, 4, { errors: 10 }), E.stopped(6_560, tg(120)), E.recorded(6_560)],
      },
      {
        name: 'a breach run open as the bake ends, then only idle heartbeats: the third late one rolls back',
        why: 'section 11, rule 7: idle samples neither close nor complete the run, so the extension is bounded by consecutive heartbeats',
        events: [
          ...toBake(),
          E.health(3_530, 1),
          E.health(4_530, 2, { errors: 10 }),
          E.health(5_530, 3, { errors: 10 }),
          E.health(6_530, 4, { handled: 0, errors: 0, latency_p50_ms: 0, latency_p99_ms: 0 }),
          E.health(7_530, 5, { handled: 0, errors: 0, latency_p50_ms: 0, latency_p99_ms: 0 }),
          E.stopped(7_560, tg(125)),
          E.recorded(7_560),
        ],
      },
      {
        name: 'latency without a baseline',
        why: 'section 11: expected_latency_ms stands in; the reason says so',
        events: [
          E.baseline(0, null, 3),
          E.reserve(0),
          E.hello(1_000),
          E.ack(2_500),
          E.drained(2_510, tg(72), 2_505),
          E.confirm(2_530, 2_524),
          ...beats({ latency_p50_ms: 9_000, latency_p99_ms: 17_000 }),
          E.tick(5_600, false),
          E.recorded(5_600),
        ],
      },
      {
        name: 'CONFIRM without an adapter that was handed over',
        why: 'section 12.3: rollback; the dark window is still recorded',
        events: [
          E.reserve(0),
          E.hello(1_000),
          E.ack(2_500),
          E.drained(2_510, TG_DC, 2_505),
          E.confirm(2_530, 2_519, ['telegram']),
          E.stopped(2_600, { ...TG_DC, telegram: { kind: 'telegram', offset: 1050 } }),
          E.recorded(2_600),
        ],
      },
      {
        name: 'green dies before CONFIRM',
        why: "sections 9.3 and 12.4: 'exited during the handover' from the pid or the close alike; the dark window ends when blue resumes",
        events: [E.reserve(0), E.hello(1_000), E.ack(2_500), E.drained(2_510, tg(72), 2_505), E.tick(2_600, false), E.closed(2_610, false), E.tick(2_620, false), E.recorded(2_620)],
      },
      {
        name: 'green stops heartbeating and does not stop when told',
        why: 'section 11, rule 6, and section 13: killed at the grace',
        events: [...toBake(), E.health(3_530, 1), E.tick(8_530), E.tick(8_531), E.tick(13_530), E.tick(13_531), E.recorded(13_531)],
      },
      {
        name: 'an ABORT during the bake',
        why: 'section 7.2',
        events: [...toBake(), E.health(3_530, 1), E.abort(3_600, 'deploy cancelled'), E.stopped(3_650, tg(85)), E.recorded(3_650)],
      },
      {
        name: 'green rolls itself back during the bake with its cursors',
        why: 'section 13',
        events: [...toBake(), E.health(3_530, 1), E.greenRollback(3_900, 'agent runtime failed to load tools', tg(90)), E.recorded(3_900)],
      },
    ],
  },
};

/** The transcript of one scenario: every step's event, effects, phase and deadline. */
function transcript(sc: Scenario) {
  let s = initialState(SELF, sc.last_verdict ?? null);
  const steps = sc.events.map((event) => {
    const r = step(s, event);
    s = r.state;
    return { event, effects: r.effects, phase: s.phase, deadline: s.deadline };
  });
  return { name: sc.name, why: sc.why, self: SELF, last_verdict: sc.last_verdict ?? null, steps };
}

// --- the standby's machine (src/protocol/standby.ts)

const SETUP: StandbySetup = {
  pid: 90,
  handoff_id: ID,
  green_pid: GREEN,
  release: 'r2',
  record: { ...PROMOTED, release: 'r2', runtime: 'claw', blue_pid: 90, green_pid: GREEN },
  until: T0 + 24 * H,
  thresholds: DEFAULT_OBSERVE_THRESHOLDS,
  baseline: { latency_p99_ms: 41, replies: 120 },
  rollback_grace_ms: 5_000,
  restart_grace_ms: 5_000,
  cursors: tg(102),
};
type SEv<T extends StandbyEvent['type']> = Extract<StandbyEvent, { type: T }>;
const S = {
  welcome: (t: number, server_pid = GREEN, release = 'r2'): SEv<'welcome'> => ({
    type: 'welcome',
    now: at(t),
    frame: { v: 1, type: 'STANDBY_WELCOME', handoff_id: ID, server_pid, release, runtime: 'claw', until: T0 + 24 * H, heartbeat_ms: 1_000 },
  }),
  refused: (t: number, why: string, answered: boolean): SEv<'refused'> => ({ type: 'refused', now: at(t), why, answered }),
  closed: (t: number): SEv<'closed'> => ({ type: 'closed', now: at(t) }),
  health: (t: number, seq: number, s: Partial<HealthSample> = {}, cursors: Cursors = tg(102 + seq)): SEv<'health'> => ({
    type: 'health',
    now: at(t),
    frame: { v: 1, type: 'HEALTH', handoff_id: ID, sample: { seq, at: at(t), handled: 10, errors: 0, latency_p50_ms: 2.5, latency_p99_ms: 6, ...s }, cursors },
  }),
  end: (t: number, reason: string): SEv<'end'> => ({ type: 'end', now: at(t), frame: { v: 1, type: 'STANDBY_END', handoff_id: ID, reason } }),
  stopped: (t: number, cursors: Cursors): SEv<'stopped'> => ({ type: 'stopped', now: at(t), frame: { v: 1, type: 'HANDOFF_STOPPED', handoff_id: ID, cursors } }),
  tick: (t: number, alive = true, rss = 31_457_280): SEv<'tick'> => ({ type: 'tick', now: at(t), green_alive: alive, rss_bytes: rss }),
};
const watch = (): StandbyEvent[] => [S.welcome(10), S.tick(20), S.health(1_000, 1)];
/** Ten samples with half their answers errors, a second apart from `t`. */
const burst = (t: number): StandbyEvent[] => Array.from({ length: 10 }, (_, i) => S.health(t + i * 1_000, 100 + i, { errors: 5 }));

interface StandbyScenario {
  name: string;
  why: string;
  events: StandbyEvent[];
}
const STANDBY: { about: string; scenarios: StandbyScenario[] } = {
  about: "The standby's machine: events in, effects out, from the start of the observation window (standbyStart at start_at).",
  scenarios: [
    { name: 'the window passes', why: 'section 14.1: observation passed, the promotion stands, the standby leaves', events: [...watch(), S.tick(10_020), S.health(24 * H - 500, 2), S.tick(24 * H)] },
    { name: 'green fails its health an hour in: HANDOFF_ROLLBACK, green stops and hands its cursors back', why: 'section 14.1: the reversion is written before green is told', events: [...watch(), ...burst(H), S.health(H + 10_500, 120, { errors: 5 }, tg(140)), S.stopped(H + 11_000, tg(141))] },
    { name: 'green hangs: killed after the grace', why: 'section 14.1: heartbeat age, then SIGKILL at rollback_grace_ms', events: [...watch(), S.tick(31_001), S.tick(36_000), S.tick(36_001)] },
    { name: "green's pid goes and no restart comes within the grace", why: 'section 14.1: one last look at the socket after the reversion is written', events: [...watch(), S.tick(3 * H + 12 * 60_000, false), S.tick(3 * H + 12 * 60_000 + 200), S.refused(3 * H + 12 * 60_000 + 201, 'cannot connect: ECONNREFUSED', false), S.tick(3 * H + 12 * 60_000 + 5_000), S.refused(3 * H + 12 * 60_000 + 5_001, 'cannot connect: ECONNREFUSED', false)] },
    { name: "green's supervisor restarts it inside the grace: the standby observes the new process", why: 'section 8.3 and 14.1', events: [...watch(), S.tick(H, false), S.tick(H + 200), S.welcome(H + 2_000, 4301), S.tick(H + 2_100), S.health(H + 3_000, 1)] },
    { name: 'a restart binds just after the decision: found by the last look and stopped', why: 'section 14.1', events: [...watch(), S.tick(H, false), S.tick(H + 5_000), S.welcome(H + 5_010, 4302), S.stopped(H + 5_100, tg(150))] },
    { name: 'superseded by a new handoff', why: 'section 14.1: STANDBY_END', events: [...watch(), S.end(2 * H, 'superseded by handoff h2')] },
    { name: 'green never accepts the standby', why: 'section 14.1: the window is given up as standby-lost; green is left alone', events: [S.refused(5, 'unknown_handoff: no observation window is open for handoff h1', true), S.tick(205), S.refused(210, 'unknown_handoff: no observation window is open for handoff h1', true), S.tick(5_000)] },
    { name: 'the connection drops and green refuses the standby when it attaches again', why: 'section 14.1', events: [...watch(), S.closed(2_000), S.tick(2_200), S.refused(2_210, 'busy: handoff h2 is reserved; no observation window is open', true)] },
  ],
};

function standbyTranscript(sc: StandbyScenario) {
  const start = standbyStart(SETUP, T0);
  let s = start.state;
  const steps = sc.events.map((event) => {
    const r = standbyStep(s, event);
    s = r.state;
    return { event, effects: r.effects, phase: s.phase, deadline: s.deadline };
  });
  return { name: sc.name, why: sc.why, setup: SETUP, start_at: T0, start: { effects: start.effects, phase: start.state.phase, deadline: start.state.deadline }, steps };
}

const check = process.argv.includes('--check');
let stale = 0;
const outputs: [string, unknown][] = [
  ...Object.entries(FILES).map(([file, f]): [string, unknown] => [file, { about: f.about, transcripts: f.scenarios.map(transcript) }]),
  ['standby.json', { about: STANDBY.about, transcripts: STANDBY.scenarios.map(standbyTranscript) }],
];
for (const [file, content] of outputs) {
  const path = join(ROOT, 'conformance', file);
  const text = JSON.stringify(content, null, 1) + '\n';
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* new file */
  }
  if (old === text) continue;
  stale++;
  if (check) process.stderr.write(`conformance/${file} is stale: run node --import tsx scripts/gen-conformance.ts\n`);
  else writeFileSync(path, text);
}
process.exit(check && stale > 0 ? 1 : 0);
