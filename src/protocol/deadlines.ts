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
});
export type Deadlines = z.infer<typeof Deadlines>;

/** Divergence thresholds by which blue judges green during the bake. */
export const Thresholds = z.object({
  /** Largest error rate (errors / handled) a sample may show, 0..1. */
  max_error_rate: z.number().min(0).max(1).default(0.05),
  /** Green's p99 reply latency may be at most this factor of blue's baseline p99 ... */
  max_latency_factor: z.number().min(1).default(3),
  /** ... and never counts as a breach below this floor. */
  latency_floor_ms: z.number().nonnegative().default(250),
  /** Longest time without a HEALTH frame before green is judged hung. */
  max_heartbeat_age_ms: z.number().int().positive().default(5_000),
  /** How many consecutive breaching samples make a rollback. */
  consecutive: z.number().int().min(1).max(100).default(3),
});
export type Thresholds = z.infer<typeof Thresholds>;

/** The defaults of every deadline. */
export const DEFAULT_DEADLINES: Deadlines = Deadlines.parse({});
/** The defaults of every threshold. */
export const DEFAULT_THRESHOLDS: Thresholds = Thresholds.parse({});
