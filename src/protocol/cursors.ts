import { z } from 'zod';
import { chars } from './chars.ts';

/** The adapter kinds this version knows, in the order error messages list them. */
export const ADAPTER_KINDS = ['telegram', 'discord'] as const;
const KNOWN = ADAPTER_KINDS.join(' or ');

/** An adapter's name: the key of its cursor (a gateway may run two adapters of one kind). */
export const AdapterName = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'an adapter name is 1-64 characters of a-z 0-9 _ -');

/** Telegram: the next getUpdates offset; every update below it is answered and recorded. */
export const TelegramCursor = z.object({
  kind: z.literal('telegram'),
  offset: z.number().int().min(0),
});
export type TelegramCursor = z.infer<typeof TelegramCursor>;

/** A ws:// or wss:// URL (a host, then an optional path or query). */
const WsUrl = chars(512).regex(/^wss?:\/\/[^\s/?#]+([/?#]\S*)?$/, 'a ws:// or wss:// URL');

/** Discord: the gateway session to RESUME, and the sequence number of the last dispatch processed (answered and recorded). */
export const DiscordCursor = z.object({
  kind: z.literal('discord'),
  session_id: chars(128, 1),
  seq: z.number().int().min(0),
  resume_gateway_url: WsUrl,
});
export type DiscordCursor = z.infer<typeof DiscordCursor>;

/** Where one adapter stands on its platform, by kind. */
export const AdapterCursor = z.discriminatedUnion('kind', [TelegramCursor, DiscordCursor], {
  error: (iss) => {
    if (iss.code === 'invalid_union') {
      const kind = (iss.input as { kind?: unknown } | null)?.kind;
      if (kind === undefined) return `an adapter cursor needs a "kind": ${KNOWN}`;
      return `unknown adapter kind ${JSON.stringify(kind)?.slice(0, 66)}; expected ${KNOWN}`;
    }
    if (iss.code === 'invalid_type') return `an adapter cursor is an object with a "kind": ${KNOWN}`;
    return undefined;
  },
});
export type AdapterCursor = z.infer<typeof AdapterCursor>;

/** Every adapter's cursor, by adapter name; an adapter left out (or `{}`) starts from its store's own position. */
export const Cursors = z
  .record(AdapterName, AdapterCursor, { error: (iss) => (iss.code === 'invalid_key' ? 'an adapter name is 1-64 characters of a-z 0-9 _ -' : undefined) })
  .refine((c) => Object.keys(c).length <= 64, 'at most 64 adapters');
export type Cursors = z.infer<typeof Cursors>;
