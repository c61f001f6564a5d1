// Events, checked steps and phase set-ups for the tests of blue's state machine.
import assert from 'node:assert/strict';
import { initialState, step, type BlueEffect, type BlueEvent, type BlueSelf, type BlueState, type Step } from '../../src/protocol/machine.ts';
import { decodeLine, encodeFrame } from '../../src/protocol/framing.ts';
import { VerdictRecord, type Cursors, type HealthSample, type Outgoing, type Phase } from '../../src/protocol/frames.ts';
import { DEFAULT_THRESHOLDS, type Deadlines, type Thresholds } from '../../src/protocol/deadlines.ts';

export const SELF: BlueSelf = { pid: 100, release: 'r1', runtime: 'legacy', store_path: '/srv/hermes/store', store_schema: 3 };
export const ID = 'h1';
export const GREEN = 555;
export const T0 = 1_700_000_000_000;
export const DL: Deadlines = { hello_ms: 5_000, claim_ms: 60_000, ack_ms: 20_000, drain_ms: 3_000, confirm_ms: 4_000, heartbeat_ms: 1_000, rollback_grace_ms: 5_000, takeover_ms: 4_000, restart_grace_ms: 5_000 };
export const TH: Thresholds = { ...DEFAULT_THRESHOLDS, max_heartbeat_age_ms: 2_500 };
export const BAKE = 10_000;
/** Cursors of one Telegram adapter at `offset`. */
export const tg = (offset: number): Cursors => ({ telegram: { kind: 'telegram', offset } });
export const CUR_ACTIVE: Cursors = tg(10);

// When each step of the standard run happens.
export const AT = { reserve: T0, hello: T0 + 1_000, ack: T0 + 4_000, drained: T0 + 4_100, paused: T0 + 4_090, confirm: T0 + 4_200, polling: T0 + 4_094 };
export const BAKE_END = AT.confirm + BAKE;

type Ev<T extends BlueEvent['type']> = Extract<BlueEvent, { type: T }>;

export const E = {
  reserve: (now: number, patch: Partial<Ev<'reserve'>['frame']> = {}): Ev<'reserve'> => ({
    type: 'reserve',
    now,
    frame: { v: 1, type: 'RESERVE', handoff_id: ID, release: 'r2', runtime: 'claw', bake_ms: BAKE, thresholds: TH, deadlines: DL, ...patch },
    existing: null,
  }),
  hello: (now: number, handoff_id = ID, pid = GREEN): Ev<'green_hello'> => ({ type: 'green_hello', now, handoff_id, pid }),
  ack: (now: number, patch: Partial<Ev<'ack'>['frame']> = {}): Ev<'ack'> => ({
    type: 'ack',
    now,
    frame: { v: 1, type: 'HANDOFF_ACK', handoff_id: ID, pid: GREEN, runtime: 'claw', release: 'r2', store_schema: 3, init_ms: 2_900, ...patch },
  }),
  drained: (now: number, cursors: Cursors = CUR_ACTIVE, paused_at = now - 10): Ev<'drained'> => ({ type: 'drained', now, cursors, drained: 2, paused_at }),
  confirm: (now: number, polling_at: number, handoff_id = ID): Ev<'confirm'> => ({
    type: 'confirm',
    now,
    frame: { v: 1, type: 'HANDOFF_CONFIRM', handoff_id, adapters: ['telegram'], polling_at },
  }),
  health: (now: number, sample: Partial<HealthSample> = {}, cursors: Cursors = tg(20), handoff_id = ID): Ev<'health'> => ({
    type: 'health',
    now,
    frame: {
      v: 1,
      type: 'HEALTH',
      handoff_id,
      cursors,
      sample: { seq: 0, at: now, handled: 40, errors: 0, latency_p50_ms: 20, latency_p99_ms: 50, ...sample },
    },
  }),
  greenRollback: (now: number, reason: string, cursors?: Cursors, handoff_id = ID): Ev<'green_rollback'> => ({
    type: 'green_rollback',
    now,
    frame: { v: 1, type: 'HANDOFF_ROLLBACK', handoff_id, reason, ...(cursors ? { cursors } : {}) },
  }),
  stopped: (now: number, cursors: Cursors, handoff_id = ID): Ev<'stopped'> => ({ type: 'stopped', now, frame: { v: 1, type: 'HANDOFF_STOPPED', handoff_id, cursors } }),
  greenComplete: (now: number, handoff_id = ID): Ev<'green_complete'> => ({ type: 'green_complete', now, frame: { v: 1, type: 'HANDOFF_COMPLETE', handoff_id, reason: 'green owns the socket' } }),
  closed: (now: number, green_alive: boolean): Ev<'green_closed'> => ({ type: 'green_closed', now, green_alive }),
  checked: (now: number, server_pid: number | null = GREEN): Ev<'takeover_checked'> => ({ type: 'takeover_checked', now, server_pid }),
  abort: (now: number, reason = 'operator', handoff_id = ID): Ev<'abort'> => ({ type: 'abort', now, handoff_id, reason }),
  baseline: (now: number, latency_p99_ms: number | null, replies = 100): Ev<'baseline'> => ({ type: 'baseline', now, baseline: { latency_p99_ms, replies } }),
  tick: (now: number, green_alive = true): Ev<'tick'> => ({ type: 'tick', now, green_alive }),
};

/** Every frame an effect carries, as the peer would send it. */
export function framesOf(fx: BlueEffect): Outgoing[] {
  switch (fx.kind) {
    case 'reply':
    case 'reply_close':
    case 'to_green':
    case 'to_standby':
    case 'end_standby':
      return [fx.frame];
    case 'emit':
      return [{ type: 'EVENT', event: fx.event }];
    default:
      return [];
  }
}

