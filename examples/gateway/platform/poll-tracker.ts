// When a poll was in flight, and the gaps between: the "dark window" accounting of the fake platform.
// Times are performance.now() milliseconds given by the caller.
import { p50p99, roundMs } from '../percentiles.ts';

/** The window's poll figures. */
export interface PollFigures {
  polls: number;
  pollers: number;
  conflicts: number;
  in_flight: number;
  max_gap_ms: number;
  switch_gap_ms: number;
  gaps_ms: { p50: number; p99: number; count: number };
}

/** Counts polls in flight and measures every interval with none, per stats window. */
export class PollTracker {
  private live = 0;
  /** When the current gap began; null while a poll is in flight or before the first poll ever. */
  private gapStartedAt: number | null = null;
  /** Poller id of the most recent poll to arrive; undefined before the first. */
  private lastPollerId: string | null | undefined = undefined;
  private windowStart: number;
  private gaps: number[] = [];
  private maxGap = 0;
  private switchGap = 0;
  private pollers = new Set<string>();
  private polls = 0;
  private conflicts = 0;

  constructor(now: number) {
    this.windowStart = now;
  }

  /** A poll arrived at `now` from `pollerId` (null when it sent none): it is in flight from here. */
  arrive(now: number, pollerId: string | null): void {
    if (this.live === 0 && this.gapStartedAt !== null) {
      const gap = now - Math.max(this.gapStartedAt, this.windowStart);
      this.gaps.push(gap);
      if (gap > this.maxGap) this.maxGap = gap;
      if (this.lastPollerId !== undefined && pollerId !== this.lastPollerId && gap > this.switchGap) this.switchGap = gap;
    }
    this.gapStartedAt = null;
    this.live++;
    this.lastPollerId = pollerId;
    this.polls++;
    if (pollerId !== null) this.pollers.add(pollerId);
  }

  /** A poll stopped being in flight at `now` (answered, or its client went away). Call once per arrive. */
  leave(now: number): void {
    this.live = Math.max(0, this.live - 1);
    if (this.live === 0) this.gapStartedAt = now;
  }

  /** Counts one 409 sent to an older poll. */
  conflict(): void {
    this.conflicts++;
  }

  /** Notes a poller still in flight when a window starts, so the new window counts it. */
  seen(pollerId: string | null): void {
    if (pollerId !== null) this.pollers.add(pollerId);
  }

  /** Starts a new window at `now`; a gap in progress is counted from here when it ends. */
  reset(now: number): void {
    this.windowStart = now;
    this.gaps = [];
    this.maxGap = 0;
    this.switchGap = 0;
    this.pollers = new Set();
    this.polls = 0;
    this.conflicts = 0;
  }

  /** The window's figures, in milliseconds with microsecond precision. */
  figures(): PollFigures {
    const { p50, p99 } = p50p99(this.gaps);
    return {
      polls: this.polls,
      pollers: this.pollers.size,
      conflicts: this.conflicts,
      in_flight: this.live,
      max_gap_ms: roundMs(this.maxGap),
      switch_gap_ms: roundMs(this.switchGap),
      gaps_ms: { p50: roundMs(p50), p99: roundMs(p99), count: this.gaps.length },
    };
  }
}
