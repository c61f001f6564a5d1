// Writes conformance/blue-*.json: transcripts of blue's pure state machine (src/protocol/machine.ts),
// events in, effects out, from the scenarios below. Run it after a deliberate change to the machine
// and review the diff: the vectors are the contract other implementations are held to.
//   node --import tsx scripts/gen-conformance.ts [--check]
// With --check it writes nothing and exits 1 when a file would change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEADLINES } from '../src/protocol/deadlines.ts';
import type { Cursors, HealthSample } from '../src/protocol/frames.ts';
import { initialState, step, type BlueEvent, type BlueSelf } from '../src/protocol/machine.ts';

const ROOT = join(import.meta.dirname, '..');
const SELF: BlueSelf = { pid: 100, release: 'r1', runtime: 'legacy', store_path: '/srv/hermes/store/transcript.log', store_schema: 1 };
const ID = 'h1';
const GREEN = 200;
const T0 = 1_800_000_000_000;
const DL = { ...DEFAULT_DEADLINES, claim_ms: 60_000, ack_ms: 20_000, drain_ms: 3_000, confirm_ms: 4_000, rollback_grace_ms: 5_000, takeover_ms: 4_000 };
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
  last_verdict?: null;
}

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
  'blue-rollback.json': {
    about: 'Rollbacks after the handover: blue resumes from the latest cursors it knows.',
    scenarios: [
      {
        name: 'error rate: the third breaching sample rolls back; green stops and hands its cursors back',
        why: 'sections 11 and 13',
        events: [...toBake(), ...beats({ errors: 10 }), E.health(5_540, 4, { errors: 10 }, tg(103)), E.stopped(5_560, tg(104)), E.recorded(5_560)],
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

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, f] of Object.entries(FILES)) {
  const path = join(ROOT, 'conformance', file);
  const text = JSON.stringify({ about: f.about, transcripts: f.scenarios.map(transcript) }, null, 1) + '\n';
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
