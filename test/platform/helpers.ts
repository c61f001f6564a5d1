// Test helpers: raw HTTP and raw websockets against the fake platforms, independent of any client library.
import { request, type Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';

/** A Telegram bot token of the real shape. */
export const TG_TOKEN = '123456:TEST-token_abcdefghijklmnopqrstuv';
/** A Discord bot token of the real shape; its first part encodes the bot id 123456789012345678. */
export const DC_TOKEN = `${Buffer.from('123456789012345678').toString('base64url')}.GaBcDe.abcdefghijklmnopqrstuvwxyz0`;
/** Intents that get guild messages with their content. */
export const MESSAGE_INTENTS = (1 << 9) | (1 << 15);

export interface RawResponse {
  status: number;
  body: unknown;
}

/** Sends one request (a fresh connection unless `agent` keeps one alive); resolves with status and parsed JSON (or the raw text when not JSON). */
export function raw(
  url: string,
  opts: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal; agent?: Agent } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) {
      headers['content-length'] = Buffer.byteLength(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const req = request(url, { method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers, agent: opts.agent ?? false, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // leave as text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POSTs `params` as JSON to /bot<token>/<method>, with an optional poller id. */
export function bot(
  base: string,
  method: string,
  params: object,
  extra: { pollerId?: string; signal?: AbortSignal; agent?: Agent; token?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (extra.pollerId) headers['x-poller-id'] = extra.pollerId;
  return raw(`${base}/bot${extra.token ?? TG_TOKEN}/${method}`, { body: JSON.stringify(params), headers, signal: extra.signal, agent: extra.agent });
}

/** The updates of a successful getUpdates response. */
export function updates(r: RawResponse): { update_id: number; message: { message_id: number; chat: { id: number; type: string }; text: string; from: { id: number } } }[] {
  const body = r.body as { ok: boolean; result: [] };
  if (r.status !== 200 || !body.ok) throw new Error(`expected a 200 ok response, got ${r.status} ${JSON.stringify(r.body)}`);
  return body.result;
}

/** The `result` array of a successful getUpdates response, as update ids. */
export function ids(r: RawResponse): number[] {
  return updates(r).map((u) => u.update_id);
}

/** Answers update `u` by naming its message, as a bot does with reply_parameters. */
export function answer(base: string, u: { message: { message_id: number; chat: { id: number } } }, text = 'hi'): Promise<RawResponse> {
  return bot(base, 'sendMessage', { chat_id: u.message.chat.id, text, reply_parameters: { message_id: u.message.message_id } });
}

/** Waits until `cond()` holds, checking every few ms; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** A promise that settles with the rejection instead of throwing, for requests expected to be aborted. */
export function settle<T>(p: Promise<T>): Promise<T | Error> {
  return p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

/** One gateway payload as the fake sends it. */
export interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A bare gateway client: every frame it receives, in order, and the close it saw. */
export class GatewayClient {
  readonly frames: Frame[] = [];
  private read = 0;
  private waiters: (() => void)[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
  }

  /** Connects to `url` (the query names v=10&encoding=json unless `query` says otherwise). */
  static open(url: string, query = '?v=10&encoding=json'): Promise<GatewayClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}${query}`);
      const c = new GatewayClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  /** The next frame not read yet that matches `pred` (frames before it are skipped); throws after `ms`. */
  async next(pred: (f: Frame) => boolean = () => true, ms = 5_000): Promise<Frame> {
    const end = Date.now() + ms;
    for (;;) {
      while (this.read < this.frames.length) {
        const f = this.frames[this.read++] as Frame;
        if (pred(f)) return f;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${ms} ms; last frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The next dispatch of type `t`. */
  dispatch(t: string, ms?: number): Promise<Frame> {
    return this.next((f) => f.op === 0 && f.t === t, ms);
  }

  send(payload: object): void {
    this.ws.send(JSON.stringify(payload));
  }

  /** Sends IDENTIFY and resolves with READY's data. */
  async identify(intents = MESSAGE_INTENTS, token = DC_TOKEN): Promise<{ session_id: string; resume_gateway_url: string }> {
    await this.next((f) => f.op === 10);
    this.send({ op: 2, d: { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' } } });
    return (await this.dispatch('READY')).d as { session_id: string; resume_gateway_url: string };
  }

  /** Sends RESUME (after HELLO). */
  async resume(sessionId: string, seq: number, token = DC_TOKEN): Promise<void> {
    await this.next((f) => f.op === 10);
    this.send({ op: 6, d: { token, session_id: sessionId, seq } });
  }

  /** The MESSAGE_CREATE dispatches received so far (all of them, read or not). */
  messages(): { s: number; id: string; channel_id: string; content: string; bot: boolean }[] {
    return this.frames
      .filter((f) => f.op === 0 && f.t === 'MESSAGE_CREATE')
      .map((f) => {
        const d = f.d as { id: string; channel_id: string; content: string; author: { bot?: boolean } };
        return { s: f.s as number, id: d.id, channel_id: d.channel_id, content: d.content, bot: d.author.bot === true };
      });
  }

  close(code = 4000): Promise<{ code: number; reason: string }> {
    this.ws.close(code);
    return this.closed;
  }
}

/** Answers a Discord message through REST, naming it with message_reference. */
export function discordAnswer(base: string, m: { id: string; channel_id: string }, content = 'hi', token = DC_TOKEN): Promise<RawResponse> {
  return raw(`${base}/api/v10/channels/${m.channel_id}/messages`, {
    body: JSON.stringify({ content, message_reference: { message_id: m.id } }),
    headers: { authorization: `Bot ${token}` },
  });
}
