// Telling a planned takeover from a fight. The platform ends an older listener for a newer one (a 409
// on Telegram's older poll, a close of the older Discord connection on RESUME). That is a takeover when
// the older one then stays away; it is a conflict when the older one comes back or the newer one is
// itself ended a moment later: two listeners that both keep going.

interface Ending {
  at: number;
  loser: string;
  winner: string;
  conflict: boolean;
  /** Counted in the current stats window (flips of older endings change nothing). */
  counted: boolean;
}

/** Classifies endings as takeovers or conflicts within `windowMs`; each ending is counted once, in one of the two. */
export class TakeoverJudge {
  private open: Ending[] = [];
  private takeovers = 0;
  private conflicts = 0;

  constructor(private readonly windowMs: number) {
    if (!Number.isFinite(windowMs) || windowMs < 0) throw new Error(`conflict window must be a number >= 0, got ${windowMs}`);
  }

  /** At `now` the platform ended `loser`'s listening for `winner`'s. */
  ended(now: number, loser: string, winner: string): void {
    this.prune(now);
    let fight = false;
    for (const o of this.open) {
      // The one ended now had itself just taken over: both are part of a fight.
      if (o.winner === loser) {
        this.flip(o);
        fight = true;
      }
    }
    const e: Ending = { at: now, loser, winner, conflict: fight, counted: true };
    if (fight) this.conflicts++;
    else this.takeovers++;
    this.open.push(e);
  }

  /** `who` listens again at `now`: any recent ending that ended it was no takeover. */
  seen(now: number, who: string): void {
    this.prune(now);
    for (const o of this.open) if (o.loser === who) this.flip(o);
  }

  /** Takeovers and conflicts counted in this window so far. */
  counts(): { takeovers: number; conflicts: number } {
    return { takeovers: this.takeovers, conflicts: this.conflicts };
  }

  /** Starts a new window: endings before it are no longer counted, but still judged. */
  reset(): void {
    this.takeovers = 0;
    this.conflicts = 0;
    for (const o of this.open) o.counted = false;
  }

  private flip(o: Ending): void {
    if (o.conflict) return;
    o.conflict = true;
    if (!o.counted) return;
    this.takeovers--;
    this.conflicts++;
  }

  private prune(now: number): void {
    if (this.open.length > 0 && (this.open[0] as Ending).at < now - this.windowMs) this.open = this.open.filter((o) => o.at >= now - this.windowMs);
  }
}
