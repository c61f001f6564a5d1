// Discord Gateway v10 and REST shapes the fake reads, and the numbers it speaks, from Discord's own
// documentation (developers/events/gateway, topics/opcodes-and-status-codes). Wire types come from
// discord-api-types where they exist.
import { z } from 'zod';

/** Gateway opcodes (op). */
export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

/** Gateway close event codes the fake sends. */
export const Close = {
  UnknownError: 4000,
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  InvalidAPIVersion: 4012,
  InvalidIntents: 4013,
} as const;

/** Intents the fake reads: GUILD_MESSAGES gets MESSAGE_CREATE in guilds, MESSAGE_CONTENT its content. */
export const Intent = { GuildMessages: 1 << 9, MessageContent: 1 << 15 } as const;
/** Every intent bit Discord defines is below this. */
export const INTENTS_LIMIT = 1 << 26;

/** Largest payload a client may send (bytes); more closes with 4002. */
export const MAX_CLIENT_PAYLOAD = 4096;

/** A bot token of the shape Discord issues: three base64url parts joined by dots. */
export const DISCORD_TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}$/;

const Snowflake = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative().transform(String)]);

/** A payload as a client sends it. */
export const ClientPayload = z.object({ op: z.number().int(), d: z.unknown().optional() });

/** IDENTIFY's data (op 2). */
export const IdentifyData = z.object({
  token: z.string().min(1).max(256),
  intents: z.number().int().nonnegative(),
  properties: z.object({ os: z.string(), browser: z.string(), device: z.string() }),
  shard: z.tuple([z.number().int(), z.number().int()]).optional(),
  compress: z.boolean().optional(),
  large_threshold: z.number().int().optional(),
  presence: z.unknown().optional(),
});

/** RESUME's data (op 6). */
export const ResumeData = z.object({
  token: z.string().min(1).max(256),
  session_id: z.string().min(1).max(128),
  seq: z.number().int().nonnegative(),
});

/** POST /channels/{id}/messages: the fields the fake reads (others are accepted and ignored). */
export const CreateMessageBody = z.object({
  content: z.string().optional(),
  message_reference: z
    .object({
      message_id: Snowflake,
      channel_id: Snowflake.optional(),
      guild_id: Snowflake.optional(),
      fail_if_not_exists: z.boolean().optional(),
      type: z.number().int().optional(),
    })
    .optional(),
  embeds: z.array(z.unknown()).optional(),
});
