// Telegram Bot API shapes that cross the fake's HTTP boundary, shared by its server and the hand-written
// client. Field names and meanings follow https://core.telegram.org/bots/api; only what the fake serves.
import { z } from 'zod';

/** An integer given as a JSON number or as a decimal string (query strings and forms carry strings). */
const IntLike = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/).transform(Number)]);
/** A non-negative number given as a JSON number or as a decimal string. */
const NumLike = z.union([z.number(), z.string().regex(/^\d{1,9}(\.\d{1,6})?$/).transform(Number)]);
/** A boolean given as JSON or as the strings forms carry. */
const BoolLike = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((v) => v === 'true' || v === 'True' || v === '1')]);
/** A chat: its numeric id, or "@username" (public chats only). */
const ChatIdLike = z.union([IntLike, z.string().regex(/^@[A-Za-z0-9_]{1,64}$/)]);

/** A JSON value sent as itself (JSON body) or JSON-encoded in a string (query string, form field). */
function jsonLike<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);
}

/** https://core.telegram.org/bots/api#user (the fields the fake sends). */
export const TelegramUser = z.object({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});
/** A Telegram user or bot. */
export type TelegramUser = z.infer<typeof TelegramUser>;

/** https://core.telegram.org/bots/api#chat (the fields the fake sends). */
export const TelegramChat = z.object({
  id: z.number().int(),
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
  title: z.string().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
});
/** A Telegram chat. */
export type TelegramChat = z.infer<typeof TelegramChat>;

const MessageFields = {
  message_id: z.number().int(),
  from: TelegramUser.optional(),
  date: z.number().int(),
  chat: TelegramChat,
  text: z.string().optional(),
};

/** A text message; `reply_to_message` (one level deep, as Telegram sends it) when it answers another. */
export const TelegramMessage = z.object({ ...MessageFields, reply_to_message: z.object(MessageFields).optional() });
/** A Telegram text message. */
export type TelegramMessage = z.infer<typeof TelegramMessage>;

/** One update as getUpdates returns it; the fake produces message updates only. */
export const TelegramUpdate = z.object({
  update_id: z.number().int(),
  message: TelegramMessage.optional(),
});
/** A Telegram update. */
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

/** getUpdates parameters. `timeout` may be fractional here, an extension for tests. */
export const GetUpdatesParams = z.object({
  offset: IntLike.optional(),
  limit: IntLike.optional(),
  timeout: NumLike.pipe(z.number().min(0).max(3600)).optional(),
  allowed_updates: jsonLike(z.array(z.string().max(64)).max(64)).optional(),
});

/** https://core.telegram.org/bots/api#replyparameters (the fields the fake reads). */
export const ReplyParameters = z.object({
  message_id: IntLike,
  chat_id: ChatIdLike.optional(),
  allow_sending_without_reply: BoolLike.optional(),
});

/** sendMessage parameters the fake reads; others (parse_mode, entities, ...) are accepted and ignored. */
export const SendMessageParams = z.object({
  chat_id: ChatIdLike,
  text: z.string(),
  reply_parameters: jsonLike(ReplyParameters).optional(),
  /** The older way to name the message answered. */
  reply_to_message_id: IntLike.optional(),
  allow_sending_without_reply: BoolLike.optional(),
});
/** sendMessage parameters as a client sends them. */
export type SendMessageParams = z.input<typeof SendMessageParams>;

/** sendChatAction parameters. */
export const SendChatActionParams = z.object({ chat_id: ChatIdLike, action: z.string() });
/** deleteWebhook parameters. */
export const DeleteWebhookParams = z.object({ drop_pending_updates: BoolLike.optional() });

/** The actions sendChatAction takes. */
export const CHAT_ACTIONS: readonly string[] = [
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
];

/** A Telegram-shaped failure; `parameters.retry_after` comes with 429. */
export const ApiFailure = z.object({
  ok: z.literal(false),
  error_code: z.number().int(),
  description: z.string(),
  parameters: z.object({ retry_after: z.number().int().optional() }).optional(),
});

/** A Telegram-shaped success carrying `result`. */
export function apiSuccess<T extends z.ZodType>(result: T) {
  return z.object({ ok: z.literal(true), result });
}
