import { z } from 'zod';

/** Every wait in the protocol, in milliseconds, with its default. docs/protocol.md lists the same table. */
export const Deadlines = z.object({
  /** A connection must send HELLO within this. */
  hello_ms: z.number().int().positive().default(5_000),
  /** A reservation expires when no green claims it within this. */
  claim_ms: z.number().int().positive().default(600_000),
  /** Green must send HANDOFF_ACK this long after HANDOFF_INIT. */
  ack_ms: z.number().int().positive().default(120_000),
  /** Blue must finish in-flight work and pause its adapters within this. */
  drain_ms: z.number().int().positive().default(10_000),
  /** Green must send HANDOFF_CONFIRM this long after HANDOFF_ACTIVE. */
  confirm_ms: z.number().int().positive().default(10_000),
  /** Green sends HEALTH this often during the bake. */
  heartbeat_ms: z.number().int().positive().default(1_000),
  /** Green must stop and exit this long after HANDOFF_ROLLBACK, else blue kills it. */
  rollback_grace_ms: z.number().int().positive().default(10_000),
  /** After HANDOFF_COMPLETE, green must own the socket and answer HANDOFF_COMPLETE within this, else blue takes back. */
  takeover_ms: z.number().int().positive().default(10_000),
  /** During the observation window: how long the standby waits, after green's pid is gone, for a restarted green to listen again before it takes back. */
  restart_grace_ms: z.number().int().positive().default(5_000),
});
export type Deadlines = z.infer<typeof Deadlines>;

/** The default of every threshold, by field. */
type ThresholdDefaults = {
  max_error_rate: number;
  max_latency_factor: number;
  latency_floor_ms: number;
  expected_latency_ms: number;
  min_messages: number;
  max_heartbeat_age_ms: number;
  consecutive: number;
};

/** The thresholds' schema with the given defaults: the bake and the observation window judge by the same fields. */
function thresholdsWith(d: ThresholdDefaults) {
  return z.object({
    /** Largest error rate (errors / handled) a sample may show, 0..1. */
    max_error_rate: z.number().min(0).max(1).default(d.max_error_rate),
    /** Green's p99 reply latency may be at most this factor of blue's baseline p99 (or of expected_latency_ms without one) ... */
    max_latency_factor: z.number().min(1).default(d.max_latency_factor),
    /** ... and never counts as a breach below this floor. */
    latency_floor_ms: z.number().nonnegative().default(d.latency_floor_ms),
    /** The p99 reply latency to expect when blue has no baseline (fewer than BASELINE_MIN_REPLIES replies). */
    expected_latency_ms: z.number().int().positive().default(d.expected_latency_ms),
    /** A bake that passes with fewer messages than this still promotes, and its reason says there was too little traffic to judge. */
    min_messages: z.number().int().nonnegative().default(d.min_messages),
    /** Longest time without a HEALTH frame before green is judged hung. */
    max_heartbeat_age_ms: z.number().int().positive().default(d.max_heartbeat_age_ms),
    /** How many consecutive breaching samples make a rollback. */
    consecutive: z.number().int().min(1).max(100).default(d.consecutive),
  });
}

/** Divergence thresholds by which blue judges green during the bake. */
export const Thresholds = thresholdsWith({
  max_error_rate: 0.05,
  max_latency_factor: 3,
  latency_floor_ms: 250,
  expected_latency_ms: 5_000,
  min_messages: 10,
  max_heartbeat_age_ms: 5_000,
  consecutive: 3,
});
export type Thresholds = z.infer<typeof Thresholds>;

/**
 * The thresholds by which the standby judges green during the observation window: the same fields,
 * looser defaults (hours of traffic see bursts a five-minute bake does not; a take-back needs a clear failure).
 */
export const ObserveThresholds = thresholdsWith({
  max_error_rate: 0.2,
  max_latency_factor: 5,
  latency_floor_ms: 1_000,
  expected_latency_ms: 5_000,
  min_messages: 0,
  max_heartbeat_age_ms: 30_000,
  consecutive: 10,
});

/** Why a complete set of deadlines is inconsistent, as `[field, message]`, or null. */
export function deadlinesIssue(d: Deadlines): [keyof Deadlines, string] | null {
  // Green's own drain on rollback is bounded by drain_ms: a shorter grace would kill a green that is stopping properly.
  if (d.rollback_grace_ms < d.drain_ms) return ['rollback_grace_ms', `must be at least drain_ms (${d.drain_ms})`];
  return null;
}

/** Deadlines as RESERVE carries them: any subset, consistent once the defaults fill in the rest. */
export const PartialDeadlines = Deadlines.partial().superRefine((d, ctx) => {
  const full = Deadlines.safeParse(d);
  const issue = full.success ? deadlinesIssue(full.data) : null;
  if (issue) ctx.addIssue({ code: 'custom', path: [issue[0]], message: issue[1] });
});

// Fixed values of the protocol (not negotiable on the wire); docs/protocol.md section 10 lists them.
/** Blue's baseline: its replies of the last this many ms ... */
export const BASELINE_WINDOW_MS = 60_000;
/** ... when they are at least this many; else its last BASELINE_MAX_REPLIES replies, if at least this many; else none. */
export const BASELINE_MIN_REPLIES = 20;
/** The most replies a baseline looks back over. */
export const BASELINE_MAX_REPLIES = 1_000;
/** How long blue waits for a WELCOME when it checks green's takeover, and green when it checks whether blue still serves. */
export const PROBE_MS = 2_000;
/** A listener asked for a RESERVE while a standby observes: how long it waits for the standby to go after STANDBY_END before it kills it. */
export const STANDBY_END_MS = 5_000;
/** How often the standby sends STANDBY_STATUS. */
export const STANDBY_STATUS_MS = 10_000;
/** How often the Node listener sends HEALTH to its standby (it announces the value in STANDBY_WELCOME; another listener may choose its own). */
export const STANDBY_HEARTBEAT_MS = 1_000;

/** The defaults of every deadline. */
export const DEFAULT_DEADLINES: Deadlines = Deadlines.parse({});
/** The defaults of every threshold. */
export const DEFAULT_THRESHOLDS: Thresholds = Thresholds.parse({});
/** The defaults of every threshold of the observation window. */
export const DEFAULT_OBSERVE_THRESHOLDS: Thresholds = ObserveThresholds.parse({});
