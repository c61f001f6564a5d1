// The people and chats of the fake Telegram: twelve users, each in a private chat with the bot, and
// four group chats they write in. Message ids count per chat, shared by users' and the bot's messages.
import type { TelegramChat, TelegramUser } from './telegram-types.ts';

const NAMES = ['Ada', 'Brian', 'Chidi', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kofi', 'Lena'];

/** One chat and its message counter. */
export interface WorldChat {
  chat: TelegramChat;
  /** The message id the next message in this chat gets. */
  nextMessageId: number;
  /** Where this chat's messages appear in the update log: chats are taken in turn. */
  index: number;
}

/** The fake's users and chats. */
export class TelegramWorld {
  readonly users: TelegramUser[];
  readonly chats: WorldChat[];
  private readonly byId = new Map<number, WorldChat>();

  constructor() {
    this.users = NAMES.map((name, i) => ({ id: 700_000_001 + i, is_bot: false, first_name: name, username: `${name.toLowerCase()}_${i + 1}`, language_code: 'en' }));
    const privates: TelegramChat[] = this.users.map((u) => ({ id: u.id, type: 'private', first_name: u.first_name, username: u.username }));
    const groups: TelegramChat[] = [
      { id: -4_100_000_001, type: 'group', title: 'Hermes testers' },
      { id: -4_100_000_002, type: 'group', title: 'Night shift' },
      { id: -1_002_100_000_001, type: 'supergroup', title: 'Hermes users', username: 'hermes_users' },
      { id: -1_002_100_000_002, type: 'supergroup', title: 'Support' },
    ];
    this.chats = [...privates, ...groups].map((chat, index) => ({ chat, nextMessageId: 1, index }));
    for (const c of this.chats) this.byId.set(c.chat.id, c);
  }

  /** The chat `chatId` names (a numeric id, or "@username" of a public chat), if it exists. */
  chat(chatId: number | string): WorldChat | undefined {
    if (typeof chatId === 'number') return this.byId.get(chatId);
    const name = chatId.slice(1).toLowerCase();
    return this.chats.find((c) => c.chat.type !== 'private' && c.chat.username?.toLowerCase() === name);
  }

  /** Who writes the n-th message of `c` (the other person in a private chat; members take turns in groups). */
  sender(c: WorldChat, n: number): TelegramUser {
    if (c.chat.type === 'private') return this.users.find((u) => u.id === c.chat.id) as TelegramUser;
    return this.users[n % this.users.length] as TelegramUser;
  }
}

/** The bot answering with `token` (its id is the number before the colon, as on Telegram). */
export function botUser(token: string): TelegramUser & Record<string, unknown> {
  return {
    id: Number(token.slice(0, token.indexOf(':'))),
    is_bot: true,
    first_name: 'Hermes fake bot',
    username: 'hermes_fake_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  };
}

/** A bot token of the shape Telegram issues: digits, a colon, then letters, digits, `_` or `-`. */
export const TOKEN_SHAPE = /^\d{1,20}:[A-Za-z0-9_-]{1,128}$/;
