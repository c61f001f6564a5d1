import { z } from 'zod';
import { HandoffId } from './ids.ts';
import { Deadlines, ObserveThresholds, PartialDeadlines, Thresholds } from './deadlines.ts';
import { AdapterName, Cursors } from './cursors.ts';
import { chars } from './chars.ts';

export { Cursors };

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 1;

const V = z.number().int().min(1);
const Pid = z.number().int().positive();
const Ms = z.number().int().nonnegative();
const Text = chars(4096);
const Release = chars(200, 1);
const Runtime = chars(64, 1);


export const Phase = z.enum(['idle', 'reserved', 'init', 'draining', 'active', 'baking', 'rolling-back', 'complete']);
export type Phase = z.infer<typeof Phase>;

export const ErrorCode = z.enum([
  'bad_frame', // not JSON, not an object, or a known type with invalid fields: the connection is closed
  'too_large', // a line over the limit: the connection is closed
  'unknown_type', // a type this version does not know: ignored, connection stays
  'unauthorized', // missing or wrong token, or a frame before HELLO: the connection is closed
  'busy', // a reservation or handoff is already under way, or a green with no reservation
  'wrong_phase', // a frame that this phase does not accept
  'unknown_handoff', // a handoff id that is not the current one
  'timeout', // a deadline passed (HELLO not sent in time, and so on): the connection is closed
  'too_many', // too many connections at once: the connection is closed
  'internal', // a fault in blue that did not stop it
  'exists', // RESERVE of a handoff id that already has a verdict: mint a new id
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** How a handoff ended; `reverted`: promoted, then taken back by the standby during the observation window. */
export const Verdict = z.enum(['promoted', 'rolled-back', 'failed', 'reverted']);
export type Verdict = z.infer<typeof Verdict>;

/** How the observation window after a promotion stands: `observing` while it runs, else how it ended. */
export const ObservationOutcome = z.enum(['observing', 'passed', 'reverted', 'superseded', 'standby-lost']);
export type ObservationOutcome = z.infer<typeof ObservationOutcome>;

/** The observation window of a promotion, in its verdict record (docs/protocol.md section 14.1). */
export const Observation = z.object({
  /** When the window ends as planned (the promotion's decided_at + observe_ms). */
  until: Ms,
  /** When it ended; null while `observing`. */
  ended_at: Ms.nullable(),
  outcome: ObservationOutcome,
  /** Why it ended early (`superseded`, `standby-lost`); a reversion's reason is the record's own. */
  reason: Text.optional(),
});
export type Observation = z.infer<typeof Observation>;

export const TimelineEntry = z.object({ phase: chars(64), at: Ms, note: Text.optional() });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const HealthSample = z.object({
  seq: z.number().int().nonnegative(),
  at: Ms,
  handled: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  latency_p50_ms: z.number().nonnegative(),
  latency_p99_ms: z.number().nonnegative(),
});
export type HealthSample = z.infer<typeof HealthSample>;

/** What the verdict file holds and what EVENT verdict and STATE.last_verdict carry. */
export const VerdictRecord = z.object({
  v: V,
  handoff_id: HandoffId,
  verdict: Verdict,
  reason: Text,
  release: Release,
  runtime: Runtime,
  /** Null when the decider never learned it (green deciding alone, blue's pid unknown). */
  blue_pid: Pid.nullable(),
  green_pid: Pid.nullable(),
  decided_by: z.enum(['blue', 'green']),
  decided_at: Ms,
  dark_window_ms: z.number().nonnegative().nullable(),
  timeline: z.array(TimelineEntry).max(256),
  health: z.array(HealthSample).max(4096),
  /** Set when the decider could not persist something: the handoff still decided. */
  record_error: Text.optional(),
  /** A promotion reserved with observe_ms > 0: its observation window. */
  observation: Observation.optional(),
});
export type VerdictRecord = z.infer<typeof VerdictRecord>;

const frame = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ v: V, type: z.literal(type), ...shape });

