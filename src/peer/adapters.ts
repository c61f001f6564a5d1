import type { Cursors, HealthSample } from '../protocol/frames.ts';
import type { Baseline } from '../protocol/health.ts';

/** Counters of one health window, taken and reset by `sample()`. */
export type WindowStats = Pick<HealthSample, 'handled' | 'errors' | 'latency_p50_ms' | 'latency_p99_ms'>;

/** What the blue and green roles need from a gateway's platform adapters. */
export interface Adapters {
  /** Names of the adapters, for HANDOFF_CONFIRM. */
  names(): string[];
  /** Starts polling from `cursors` (or from the store's own position when null); resolves with the epoch ms at which the first poll went out. */
  start(cursors: Cursors | null): Promise<number>;
  /**
   * Stops taking new messages: ends the in-flight poll, finishes answering what was already
   * received (bounded by `deadlineMs`), records it, and resolves with where to resume.
   */
  pause(deadlineMs: number): Promise<{ cursors: Cursors; drained: number; paused_at: number }>;
  /** Optional: opens the platform connections ahead of start(), so the handover does not wait for them. */
  warm?(): Promise<void>;
  /** Where polling stands now. */
  cursors(): Cursors;
  /** Counters since the previous call, then resets them. */
  sample(): WindowStats;
  /** This process's own error rate and p99 latency over its recent past. */
  baseline(): Baseline;
}
