import type { Cursors, HealthSample } from '../protocol/frames.ts';
import type { Reply } from '../protocol/health.ts';

/** Counters of one health window, taken and reset by `sample()`. */
export type WindowStats = Pick<HealthSample, 'handled' | 'errors' | 'latency_p50_ms' | 'latency_p99_ms'>;

/**
 * What the blue and green roles need from a gateway's platform adapters (all of them together).
 * Cursors are typed per adapter name (protocol.md section 12.1): Telegram `{kind, offset}`, Discord
 * `{kind, session_id, seq, resume_gateway_url}` with `seq` the last dispatch processed.
 */
export interface Adapters {
  /** Names of the adapters, for HANDOFF_CONFIRM. */
  names(): string[];
  /**
   * Starts every adapter from `cursors` (an adapter left out, or null: from its own position) and
   * resolves once all are live, with the epoch ms at which the last of them sent its first poll
   * (Telegram: the first getUpdates; Discord: the RESUME, or the IDENTIFY after INVALID_SESSION). Rejects, having started nothing, on a cursor of another
   * kind than its adapter. A handed-over Discord session is resumed, never identified afresh.
   */
  start(cursors: Cursors | null): Promise<number>;
  /**
   * Pauses (protocol.md sections 12.5, 12.6): ends every in-flight poll, finishes answering what was
   * already received (bounded by `deadlineMs`), records it, and resolves with where to resume and
   * when the last poll ended. `final`: this process is leaving (green handing back on a rollback), so
   * platform connections close now whatever the gateway's handover order, and the take-back is no takeover.
   */
  pause(deadlineMs: number, opts?: { final?: boolean }): Promise<{ cursors: Cursors; drained: number; paused_at: number }>;
  /**
   * Optional: what the last start() could not do as handed over, in words for HANDOFF_CONFIRM.notes
   * (a Discord session that had expired and was identified afresh: protocol.md section 12.6);
   * `pausedAt` is HANDOFF_ACTIVE's paused_at, for the gap the words name.
   */
  handoverNotes?(pausedAt?: number): string[];
  /** Optional: opens the platform connections ahead of start(), so the handover does not wait for them. */
  warm?(): Promise<void>;
  /**
   * Optional: called once the adapters are paused for good and the process becomes the standby of an
   * observation window (protocol.md section 14.1): closes the platform connections, drops caches and
   * closes the store. start() must open what it needs again (the standby resumes after a take-back).
   */
  release?(): Promise<void>;
  /** Where every adapter stands now. */
  cursors(): Cursors;
  /** Counters since the previous call, then resets them. */
  sample(): WindowStats;
  /**
   * This process's most recent replies, oldest first: at least the last BASELINE_MAX_REPLIES (1000)
   * when it has sent that many. Blue takes its baseline from them (protocol.md section 11).
   */
  replies(): readonly Reply[];
}