// --- any client -> blue
export const Hello = frame('HELLO', {
  role: z.enum(['green', 'observer', 'standby']),
  token: chars(512, 1),
  pid: Pid,
  /** Checked as a HandoffId only after the token (a wrong token is refused before anything else). */
  handoff_id: chars(1024).optional(),
  client: chars(128).optional(),
});
// --- blue -> client
export const Welcome = frame('WELCOME', {
  server_pid: Pid,
  phase: Phase,
  release: Release,
  runtime: Runtime,
  versions: z.array(z.number().int()).min(1),
});
export const ErrorFrame = frame('ERROR', {
  code: ErrorCode,
  message: Text,
  /** The type of the frame that caused it, where known. */
  frame: chars(64).optional(),
  /** True when the sender closes the connection after this frame. */
  fatal: z.boolean(),
});

// --- observer -> blue
export const Reserve = frame('RESERVE', {
  handoff_id: HandoffId,
  release: Release,
  runtime: Runtime,
  bake_ms: Ms,
  thresholds: Thresholds.partial().optional(),
  deadlines: PartialDeadlines.optional(),
  /** The observation window after a promotion (0 or absent: none, blue exits once green owns the socket). */
  observe_ms: Ms.optional(),
  /** What the standby judges green by during the window; missing fields take the window's own (looser) defaults. */
  observe_thresholds: ObserveThresholds.partial().optional(),
});
export const Status = frame('STATUS', {});
export const Subscribe = frame('SUBSCRIBE', {});
export const Abort = frame('ABORT', { handoff_id: HandoffId, reason: Text });
// --- blue -> observer
export const Reserved = frame('RESERVED', {
  handoff_id: HandoffId,
  expires_at: Ms,
  thresholds: Thresholds,
  deadlines: Deadlines,
  observe_ms: Ms,
  observe_thresholds: Thresholds,
});
export const Aborting = frame('ABORTING', { handoff_id: HandoffId, phase: Phase });

export const HandoffView = z.object({
  id: HandoffId,
  release: Release,
  runtime: Runtime,
  bake_ms: Ms,
  green_pid: Pid.nullable(),
  started_at: Ms,
  bake_started_at: Ms.nullable(),
});
/** The standby observing this listener (STATE.standby). */
export const StandbyView = z.object({
  pid: Pid,
  handoff_id: HandoffId,
  until: Ms,
  /** The standby's resident memory, from its last STANDBY_STATUS; null before the first. */
  rss_bytes: z.number().int().nonnegative().nullable(),
});
export const State = frame('STATE', {
  phase: Phase,
  server_pid: Pid,
  release: Release,
  runtime: Runtime,
  handoff: HandoffView.nullable(),
  timeline: z.array(TimelineEntry),
  health: z.array(HealthSample),
  last_verdict: VerdictRecord.nullable(),
  /** The standby observing this listener's promotion, or null (absent counts as null). */
  standby: StandbyView.nullable().default(null),
});
export const EventFrame = frame('EVENT', {
  event: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('phase'), handoff_id: HandoffId, phase: Phase, at: Ms, note: Text.optional() }),
    z.object({ kind: z.literal('health'), handoff_id: HandoffId, sample: HealthSample }),
    z.object({ kind: z.literal('verdict'), record: VerdictRecord }),
  ]),
});

