// The book of user messages a fake platform produced and the bot's answers to them: how each answer
// was matched to a message, duplicates, latency, and which messages are lost. Shared by both kinds.
// Times are performance.now() milliseconds given by the caller, so the accounting is exact and testable.

/** How an answer was tied to the message it answers. */
export type Match = 'reference' | 'oldest' | 'unmatched';

/** What the window's counters say now. */
export interface BookCounts {
  produced: number;
  replied: number;
  pending: number;
  lost: number;
  duplicated: number;
  latencies: readonly number[];
  matched: Record<Match, number>;
}

interface Entry {
  chat: string;
  producedAt: number;
  delivered: boolean;
  firstReplyAt: number | null;
  replies: number;
  /** When the platform stopped being able to deliver it (confirmed, or its last session ended). */
  clockAt: number | null;
}

/** Messages in production order (index from 0), answers, and a resettable window. */
export class MessageBook {
  private readonly entries: Entry[] = [];
  private readonly byKey = new Map<string, number>();
  /** Per chat: delivered messages in delivery order; answered ones are skipped when they reach the head. */
  private readonly waiting = new Map<string, { ids: number[]; head: number }>();
  private windowFirst = 0;
  private replied = 0;
  private duplicated = 0;
  private lost = 0;
  private latencies: number[] = [];
  private matched: Record<Match, number> = { reference: 0, oldest: 0, unmatched: 0 };
  /** Entries whose clock runs, in clock (hence time) order, not judged yet. */
  private clocks: number[] = [];
  private clockHead = 0;

  constructor(private readonly graceMs: number) {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error(`graceMs must be a number >= 0, got ${graceMs}`);
  }

  /** How many messages were ever produced. */
  get size(): number {
    return this.entries.length;
  }

  /** Records message `messageId` of `chat` produced at `now`; returns its index. */
  add(chat: string, messageId: string, now: number): number {
    const index = this.entries.length;
    this.entries.push({ chat, producedAt: now, delivered: false, firstReplyAt: null, replies: 0, clockAt: null });
    this.byKey.set(keyOf(chat, messageId), index);
    return index;
  }

  /** The index of message `messageId` in `chat`, if the platform produced it. */
  find(chat: string, messageId: string): number | undefined {
    return this.byKey.get(keyOf(chat, messageId));
  }

  /** The message reached a bot; from now on an answer without a reference may count for it. */
  delivered(index: number): void {
    const e = this.entries[index];
    if (!e || e.delivered) return;
    e.delivered = true;
    let q = this.waiting.get(e.chat);
    if (!q) this.waiting.set(e.chat, (q = { ids: [], head: 0 }));
    q.ids.push(index);
  }

  /**
   * Records an answer at `now`: to message `index` when the bot named it, else to the oldest delivered
   * and unanswered message of `chat` (or to nothing: unmatched). Returns how it matched and what.
   */
  reply(chat: string, index: number | null, now: number): { match: Match; index: number | null } {
    const match: Match = index !== null ? 'reference' : 'oldest';
    const target = index ?? this.oldestUnanswered(chat);
    if (target === null) {
      this.matched.unmatched++;
      return { match: 'unmatched', index: null };
    }
    const e = this.entries[target] as Entry;
    const inWindow = target >= this.windowFirst;
    e.replies++;
    if (inWindow) this.matched[match]++;
    if (e.replies === 1) {
      e.firstReplyAt = now;
      if (inWindow) {
        this.replied++;
        this.latencies.push(now - e.producedAt);
      }
    } else if (inWindow) {
      this.duplicated++;
    }
    return { match, index: target };
  }

  /** Records an answer that names a message that is no member's (the bot's own): it answers nothing. */
  replyUnmatched(): void {
    this.matched.unmatched++;
  }

  /** From `now` the platform cannot deliver message `index` again: unanswered after the grace, it is lost. */
  startClock(index: number, now: number): void {
    const e = this.entries[index];
    if (!e || e.clockAt !== null) return;
    e.clockAt = now;
    this.clocks.push(index);
  }

  /** True once message `index` has an answer. */
  answered(index: number): boolean {
    return (this.entries[index]?.replies ?? 0) > 0;
  }

  /** Starts a new window at `now`: messages produced before it are no longer counted. */
  resetWindow(now: number): void {
    this.settle(now);
    this.windowFirst = this.entries.length;
    this.replied = 0;
    this.duplicated = 0;
    this.lost = 0;
    this.latencies = [];
    this.matched = { reference: 0, oldest: 0, unmatched: 0 };
  }

  /** The window's counters at `now`. */
  counts(now: number): BookCounts {
    this.settle(now);
    const produced = this.entries.length - this.windowFirst;
    return {
      produced,
      replied: this.replied,
      pending: produced - this.replied,
      lost: this.lost,
      duplicated: this.duplicated,
      latencies: this.latencies,
      matched: { ...this.matched },
    };
  }

  private oldestUnanswered(chat: string): number | null {
    const q = this.waiting.get(chat);
    if (!q) return null;
    while (q.head < q.ids.length && (this.entries[q.ids[q.head] as number] as Entry).replies > 0) q.head++;
    if (q.head > 1024 && q.head * 2 > q.ids.length) {
      q.ids = q.ids.slice(q.head);
      q.head = 0;
    }
    return q.head < q.ids.length ? (q.ids[q.head] as number) : null;
  }

  /** Judges every clock whose grace has passed: lost when no answer came within it. */
  private settle(now: number): void {
    while (this.clockHead < this.clocks.length) {
      const index = this.clocks[this.clockHead] as number;
      const e = this.entries[index] as Entry;
      const deadline = (e.clockAt as number) + this.graceMs;
      if (deadline > now) break;
      this.clockHead++;
      const answeredInTime = e.firstReplyAt !== null && e.firstReplyAt <= deadline;
      if (!answeredInTime && index >= this.windowFirst) this.lost++;
    }
    if (this.clockHead > 4096 && this.clockHead * 2 > this.clocks.length) {
      this.clocks = this.clocks.slice(this.clockHead);
      this.clockHead = 0;
    }
  }
}

function keyOf(chat: string, messageId: string): string {
  return `${chat}\u0000${messageId}`;
}
