// Shapes that cross the fake platform's HTTP boundary, shared by its server and its client.
import { z } from 'zod';

/** An integer given as a JSON number or as a decimal string (query strings and forms carry strings). */
const IntLike = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/).transform(Number)]);
/** A non-negative number given as a JSON number or as a decimal string. */
const NumLike = z.union([z.number(), z.string().regex(/^\d{1,9}(\.\d{1,6})?$/).transform(Number)]);

export const TelegramChat = z.object({ id: z.union([z.number().int(), z.string()]) });

export const TelegramMessage = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: TelegramChat,
  text: z.string().optional(),
});
export type TelegramMessage = z.infer<typeof TelegramMessage>;

/** One update as getUpdates returns it; only messages are produced here. */
export const TelegramUpdate = z.object({
  update_id: z.number().int(),
  message: TelegramMessage.optional(),
});
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

/** getUpdates parameters (query string, JSON body or form). `timeout` may be fractional here, an extension for tests. */
export const GetUpdatesParams = z.object({
  offset: IntLike.optional(),
  limit: IntLike.optional(),
  timeout: NumLike.pipe(z.number().min(0).max(3600)).optional(),
  allowed_updates: z.unknown().optional(),
});

/** sendMessage parameters; `update_id` (required) names the update answered, an extension of Telegram's API. */
export const SendMessageParams = z.object({
  chat_id: z.union([IntLike, z.string().min(1).max(256)]),
  text: z.string().min(1).max(4096),
  update_id: IntLike,
});

export const RateBody = z.object({ rate: z.number().min(0).max(100_000) });
export const ProduceBody = z.object({ count: z.number().int().min(0).max(1_000_000) });

/** `GET /stats`: the accounting of the current window. */
export const PlatformStats = z.object({
  produced: z.number().int().nonnegative(),
  replied: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  duplicated: z.number().int().nonnegative(),
  conflicts: z.number().int().nonnegative(),
  max_gap_ms: z.number().nonnegative(),
  switch_gap_ms: z.number().nonnegative(),
  gaps_ms: z.object({ p50: z.number().nonnegative(), p99: z.number().nonnegative(), count: z.number().int().nonnegative() }),
  polls: z.number().int().nonnegative(),
  pollers: z.number().int().nonnegative(),
  confirmed: z.number().int().nonnegative(),
  latency_ms: z.object({ p50: z.number().nonnegative(), p99: z.number().nonnegative() }),
  /** Polls in flight right now. */
  in_flight: z.number().int().nonnegative(),
  /** Updates per second the producer makes now. */
  rate: z.number().nonnegative(),
});
export type PlatformStats = z.infer<typeof PlatformStats>;

/** A Telegram-shaped failure. */
export const ApiFailure = z.object({ ok: z.literal(false), error_code: z.number().int(), description: z.string() });

/** A Telegram-shaped success carrying `result`. */
export function apiSuccess<T extends z.ZodType>(result: T) {
  return z.object({ ok: z.literal(true), result });
}