// --- the handoff: blue <-> green
export const HandoffInit = frame('HANDOFF_INIT', {
  handoff_id: HandoffId,
  blue_pid: Pid,
  release: Release,
  runtime: Runtime,
  store: z.object({ path: chars(4096), schema: z.number().int().nonnegative() }),
  bake_ms: Ms,
  deadlines: Deadlines,
});
export const HandoffAck = frame('HANDOFF_ACK', {
  handoff_id: HandoffId,
  pid: Pid,
  runtime: Runtime,
  release: Release,
  store_schema: z.number().int().nonnegative(),
  init_ms: Ms,
});
export const HandoffActive = frame('HANDOFF_ACTIVE', {
  handoff_id: HandoffId,
  cursors: Cursors,
  drained: z.number().int().nonnegative(),
  paused_at: Ms,
});
export const HandoffConfirm = frame('HANDOFF_CONFIRM', {
  handoff_id: HandoffId,
  adapters: z.array(AdapterName).max(64),
  /** When the first poll of every adapter had gone out (the latest of them): paused_at..polling_at is the dark window. */
  polling_at: Ms,
  /** What blue should know about the takeover (a Discord session green had to identify afresh): into the timeline and the promotion's reason. */
  notes: z.array(chars(1024)).max(8).optional(),
});
export const Health = frame('HEALTH', {
  handoff_id: HandoffId,
  sample: HealthSample,
  cursors: Cursors,
});
export const HandoffComplete = frame('HANDOFF_COMPLETE', { handoff_id: HandoffId, reason: Text });
export const HandoffRollback = frame('HANDOFF_ROLLBACK', {
  handoff_id: HandoffId,
  reason: Text,
  /** Sent by green when it rolls itself back: where it stopped. */
  cursors: Cursors.optional(),
});
export const HandoffStopped = frame('HANDOFF_STOPPED', { handoff_id: HandoffId, cursors: Cursors });

// --- the observation window: the standby (the old blue) <-> the listener (green, now serving)
export const StandbyWelcome = frame('STANDBY_WELCOME', {
  handoff_id: HandoffId,
  server_pid: Pid,
  release: Release,
  runtime: Runtime,
  /** When the window ends. */
  until: Ms,
  /** How often the listener sends HEALTH on this connection. */
  heartbeat_ms: z.number().int().positive(),
});
export const StandbyStatus = frame('STANDBY_STATUS', {
  /** The standby's resident memory. */
  rss_bytes: z.number().int().nonnegative(),
  until: Ms,
});
export const StandbyEnd = frame('STANDBY_END', { handoff_id: HandoffId, reason: Text });

/** Every frame of protocol version 1, by type. */
export const FRAME_SCHEMAS = {
  HELLO: Hello,
  WELCOME: Welcome,
  ERROR: ErrorFrame,
  RESERVE: Reserve,
  RESERVED: Reserved,
  STATUS: Status,
  STATE: State,
  SUBSCRIBE: Subscribe,
  EVENT: EventFrame,
  ABORT: Abort,
  ABORTING: Aborting,
  HANDOFF_INIT: HandoffInit,
  HANDOFF_ACK: HandoffAck,
  HANDOFF_ACTIVE: HandoffActive,
  HANDOFF_CONFIRM: HandoffConfirm,
  HEALTH: Health,
  HANDOFF_COMPLETE: HandoffComplete,
  HANDOFF_ROLLBACK: HandoffRollback,
  HANDOFF_STOPPED: HandoffStopped,
  STANDBY_WELCOME: StandbyWelcome,
  STANDBY_STATUS: StandbyStatus,
  STANDBY_END: StandbyEnd,
} as const;

export type FrameType = keyof typeof FRAME_SCHEMAS;
export type FrameOf<T extends FrameType> = z.infer<(typeof FRAME_SCHEMAS)[T]>;
export const Frame = z.discriminatedUnion('type', [
  Hello, Welcome, ErrorFrame, Reserve, Reserved, Status, State, Subscribe, EventFrame, Abort, Aborting,
  HandoffInit, HandoffAck, HandoffActive, HandoffConfirm, Health, HandoffComplete, HandoffRollback, HandoffStopped,
  StandbyWelcome, StandbyStatus, StandbyEnd,
]);
export type Frame = z.infer<typeof Frame>;
/** A frame as a sender builds it: `v` is filled in by the encoder. */
export type Outgoing = Frame extends infer F ? (F extends { v: number } ? Omit<F, 'v'> & { v?: number } : never) : never;

/** True when `type` names a frame of this version. */
export function isFrameType(type: string): type is FrameType {
  return Object.prototype.hasOwnProperty.call(FRAME_SCHEMAS, type);
}
