// The one HTTP client to GitHub or Gitea: @octokit/core with the retry and throttling plugins
// (all the action uses; the whole `octokit` would add apps, OAuth and webhooks to the bundle).
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { errorMessage } from '../core/errors.ts';

/** A forge answered with an HTTP error (or could not be reached: status 0). */
export class ForgeRequestError extends Error {
  constructor(
    readonly status: number,
    readonly route: string,
    message: string,
  ) {
    super(message);
    this.name = 'ForgeRequestError';
  }
}

/** The seam every forge call goes through: a route like 'GET /repos/{owner}/{repo}' and its parameters. */
export interface ForgeApi {
  request(route: string, params?: Record<string, unknown>): Promise<ForgeResponse>;
}

/** A forge's answer: status, parsed body and the response headers (lower-case names) paging reads. */
export interface ForgeResponse {
  status: number;
  data: unknown;
  headers?: Record<string, string | number | undefined>;
}

export interface ForgeApiOptions {
  /** Octokit's request throttling (GitHub's advice: writes at least 1 s apart). Default on. */
  throttle?: boolean;
  /** Milliseconds one call may take, retries included. Default 60 s. */
  timeoutMs?: number;
  /** Retries of a failed request (octokit's retry plugin; default its 3, with 1, 4, 9 s waits). */
  retries?: number;
  /** Where octokit's own warnings go (already scrubbed by the caller). */
  warn?: (m: string) => void;
}

/** The client class: core requests, retried on server errors, throttled per GitHub's advice. */
const Client = Octokit.plugin(retry, throttling);

/** What @octokit/request throws for an HTTP error answer (duck-typed: its class is not a dependency of ours). */
interface HttpError extends Error {
  status: number;
  response?: { data?: unknown };
}

/** True for octokit's HTTP error that carries the forge's answer. */
function isHttpError(e: unknown): e is HttpError & { response: { data?: unknown } } {
  return e instanceof Error && e.name === 'HttpError' && 'status' in e && typeof e.status === 'number' && 'response' in e && typeof e.response === 'object' && e.response !== null;
}

// GitHub's recommended media type, then plain JSON: Gitea (and a contract mock) only produce the latter.
const ACCEPT = 'application/vnd.github+json, application/json';

/** Builds the client for `baseUrl` (GITHUB_API_URL) with `token`; every failure surfaces as ForgeRequestError. */
export function createForgeApi(baseUrl: string, token: string, opts: ForgeApiOptions = {}): ForgeApi {
  const warn = opts.warn ?? (() => {});
  const octokit = new Client({
    auth: token,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent: 'hermes-handoff',
    log: { debug: () => {}, info: () => {}, warn: (m: string) => warn(m), error: (m: string) => warn(m) },
    ...(opts.retries === undefined ? {} : { retry: { retries: opts.retries } }),
    throttle: {
      enabled: opts.throttle ?? true,
      // Retry once after a primary or secondary rate limit, as octokit's defaults do; never loop.
      onRateLimit: (_after: number, _o: object, _k: unknown, retryCount: number) => retryCount < 1,
      onSecondaryRateLimit: (_after: number, _o: object, _k: unknown, retryCount: number) => retryCount < 1,
    },
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return {
    async request(route, params = {}) {
      try {
        const res = await octokit.request(route, {
          ...params,
          headers: { accept: ACCEPT },
          request: { signal: AbortSignal.timeout(timeoutMs) },
        });
        return { status: res.status, data: res.data as unknown, headers: res.headers as Record<string, string | number | undefined> };
      } catch (e) {
        // No response at all (refused, DNS, timeout): status 0, so callers can stop trying this forge.
        if (isHttpError(e)) throw new ForgeRequestError(e.status, route, `${route}: HTTP ${e.status}: ${shortMessage(e)}`);
        const why = errorMessage(e);
        throw new ForgeRequestError(0, route, `${route}: request failed: ${why}`);
      }
    },
  };
}

/** The forge's own error message when it sent one, else octokit's. */
function shortMessage(e: HttpError): string {
  const data: unknown = e.response?.data;
  if (data && typeof data === 'object' && 'message' in data && typeof data.message === 'string') return data.message.slice(0, 300);
  return e.message.slice(0, 300);
}
