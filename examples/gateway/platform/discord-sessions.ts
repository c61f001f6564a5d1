// Gateway sessions of the fake Discord: each numbers its dispatches from 1 and keeps them for a RESUME.
// A member's message is owed to every session that should get it; once none of them can deliver it
// any more (all invalidated), the message book's clock starts: unanswered after the grace, it is lost.
import { randomBytes } from 'node:crypto';
import { Intent } from './discord-types.ts';
import type { DiscordWorld } from './discord-world.ts';
import type { MessageBook } from './message-book.ts';

/** A READY or RESUMED: a sequence number that is never replayed. */
const MARKER = -1;

/** One session; `conn` is the connection it is live on (null: waiting for a RESUME). */
export interface Session {
  readonly id: string;
  readonly token: string;
  readonly intents: number;
  readonly shard: readonly [number, number];
  /** The sequence number of the last dispatch. */
  seq: number;
  /** The sequence number of the oldest dispatch kept. */
  firstSeq: number;
  /** The world message index of each dispatch kept (from refs[head]), or MARKER. */
  refs: number[];
  head: number;
  conn: number | null;
}

/** Every session not yet invalidated, and what each is owed. */
export class SessionBook {
  private readonly sessions = new Map<string, Session>();
  /** Per message-book index: how many sessions may still deliver it. */
  private readonly owners: number[] = [];

  constructor(
    private readonly book: MessageBook,
    private readonly world: DiscordWorld,
    private readonly replayLimit: number,
  ) {
    if (!Number.isInteger(replayLimit) || replayLimit < 1) throw new Error(`replay limit must be an integer >= 1, got ${replayLimit}`);
  }

  /** A new session (its READY takes sequence number 1). */
  create(token: string, intents: number, shard: readonly [number, number]): Session {
    const s: Session = { id: randomBytes(16).toString('hex'), token, intents, shard, seq: 0, firstSeq: 1, refs: [], head: 0, conn: null };
    this.sessions.set(s.id, s);
    this.marker(s);
    return s;
  }

  /** The session `id`, unless it is unknown or invalidated. */
  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Every session not invalidated. */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Takes the next sequence number of `s` for a dispatch that is never replayed (READY, RESUMED). */
  marker(s: Session): number {
    return this.push(s, MARKER, 0);
  }

  /** Gives world message `index` the next sequence number of every session that gets it; the book's clock starts when none does. */
  fanOut(index: number, now: number): { session: Session; seq: number }[] {
    const m = this.world.messages[index];
    if (!m) throw new Error(`message ${index} does not exist`);
    const out: { session: Session; seq: number }[] = [];
    for (const s of this.sessions.values()) {
      if (!this.gets(s)) continue;
      if (m.bookIndex !== null) this.owners[m.bookIndex] = (this.owners[m.bookIndex] ?? 0) + 1;
      out.push({ session: s, seq: this.push(s, index, now) });
    }
    if (m.bookIndex !== null && out.length === 0) this.book.startClock(m.bookIndex, now);
    return out;
  }

  /** The dispatches of `s` after sequence number `seq`, for a RESUME; null when `seq` is not one `s` can resume from. */
  after(s: Session, seq: number): { seq: number; index: number }[] | null {
    if (seq > s.seq || seq < s.firstSeq - 1) return null;
    const out: { seq: number; index: number }[] = [];
    for (let n = seq + 1; n <= s.seq; n++) {
      const index = s.refs[s.head + n - s.firstSeq] as number;
      if (index !== MARKER) out.push({ seq: n, index });
    }
    return out;
  }

  /** Invalidates `s` at `now`: nothing more is delivered to it, and what only it owed starts its clock. */
  invalidate(s: Session, now: number): void {
    if (!this.sessions.delete(s.id)) return;
    for (let i = s.head; i < s.refs.length; i++) this.release(s.refs[i] as number, now);
    s.refs = [];
    s.head = 0;
    s.conn = null;
  }

  /** True when `s` receives guild MESSAGE_CREATE: it has the GUILD_MESSAGES intent and its shard routes the guild. */
  gets(s: Session): boolean {
    if ((s.intents & Intent.GuildMessages) === 0) return false;
    const [shardId, count] = s.shard;
    return (BigInt(this.world.guildId) >> 22n) % BigInt(count) === BigInt(shardId);
  }

  private push(s: Session, index: number, now: number): number {
    s.seq++;
    s.refs.push(index);
    while (s.refs.length - s.head > this.replayLimit) {
      this.release(s.refs[s.head++] as number, now);
      s.firstSeq++;
    }
    if (s.head > 4096 && s.head * 2 > s.refs.length) {
      s.refs = s.refs.slice(s.head);
      s.head = 0;
    }
    return s.seq;
  }

  private release(index: number, now: number): void {
    if (index === MARKER) return;
    const bookIndex = this.world.messages[index]?.bookIndex;
    if (bookIndex === null || bookIndex === undefined) return;
    const left = (this.owners[bookIndex] ?? 1) - 1;
    this.owners[bookIndex] = left;
    if (left === 0) this.book.startClock(bookIndex, now);
  }
}
