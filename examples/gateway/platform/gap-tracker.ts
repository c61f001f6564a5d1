// When somebody was listening (a poll in flight, a live gateway connection) and the gaps between:
// the "dark window" accounting of the fake platforms. Times are performance.now() milliseconds.
import { p50p99, roundMs } from '../percentiles.ts';

/** The window's gap figures. */
export interface GapFigures {
  in_flight: number;
  max_gap_ms: number;
  switch_gap_ms: number;
  gaps_ms: { p50: number; p99: number; count: number };
}

/** Counts listeners and measures every interval with none, per stats window. */
export class GapTracker {
  private live = 0;
  /** When the current gap began; null while someone listens or before anyone ever did. */
  private gapStartedAt: number | null = null;
  private windowStart: number;
  private gaps: number[] = [];
  private maxGap = 0;
  private switchGap = 0;

  constructor(now: number) {
    this.windowStart = now;
  }

  /** A listener starts at `now`; `switching` says a gap it ends counts as a change of listener (a handover). */
  arrive(now: number, switching: boolean): void {
    if (this.live === 0 && this.gapStartedAt !== null) {
      const gap = now - Math.max(this.gapStartedAt, this.windowStart);
      this.gaps.push(gap);
      if (gap > this.maxGap) this.maxGap = gap;
      if (switching && gap > this.switchGap) this.switchGap = gap;
    }
    this.gapStartedAt = null;
    this.live++;
  }

  /** A listener stopped at `now`. Call once per arrive. */
  leave(now: number): void {
    this.live = Math.max(0, this.live - 1);
    if (this.live === 0) this.gapStartedAt = now;
  }

  /** Starts a new window at `now`; a gap in progress is counted from here when it ends. */
  reset(now: number): void {
    this.windowStart = now;
    this.gaps = [];
    this.maxGap = 0;
    this.switchGap = 0;
  }

  /** The gaps of the window (for merging across kinds). */
  get allGaps(): readonly number[] {
    return this.gaps;
  }

  /** The window's figures, in milliseconds with microsecond precision. */
  figures(): GapFigures {
    const { p50, p99 } = p50p99(this.gaps);
    return {
      in_flight: this.live,
      max_gap_ms: roundMs(this.maxGap),
      switch_gap_ms: roundMs(this.switchGap),
      gaps_ms: { p50: roundMs(p50), p99: roundMs(p99), count: this.gaps.length },
    };
  }
}
