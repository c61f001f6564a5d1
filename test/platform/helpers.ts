// Test helpers: raw HTTP against the fake platform, independent of the adapter's own client.
import { request, type Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

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
  extra: { pollerId?: string; signal?: AbortSignal; agent?: Agent } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (extra.pollerId) headers['x-poller-id'] = extra.pollerId;
  return raw(`${base}/botTEST:token/${method}`, { body: JSON.stringify(params), headers, signal: extra.signal, agent: extra.agent });
}

/** The `result` array of a successful getUpdates response, as update ids. */
export function ids(r: RawResponse): number[] {
  const body = r.body as { ok: boolean; result: { update_id: number }[] };
  if (r.status !== 200 || !body.ok) throw new Error(`expected a 200 ok response, got ${r.status} ${JSON.stringify(r.body)}`);
  return body.result.map((u) => u.update_id);
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