/** Asserts that a frame encodes within the line limit and decodes back to itself. */
export function assertWireSafe(frame: Outgoing): void {
  const line = encodeFrame(frame);
  const d = decodeLine(Buffer.from(line.slice(0, -1)));
  assert.ok(d.ok, `${frame.type} does not decode: ${d.ok ? '' : d.message}`);
  assert.deepEqual(d.frame, JSON.parse(line), `${frame.type} changes on the wire`);
}

/**
 * One step, checked: the input state is not changed and every frame and record it produces is valid.
 * Each `record` effect is answered at once with a successful `recorded` (as blue's runner does) unless
 * `autoRecord` is false; the effects of those steps follow.
 */
export function go(s: BlueState, ev: BlueEvent, autoRecord = true): Step {
  const r = checked(s, ev);
  if (!autoRecord) return r;
  let state = r.state;
  const effects = [...r.effects];
  for (const fx of r.effects) {
    if (fx.kind !== 'record') continue;
    const w = checked(state, { type: 'recorded', now: ev.now, handoff_id: fx.record.handoff_id, error: null });
    state = w.state;
    effects.push(...w.effects);
  }
  return { state, effects };
}

function checked(s: BlueState, ev: BlueEvent): Step {
  const before = structuredClone(s);
  const r = step(s, ev);
  assert.deepEqual(s, before, `step(${ev.type}) changed its input state`);
  for (const fx of r.effects) {
    for (const f of framesOf(fx)) assertWireSafe(f);
    if (fx.kind === 'record') {
      const v = VerdictRecord.safeParse(fx.record);
      assert.ok(v.success, `invalid record: ${v.success ? '' : v.error.issues[0]?.message}`);
    }
  }
  return r;
}

/** Runs events in order from `s`; returns the last state and every effect. */
export function drive(s: BlueState, evs: BlueEvent[]): Step {
  const effects: BlueEffect[] = [];
  for (const ev of evs) {
    const r = go(s, ev);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s, effects };
}

/** Each effect as a short word, for asserting what happens and in which order. */
export function kinds(effects: BlueEffect[]): string[] {
  return effects.map((fx) => {
    switch (fx.kind) {
      case 'reply':
      case 'reply_close':
      case 'to_green':
      case 'to_standby':
        return `${fx.kind}:${fx.frame.type === 'ERROR' ? `ERROR ${fx.frame.code}` : fx.frame.type}`;
      case 'emit':
        return `emit:${fx.event.kind}`;
      default:
        return fx.kind;
    }
  });
}

/** The one effect of a kind. */
export function only<K extends BlueEffect['kind']>(effects: BlueEffect[], kind: K): Extract<BlueEffect, { kind: K }> {
  const found = effects.filter((f) => f.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}: ${kinds(effects).join(', ')}`);
  return found[0] as Extract<BlueEffect, { kind: K }>;
}

/** The frame of the one effect that replies or goes to green. */
export function frameOf(effects: BlueEffect[], kind: 'reply' | 'reply_close' | 'to_green'): Outgoing {
  return only(effects, kind).frame;
}

/** Heartbeats every second from `from` until before `to`, with ticks between them. */
export function heartbeats(from: number, to: number, sample: Partial<HealthSample> = {}): BlueEvent[] {
  const evs: BlueEvent[] = [];
  let seq = 0;
  for (let t = from + 1_000; t < to; t += 1_000) evs.push(E.health(t, { seq: seq++, ...sample }, tg(20 + seq)), E.tick(t + 1));
  return evs;
}

export const PHASES: readonly Phase[] = ['idle', 'reserved', 'init', 'draining', 'active', 'baking', 'rolling-back', 'complete'];

/** Blue in `phase` by the standard run, and a time at which that phase's deadline has not passed. */
export function reach(phase: Phase): { s: BlueState; now: number } {
  const steps: Record<Exclude<Phase, 'idle'>, BlueEvent[]> = {
    reserved: [E.reserve(AT.reserve)],
    init: [E.reserve(AT.reserve), E.hello(AT.hello)],
    draining: [E.reserve(AT.reserve), E.hello(AT.hello), E.ack(AT.ack)],
    active: [E.reserve(AT.reserve), E.hello(AT.hello), E.ack(AT.ack), E.drained(AT.drained, CUR_ACTIVE, AT.paused)],
    baking: [E.reserve(AT.reserve), E.hello(AT.hello), E.ack(AT.ack), E.drained(AT.drained, CUR_ACTIVE, AT.paused), E.confirm(AT.confirm, AT.polling)],
    'rolling-back': [
      E.reserve(AT.reserve),
      E.hello(AT.hello),
      E.ack(AT.ack),
      E.drained(AT.drained, CUR_ACTIVE, AT.paused),
      E.confirm(AT.confirm, AT.polling),
      E.abort(AT.confirm + 100),
    ],
    complete: [
      E.reserve(AT.reserve),
      E.hello(AT.hello),
      E.ack(AT.ack),
      E.drained(AT.drained, CUR_ACTIVE, AT.paused),
      E.confirm(AT.confirm, AT.polling),
      ...heartbeats(AT.confirm, BAKE_END),
      E.health(BAKE_END, { seq: 9 }, tg(30)),
    ],
  };
  const start = initialState(SELF);
  if (phase === 'idle') return { s: start, now: T0 };
  const evs = steps[phase];
  const r = drive(start, evs);
  assert.equal(r.state.phase, phase, `set-up for ${phase}`);
  return { s: r.state, now: (evs[evs.length - 1] as BlueEvent).now + 1 };
}
