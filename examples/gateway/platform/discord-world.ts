// The guild of the fake Discord: eight text channels, eight members who write in them, and every
// message ever sent there (members' and the bot's), kept compactly and rendered as Discord's objects.
import type { APIMessage, APIUser, GatewayMessageCreateDispatchData, GuildMemberFlags, MessageFlags } from 'discord-api-types/v10';

const DISCORD_EPOCH = 1_420_070_400_000n;
const NAMES = ['ada', 'brian', 'chidi', 'dana', 'emeka', 'farah', 'goran', 'hana'];
/** When the guild, its channels and members were made (fixed, so their ids are too). */
const CREATED_MS = Date.UTC(2024, 0, 1);
const FALLBACK_BOT_ID = '1100000000000000001';

/** One message: a member's (counted in the book at `bookIndex`) or the bot's (null). */
export interface WorldMessage {
  id: string;
  channel: number;
  /** Index into members, or -1 for the bot. */
  author: number;
  at: number;
  content: string;
  bookIndex: number | null;
  /** Index (into the world's messages) of the message this one answers. */
  replyTo: number | null;
}

/** A snowflake for `ms` (Unix milliseconds) with a 12-bit increment, as Discord builds its ids. */
export function snowflake(ms: number, increment: number): string {
  return ((BigInt(Math.max(0, ms)) - DISCORD_EPOCH) << 22n | BigInt(increment & 0xfff)).toString();
}

/** The guild, its channels and members, and its messages. */
export class DiscordWorld {
  readonly guildId = snowflake(CREATED_MS, 1);
  readonly channels: string[] = Array.from({ length: 8 }, (_, i) => snowflake(CREATED_MS + 1000 + i, 2 + i));
  readonly members: APIUser[] = NAMES.map((name, i) => ({ id: snowflake(CREATED_MS + 2000 + i, 20 + i), username: name, discriminator: '0', global_name: name[0]?.toUpperCase() + name.slice(1), avatar: null }));
  readonly messages: WorldMessage[] = [];
  private readonly byId = new Map<string, number>();
  private readonly channelIndex = new Map<string, number>(this.channels.map((c, i) => [c, i]));
  private increment = 0;

  /** The channel index of channel id `id`, if it is one of the guild's. */
  channel(id: string): number | undefined {
    return this.channelIndex.get(id);
  }

  /** Adds a message now; returns its index. */
  add(m: Omit<WorldMessage, 'id' | 'at'>): number {
    const at = Date.now();
    const index = this.messages.length;
    const id = snowflake(at, ++this.increment);
    this.messages.push({ ...m, id, at });
    this.byId.set(id, index);
    return index;
  }

  /** The index of message `id`, if it was sent in channel `channel`. */
  find(id: string, channel: number): number | undefined {
    const index = this.byId.get(id);
    return index !== undefined && this.messages[index]?.channel === channel ? index : undefined;
  }

  /** Message `index` as the REST API returns it; `content` blanked when the reader may not see it. */
  render(index: number, bot: APIUser, withContent = true, nested = true): APIMessage {
    const m = this.messages[index] as WorldMessage;
    const channelId = this.channels[m.channel] as string;
    const msg: APIMessage = {
      id: m.id,
      channel_id: channelId,
      author: m.author < 0 ? bot : (this.members[m.author] as APIUser),
      content: withContent ? m.content : '',
      timestamp: new Date(m.at).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: m.replyTo === null ? 0 : 19,
      flags: 0 as MessageFlags,
    };
    if (m.replyTo !== null) {
      const ref = this.messages[m.replyTo] as WorldMessage;
      msg.message_reference = { type: 0, message_id: ref.id, channel_id: channelId, guild_id: this.guildId };
      if (nested) msg.referenced_message = this.render(m.replyTo, bot, withContent, false);
    }
    return msg;
  }

  /** Message `index` as a MESSAGE_CREATE dispatch carries it. */
  dispatch(index: number, bot: APIUser, withContent: boolean): GatewayMessageCreateDispatchData {
    return { ...this.render(index, bot, withContent), guild_id: this.guildId, member: { roles: [], joined_at: new Date(CREATED_MS).toISOString(), deaf: false, mute: false, flags: 0 as GuildMemberFlags } };
  }
}

/** The bot user a token belongs to: the id is the first part of the token, base64-encoded, as on Discord. */
export function discordBot(token: string): APIUser {
  const first = token.slice(0, token.indexOf('.'));
  let id = FALLBACK_BOT_ID;
  try {
    const decoded = Buffer.from(first, 'base64url').toString('utf8');
    if (/^\d{17,20}$/.test(decoded)) id = decoded;
  } catch {
    // not base64: keep the fallback id
  }
  return { id, username: 'hermes-fake-bot', discriminator: '0', global_name: 'Hermes fake bot', avatar: null, bot: true };
}
