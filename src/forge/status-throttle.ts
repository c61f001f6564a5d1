// Decides which phase updates become commit-status writes.

/** Bake progress is refreshed at most this often. */
export const BAKE_REFRESH_MS = 60_000;

/** Admits at most one status update per phase, plus one per `bakeRefreshMs` while the phase is `baking`. */
export class StatusThrottle {
  private readonly seen = new Set<string>();
  private lastBakeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly bakeRefreshMs = BAKE_REFRESH_MS,
  ) {}

  /** True when an update for `phase` should be written now (and records that it was). */
  admit(phase: string): boolean {
    const t = this.now();
    if (!this.seen.has(phase)) {
      this.seen.add(phase);
      if (phase === 'baking') this.lastBakeAt = t;
      return true;
    }
    if (phase === 'baking' && t - this.lastBakeAt >= this.bakeRefreshMs) {
      this.lastBakeAt = t;
      return true;
    }
    return false;
  }
}
