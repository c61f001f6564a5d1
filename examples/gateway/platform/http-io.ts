// Request bodies in and JSON out for the fake platforms, defensive against anything a client sends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1 << 20;

/** A request the platform refuses, with the HTTP status and a Telegram-style description. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    description: string,
  ) {
    super(description);
  }
}

/** Reads the whole body of `req`; rejects with BadRequest(413) past MAX_BODY_BYTES, or the stream's error. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(c);
      // Keep reading (and dropping) a while so the client can read the 413; the connection closes after it.
      chunks.length = 0;
      reject(new BadRequest(413, `Request Entity Too Large: body over ${MAX_BODY_BYTES} bytes`));
      if (size > 16 * MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => reject(new Error('client went away before the body was read')));
  });
}

/** The parameters of a request: its query string, overlaid with a JSON object or form body. */
export function parseParams(url: URL, contentType: string | undefined, body: Buffer): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (body.length === 0) return params;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  if (type !== '' && type !== 'application/json') throw new BadRequest(400, `Bad Request: unsupported content type "${type}"; expected application/json or a form`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new BadRequest(400, `Bad Request: body is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequest(400, 'Bad Request: body must be a JSON object');
  }
  return { ...params, ...(parsed as Record<string, unknown>) };
}

/** Sends `body` as JSON with `status`, unless the response is already sent or its client is gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** Sends a Telegram-shaped failure (`parameters` as Telegram adds them, e.g. `retry_after` with 429). */
export function sendFailure(res: ServerResponse, status: number, description: string, parameters?: { retry_after: number }): void {
  sendJson(res, status, parameters ? { ok: false, error_code: status, description, parameters } : { ok: false, error_code: status, description });
}

/** Parses `value` with `schema`, or throws BadRequest(400) naming the offending field and what was expected. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'parameters';
  throw new BadRequest(400, `Bad Request: ${where}: ${issue?.message ?? 'invalid'}`);
}
