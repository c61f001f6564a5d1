// What an adapter tells the handoff about its replies: the health window (handled, errors, latency
// percentiles since the last sample) and the recent replies blue takes its latency baseline from.
import type { WindowStats } from '../../src/peer/adapters.ts';
import { BASELINE_MAX_REPLIES } from '../../src/protocol/deadlines.ts';
import type { Reply } from '../../src/protocol/health.ts';
import { p50p99, roundMs } from './percentiles.ts';

/** One adapter's reply accounting. */
export interface ReplyStats {
  /** Counts one reply; `ms` runs from the moment the message was read from the platform to the platform taking the reply. */
  account(ms: number, error: boolean): void;
  /** The window since the previous call, then a new window. */
  sample(): WindowStats;
  /** The most recent replies (at most BASELINE_MAX_REPLIES), oldest first. */
  replies(): readonly Reply[];
}

/** A new, empty ReplyStats. */
export function replyStats(): ReplyStats {
  let win = { handled: 0, errors: 0, latencies: [] as number[] };
  let history: Reply[] = [];
  return {
    account(ms, error) {
      win.handled++;
      if (error) win.errors++;
      win.latencies.push(ms);
      history.push({ at: Date.now(), latency_ms: ms, error });
      if (history.length > 2 * BASELINE_MAX_REPLIES) history = history.slice(-BASELINE_MAX_REPLIES);
    },
    sample() {
      const { p50, p99 } = p50p99(win.latencies);
      const s = { handled: win.handled, errors: win.errors, latency_p50_ms: roundMs(p50), latency_p99_ms: roundMs(p99) };
      win = { handled: 0, errors: 0, latencies: [] };
      return s;
    },
    replies: () => history.slice(-BASELINE_MAX_REPLIES),
  };
}

/** Merges several adapters' windows into one: counts add up, the percentiles are the worst adapter's (the health check judges the worst). */
export function mergeWindows(windows: readonly WindowStats[]): WindowStats {
  const out: WindowStats = { handled: 0, errors: 0, latency_p50_ms: 0, latency_p99_ms: 0 };
  for (const w of windows) {
    out.handled += w.handled;
    out.errors += w.errors;
    if (w.handled > 0) {
      out.latency_p50_ms = Math.max(out.latency_p50_ms, w.latency_p50_ms);
      out.latency_p99_ms = Math.max(out.latency_p99_ms, w.latency_p99_ms);
    }
  }
  return out;
}
