// The fake platforms' own endpoints: the stats they report and the control bodies they take.
import { z } from 'zod';

/** Telegram wire shapes, re-exported for the reference adapter and the bench. */
export { ApiFailure, TelegramUpdate, apiSuccess } from './telegram-types.ts';

/** The kinds of platform the fake serves. */
export const KINDS = ['telegram', 'discord'] as const;
/** `telegram` or `discord`. */
export type Kind = (typeof KINDS)[number];

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const Percentiles = z.object({ p50: ms, p99: ms });
const Gaps = z.object({ p50: ms, p99: ms, count });
/** How answers were tied to messages: named (reply_parameters / message_reference), oldest unanswered of the chat, or nothing. */
const Matched = z.object({ reference: count, oldest: count, unmatched: count });

/** The figures every kind reports. */
const Common = {
  produced: count,
  replied: count,
  pending: count,
  lost: count,
  duplicated: count,
  /** Two listeners that both kept going (see docs/platforms.md for each kind's unit). */
  conflicts: count,
  /** Planned takeovers: one listener ended for a newer one, and it stayed away. */
  takeovers: count,
  /** Longest time with nobody listening. */
  max_gap_ms: ms,
  /** Longest gap at a change of listener (Telegram: another poller; Discord: ended by a RESUMED). */
  switch_gap_ms: ms,
  gaps_ms: Gaps,
  latency_ms: Percentiles,
  /** Listening now (Telegram: polls in flight; Discord: live connections). */
  in_flight: count,
  /** Messages per second produced now. */
  rate: z.number().nonnegative(),
  matched: Matched,
};

/** `GET /stats` → `platforms.telegram`. */
export const TelegramStats = z.object({
  ...Common,
  polls: count,
  pollers: count,
  confirmed: count,
  /** Requests answered 429 by a throttle set over the control API. */
  throttled: count,
});
/** `platforms.telegram` of `GET /stats`. */
export type TelegramStats = z.infer<typeof TelegramStats>;

/** `GET /stats` → `platforms.discord`. */
export const DiscordStats = z.object({
  ...Common,
  connections: count,
  identifies: count,
  resumes: count,
  invalid_sessions: count,
  /** Connections the platform closed because heartbeats stopped. */
  zombies: count,
  /** Dispatches sent again on a RESUME. */
  replayed: count,
  /** Connections the platform dropped without a close frame (the drop and storm faults). */
  dropped: count,
  sessions: z.object({ live: count, resumable: count }),
});
/** `platforms.discord` of `GET /stats`. */
export type DiscordStats = z.infer<typeof DiscordStats>;

/** `GET /stats`: sums over the kinds served (gaps: the longest; latency and gaps_ms: over all), Telegram's poll figures, and each kind's own. */
export const PlatformStats = z.object({
  produced: count,
  replied: count,
  pending: count,
  lost: count,
  duplicated: count,
  conflicts: count,
  takeovers: count,
  max_gap_ms: ms,
  switch_gap_ms: ms,
  gaps_ms: Gaps,
  polls: count,
  pollers: count,
  confirmed: count,
  latency_ms: Percentiles,
  in_flight: count,
  rate: z.number().nonnegative(),
  platforms: z.object({ telegram: TelegramStats.optional(), discord: DiscordStats.optional() }),
});
/** `GET /stats`. */
export type PlatformStats = z.infer<typeof PlatformStats>;

const KindField = z.enum(KINDS).optional();
/** `POST /control/rate`: messages per second of one kind, or of every kind served. */
export const RateBody = z.object({ rate: z.number().min(0).max(100_000), kind: KindField });
/** `POST /control/produce`: messages to produce now, on one kind or every kind served. */
export const ProduceBody = z.object({ count: z.number().int().min(0).max(1_000_000), kind: KindField });
/** `POST /control/telegram/throttle`: the next `count` Bot API calls (of `method`, or any) are answered 429. */
export const ThrottleBody = z.object({
  count: z.number().int().min(1).max(1_000_000),
  retry_after: z.number().int().min(1).max(3600),
  method: z.string().regex(/^[A-Za-z]{1,64}$/).optional(),
});
const SessionTarget = z.object({ session_id: z.string().min(1).max(128).optional() });
/** `POST /control/discord/<fault>` bodies. */
export const DiscordFaultBodies = {
  drop: SessionTarget,
  expire: SessionTarget,
  reconnect: SessionTarget,
  'invalidate-next-resume': z.object({ count: z.number().int().min(1).max(1000).optional() }),
  storm: z.object({ count: z.number().int().min(1).max(1000), every_ms: z.number().int().min(1).max(600_000) }),
} as const;
/** The Discord faults the control API triggers. */
export type DiscordFault = keyof typeof DiscordFaultBodies;
