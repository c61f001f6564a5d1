// A small Bot API client over keep-alive HTTP: getUpdates (abortable long poll) and sendMessage, sending
// what Telegram itself takes, so it works against the fake and the real service alike.
import { Agent, request, type IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ApiFailure, TelegramMessage, TelegramUpdate, apiSuccess } from './telegram-types.ts';

/** A failure the platform answered with (Telegram's `ok:false`), or an HTTP status without a Bot API body. */
export class BotApiError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    readonly description: string,
  ) {
    super(`${method}: HTTP ${status}: ${description}`);
    this.name = 'BotApiError';
  }
}

/** Where the client talks to and as whom. */
export interface BotClientOptions {
  baseUrl: string;
  token: string;
  /** Sent as X-Poller-Id, an extension only the fake reads: it names the poller in its accounting (see docs/platforms.md). */
  pollerId?: string;
}

/** One getUpdates: from `offset` (null: the platform's earliest unconfirmed), held up to `timeout` seconds. */
export interface GetUpdatesRequest {
  offset: number | null;
  /** Long-poll seconds. */
  timeout: number;
  limit?: number;
}

/** The calls the reference adapter makes. */
export interface BotClient {
  /** One getUpdates; `onSent` is called with Date.now() as the request goes out; rejects on abort, HTTP or network errors. */
  getUpdates(req: GetUpdatesRequest, signal: AbortSignal, onSent?: (at: number) => void): Promise<TelegramUpdate[]>;
  /** One sendMessage, answering `reply_parameters.message_id` when given; resolves with the message sent; rejects with BotApiError when the platform refuses it. */
  sendMessage(msg: { chat_id: number | string; text: string; reply_parameters?: { message_id: number } }): Promise<TelegramMessage>;
  /** getMe: checks the token and leaves a kept-alive connection open for the next request. */
  getMe(): Promise<void>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

const Updates = apiSuccess(z.array(TelegramUpdate));
const Sent = apiSuccess(TelegramMessage);
const Any = apiSuccess(z.unknown());
const MAX_RESPONSE = 16 << 20;

/** A client for the platform at `baseUrl` (the token goes in the path and is never put in an error). */
export function createBotClient(opts: BotClientOptions): BotClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  const urlOf = (method: string) => new URL(`bot${encodeURIComponent(opts.token)}/${method}`, base);

  function call<S extends z.ZodType>(method: string, schema: S, body: object, timeoutMs: number, signal?: AbortSignal, onSent?: (at: number) => void): Promise<z.output<S>> {
    return new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(urlOf(method), {
        method: 'POST',
        agent,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...(opts.pollerId ? { 'x-poller-id': opts.pollerId } : {}),
        },
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method}: no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        readAll(res, method).then((raw) => {
          let json: unknown;
          try {
            json = JSON.parse(raw);
          } catch {
            return reject(new BotApiError(method, res.statusCode ?? 0, `response is not JSON: ${raw.slice(0, 200)}`));
          }
          const failure = ApiFailure.safeParse(json);
          if (failure.success) return reject(new BotApiError(method, res.statusCode ?? failure.data.error_code, failure.data.description));
          const ok = schema.safeParse(json);
          if (!ok.success || res.statusCode !== 200) {
            return reject(new BotApiError(method, res.statusCode ?? 0, `unexpected response: ${ok.success ? 'status not 200' : ok.error.message}`));
          }
          resolve(ok.data);
        }, reject);
      });
      req.end(text);
      onSent?.(Date.now());
    });
  }

  return {
    async getUpdates(r, signal, onSent) {
      const body: Record<string, number> = { timeout: r.timeout };
      if (r.offset !== null) body.offset = r.offset;
      if (r.limit !== undefined) body.limit = r.limit;
      const res = await call('getUpdates', Updates, body, r.timeout * 1000 + 10_000, signal, onSent);
      return res.result;
    },
    async sendMessage(msg) {
      return (await call('sendMessage', Sent, msg, 10_000)).result;
    },
    async getMe() {
      await call('getMe', Any, {}, 10_000);
    },
    close() {
      agent.destroy();
    },
  };
}

/** The response body as UTF-8, or a rejection past MAX_RESPONSE bytes. */
function readAll(res: IncomingMessage, method: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE) {
        res.destroy();
        reject(new Error(`${method}: response over ${MAX_RESPONSE} bytes`));
      } else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error(`${method}: response cut short`));
    });
  });
}
