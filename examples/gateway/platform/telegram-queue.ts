// The fake Telegram's update queue: updates in id order (ids from 1, dense), confirmed by getUpdates
// offsets as Telegram does. The message book (index = update_id - 1) keeps the answers.
import type { MessageBook } from './message-book.ts';
import type { TelegramMessage, TelegramUpdate, TelegramUser } from './telegram-types.ts';
import type { TelegramWorld, WorldChat } from './telegram-world.ts';

interface Produced {
  chat: WorldChat;
  messageId: number;
  from: TelegramUser;
  /** Unix seconds. */
  date: number;
}

/** What a reply's reference names: a produced update, one of the bot's own messages, or nothing. */
export type Referenced = { kind: 'update'; updateId: number } | { kind: 'bot' } | null;

/** Updates, their confirmation by offset, and what getUpdates may serve. */
export class UpdateQueue {
  private readonly produced: Produced[] = [];
  /** Every id below this is confirmed. */
  private confirmedBelow = 1;
  private windowFirstId = 1;
  private confirmedInWindow = 0;

  constructor(
    private readonly book: MessageBook,
    private readonly world: TelegramWorld,
  ) {}

  /** The id the next update will get. */
  get nextId(): number {
    return this.produced.length + 1;
  }

  /** Confirmed updates of the current window. */
  get confirmed(): number {
    return this.confirmedInWindow;
  }

  /** Updates produced and not yet confirmed (getWebhookInfo's pending_update_count). */
  get unconfirmed(): number {
    return Math.max(0, this.nextId - this.confirmedBelow);
  }

  /** Makes one message update at `now` (`epochMs` for its date); returns its update id. */
  produce(now: number, epochMs: number): number {
    const id = this.nextId;
    const chat = this.world.chats[(id - 1) % this.world.chats.length] as WorldChat;
    const messageId = chat.nextMessageId++;
    this.produced.push({ chat, messageId, from: this.world.sender(chat, messageId), date: Math.floor(epochMs / 1000) });
    const index = this.book.add(String(chat.chat.id), String(messageId), now);
    if (index !== id - 1) throw new Error(`update ${id} and message book index ${index} disagree`);
    // An earlier offset may already reach past this id: then it is confirmed as it is born.
    if (id < this.confirmedBelow) this.confirm(id, now);
    return id;
  }

  /** Applies a getUpdates `offset` at `now` (negative: keep only the last -offset); returns the first id it may serve. */
  applyOffset(offset: number | undefined, now: number): number {
    if (offset === undefined) return this.confirmedBelow;
    const target = offset < 0 ? Math.max(1, this.nextId + offset) : offset;
    const upTo = Math.min(target, this.nextId);
    for (let id = this.confirmedBelow; id < upTo; id++) this.confirm(id, now);
    this.confirmedBelow = Math.max(this.confirmedBelow, target);
    return this.confirmedBelow;
  }

  /** Confirms everything produced so far (deleteWebhook with drop_pending_updates). */
  dropPending(now: number): void {
    this.applyOffset(this.nextId, now);
  }

  /** Unconfirmed update ids >= `from`, at most `limit`, in id order. */
  pendingFrom(from: number, limit: number): number[] {
    const out: number[] = [];
    for (let id = Math.max(from, this.confirmedBelow); id < this.nextId && out.length < limit; id++) out.push(id);
    return out;
  }

  /** The update `id` as getUpdates returns it. */
  update(id: number): TelegramUpdate {
    return { update_id: id, message: this.message(id) };
  }

  /** The message update `id` carries. */
  message(id: number): TelegramMessage {
    const p = this.produced[id - 1];
    if (!p) throw new Error(`update ${id} was never produced`);
    return { message_id: p.messageId, from: p.from, chat: p.chat.chat, date: p.date, text: `message ${id}` };
  }

  /** What message `messageId` of `chat` is, for a reply that names it. */
  referenced(chat: WorldChat, messageId: number): Referenced {
    if (!Number.isInteger(messageId) || messageId < 1 || messageId >= chat.nextMessageId) return null;
    const index = this.book.find(String(chat.chat.id), String(messageId));
    return index === undefined ? { kind: 'bot' } : { kind: 'update', updateId: index + 1 };
  }

  /** Starts a new window: confirmations of older updates are no longer counted. */
  resetWindow(): void {
    this.windowFirstId = this.nextId;
    this.confirmedInWindow = 0;
  }

  private confirm(id: number, now: number): void {
    if (id >= this.windowFirstId) this.confirmedInWindow++;
    this.book.startClock(id - 1, now);
  }
}
