// The platform's book of updates: what was produced, confirmed and answered, and the window's counters.
// Times are performance.now() milliseconds, given by the caller so the accounting is exact and testable.
import type { TelegramUpdate } from './schemas.ts';

interface Entry {
  producedAt: number;
  /** Dropped once confirmed: a confirmed update is never served again. */
  update: TelegramUpdate | null;
  confirmedAt: number | null;
  firstReplyAt: number | null;
  replies: number;
}

/** What the window's counters say now. */
export interface LedgerCounts {
  produced: number;
  replied: number;
  pending: number;
  lost: number;
  duplicated: number;
  confirmed: number;
  latencies: readonly number[];
}

/** Outcome of a reply: accepted, or naming an update that was never produced. */
export type ReplyResult = 'ok' | 'unknown';

const CHATS = 16;

/** Updates in id order (ids start at 1, dense), confirmations by offset, replies, and a resettable window. */
export class Ledger {
  private readonly entries: Entry[] = [];
  /** Every id below this is confirmed. */
  private confirmedBelow = 1;
  private windowFirstId = 1;
  private replied = 0;
  private duplicated = 0;
  private confirmed = 0;
  private lost = 0;
  private latencies: number[] = [];
  /** Confirmed updates whose grace has not been judged yet, in confirmation (hence time) order. */
  private lostQueue: { id: number; confirmedAt: number }[] = [];
  private lostHead = 0;

  constructor(private readonly graceMs: number) {}

  /** The id the next update will get. */
  get nextId(): number {
    return this.entries.length + 1;
  }

  /** Makes one update at `now` (epoch `epochMs` for its date) and returns it. */
  produce(now: number, epochMs: number): TelegramUpdate {
    const id = this.nextId;
    const update: TelegramUpdate = {
      update_id: id,
      message: { message_id: id, date: Math.floor(epochMs / 1000), chat: { id: 1000 + (id % CHATS) }, text: `message ${id}` },
    };
    const entry: Entry = { producedAt: now, update, confirmedAt: null, firstReplyAt: null, replies: 0 };
    this.entries.push(entry);
    // An earlier offset may already reach past this id: then it is confirmed as it is born.
    if (id < this.confirmedBelow) this.confirm(id, entry, now);
    return update;
  }

  /** Applies a getUpdates `offset` at `now` (negative: keep only the last -offset); returns the first id it may serve. */
  applyOffset(offset: number | undefined, now: number): number {
    if (offset === undefined) return this.confirmedBelow;
    const target = offset < 0 ? Math.max(1, this.nextId + offset) : offset;
    const upTo = Math.min(target, this.nextId);
    for (let id = this.confirmedBelow; id < upTo; id++) this.confirm(id, this.entries[id - 1] as Entry, now);
    this.confirmedBelow = Math.max(this.confirmedBelow, target);
    return this.confirmedBelow;
  }

  /** Unconfirmed updates with id >= `from`, at most `limit`, in id order. */
  pendingFrom(from: number, limit: number): TelegramUpdate[] {
    const out: TelegramUpdate[] = [];
    for (let id = Math.max(from, this.confirmedBelow); id < this.nextId && out.length < limit; id++) {
      const u = this.entries[id - 1]?.update;
      if (u) out.push(u);
    }
    return out;
  }

  /** Records a reply to `updateId` at `now`; 'unknown' when no such update was produced. */
  reply(updateId: number, now: number): ReplyResult {
    const entry = updateId >= 1 ? this.entries[updateId - 1] : undefined;
    if (!entry) return 'unknown';
    entry.replies++;
    const inWindow = updateId >= this.windowFirstId;
    if (entry.replies === 1) {
      entry.firstReplyAt = now;
      if (inWindow) {
        this.replied++;
        this.latencies.push(now - entry.producedAt);
      }
    } else if (inWindow) {
      this.duplicated++;
    }
    return 'ok';
  }

  /** Starts a new window at `now`: updates produced before it are no longer counted. */
  resetWindow(now: number): void {
    this.settle(now);
    this.windowFirstId = this.nextId;
    this.replied = 0;
    this.duplicated = 0;
    this.confirmed = 0;
    this.lost = 0;
    this.latencies = [];
  }

  /** The window's counters at `now`. */
  counts(now: number): LedgerCounts {
    this.settle(now);
    const produced = this.nextId - this.windowFirstId;
    return {
      produced,
      replied: this.replied,
      pending: produced - this.replied,
      lost: this.lost,
      duplicated: this.duplicated,
      confirmed: this.confirmed,
      latencies: this.latencies,
    };
  }

  private confirm(id: number, entry: Entry, now: number): void {
    entry.confirmedAt = now;
    entry.update = null;
    if (id >= this.windowFirstId) this.confirmed++;
    this.lostQueue.push({ id, confirmedAt: now });
  }

  /** Judges every confirmation whose grace has passed: lost when no reply came within the grace. */
  private settle(now: number): void {
    while (this.lostHead < this.lostQueue.length) {
      const c = this.lostQueue[this.lostHead] as { id: number; confirmedAt: number };
      const deadline = c.confirmedAt + this.graceMs;
      if (deadline > now) break;
      this.lostHead++;
      const entry = this.entries[c.id - 1] as Entry;
      const answeredInTime = entry.firstReplyAt !== null && entry.firstReplyAt <= deadline;
      if (!answeredInTime && c.id >= this.windowFirstId) this.lost++;
    }
    if (this.lostHead > 4096 && this.lostHead * 2 > this.lostQueue.length) {
      this.lostQueue = this.lostQueue.slice(this.lostHead);
      this.lostHead = 0;
    }
  }
}
