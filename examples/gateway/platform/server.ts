// The fake chat platforms for the demo, the tests and the benchmark: a Telegram Bot API and a Discord
// Gateway + REST on one loopback port. Their accounting (produced, answered, lost, duplicated,
// conflicts, takeovers, time with nobody listening) is what "zero downtime" is measured by.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { p50p99, roundMs } from '../percentiles.ts';
import { createDiscord, type DiscordFake } from './discord.ts';
import { BadRequest, parse, parseParams, readBody, sendFailure, sendJson } from './http-io.ts';
import { DiscordFaultBodies, KINDS, ProduceBody, RateBody, ThrottleBody, type DiscordFault, type Kind, type PlatformStats } from './schemas.ts';
import { createTelegram, type TelegramFake } from './telegram.ts';

/** The stats shape and the kinds, for callers that only import the server. */
export type { PlatformStats, Kind } from './schemas.ts';

/** How to start the fake platforms (docs/platforms.md lists the defaults). */
export interface FakePlatformOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** The kinds served (default: Telegram only). */
  kinds?: readonly Kind[];
  /** Messages produced per second by each kind served (0 = none). */
  rate: number;
  /** Per-kind rates overriding `rate`. */
  rates?: Partial<Record<Kind, number>>;
  /** How long a message the platform can no longer deliver may stay unanswered before it counts as lost (default 2000). */
  graceMs?: number;
  /** Two endings of listeners within this many ms are a fight (conflicts), not a takeover (default 1000). */
  conflictWindowMs?: number;
  discord?: {
    /** HELLO's heartbeat_interval (default 41250, Discord's). */
    heartbeatMs?: number;
    /** How long a session stays resumable after a non-1000/1001 close (default 90000). */
    resumeWindowMs?: number;
    /** Close code for the older connection when its session is resumed elsewhere (default 4000). */
    takeoverCloseCode?: number;
    /** Dispatches kept per session for RESUME (default 50000). */
    replayLimit?: number;
  };
}

/** The running fake platforms (in this process). */
export interface FakePlatform {
  /** Base URL, `http://127.0.0.1:PORT`: Telegram's apiRoot; Discord REST is under `/api`, the gateway at `ws://…/discord/gateway`. */
  url: string;
  /** Discord's gateway URL (what `GET /api/v10/gateway/bot` names). */
  gatewayUrl: string;
  /** The kinds served. */
  kinds: readonly Kind[];
  /** The current window's accounting, as `GET /stats` returns it. */
  stats(): PlatformStats;
  /** Sets the production rate of `kind` (default: every kind served), messages per second. */
  setRate(rate: number, kind?: Kind): void;
  /** Produces `n` messages now on `kind` (default: on every kind served). */
  produce(n: number, kind?: Kind): void;
  /** Starts a new stats window, as `POST /stats/reset`. */
  resetStats(): void;
  /** The next `count` Bot API calls (of `method`, or any) are answered 429 with `retryAfter` seconds. */
  throttleTelegram(count: number, retryAfter: number, method?: string): void;
  /** Triggers a Discord fault, as `POST /control/discord/<fault>`; returns how many sessions or connections it hit. */
  discordFault(fault: DiscordFault, body?: Record<string, unknown>): number;
  /** The id of the last message produced on `kind` (Telegram's update_id, Discord's message id), or null: a test waits for its answer to be recorded. */
  lastProduced(kind: Kind): number | string | null;
  /** Discord sessions not invalidated, as `GET /control/discord/sessions`. */
  discordSessions(): { session_id: string; seq: number; first_seq: number; live: boolean }[];
  /** Stops producing, ends every request and connection, and closes the listener. */
  close(): Promise<void>;
}

const BOT_ROUTE = /^\/bot([^/]*)\/([^/]*)$/;
const GATEWAY_PATHS = new Set(['/discord/gateway', '/discord/resume']);

/** Starts the fake platform on 127.0.0.1; resolves once it listens. */
export async function startFakePlatform(opts: FakePlatformOptions): Promise<FakePlatform> {
  const kinds: Kind[] = [...new Set<Kind>(opts.kinds ?? ['telegram'])];
  if (kinds.length === 0) throw new Error('kinds: serve at least one of telegram, discord');
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`kinds: unknown kind ${JSON.stringify(k)}; expected telegram or discord`);
  const graceMs = opts.graceMs ?? 2000;
  const conflictWindowMs = opts.conflictWindowMs ?? 1000;
  const rateOf = (k: Kind) => opts.rates?.[k] ?? opts.rate;
  const takeoverCloseCode = opts.discord?.takeoverCloseCode ?? 4000;
  if (!Number.isInteger(takeoverCloseCode) || takeoverCloseCode < 4000 || takeoverCloseCode > 4999) {
    throw new Error(`discord.takeoverCloseCode must be an integer 4000..4999, got ${takeoverCloseCode}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (e instanceof BadRequest) return fail(res, e.status, e.message);
      if (res.destroyed) return; // the client went away mid-request: nothing to answer
      fail(res, 500, `Internal Server Error: ${(e as Error).message}`);
    });
  });
  server.requestTimeout = 0; // long polls may legitimately outlast Node's default
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {}); // after listening, an accept error (EMFILE) must not take the platform down
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const gatewayUrl = `ws://127.0.0.1:${port}/discord/gateway`;

  const telegram: TelegramFake | null = kinds.includes('telegram') ? createTelegram({ rate: rateOf('telegram'), graceMs, conflictWindowMs }) : null;
  const discord: DiscordFake | null = kinds.includes('discord')
    ? createDiscord({
        rate: rateOf('discord'),
        graceMs,
        conflictWindowMs,
        heartbeatMs: opts.discord?.heartbeatMs ?? 41_250,
        resumeWindowMs: opts.discord?.resumeWindowMs ?? 90_000,
        takeoverCloseCode,
        replayLimit: opts.discord?.replayLimit ?? 50_000,
        gatewayUrl: () => gatewayUrl,
      })
    : null;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const u = new URL(req.url ?? '/', 'http://platform.invalid');
    socket.on('error', () => {});
    if (!discord || !GATEWAY_PATHS.has(u.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => discord.accept(ws, u));
  });

  function need<T>(fake: T | null, kind: Kind): T {
    if (!fake) throw new BadRequest(404, `Not Found: this platform does not serve ${kind} (started with kinds ${kinds.join(',')})`);
    return fake;
  }

  const each = (kind: Kind | undefined, fn: (f: TelegramFake | DiscordFake) => void) => {
    if (kind === 'telegram') return fn(need(telegram, 'telegram'));
    if (kind === 'discord') return fn(need(discord, 'discord'));
    for (const f of [telegram, discord]) if (f) fn(f);
  };

  function stats(): PlatformStats {
    const t = telegram?.stats();
    const d = discord?.stats();
    const parts = [t, d].filter((x) => x !== undefined);
    const sum = (k: 'produced' | 'replied' | 'pending' | 'lost' | 'duplicated' | 'conflicts' | 'takeovers' | 'in_flight' | 'rate') => parts.reduce((n, p) => n + p[k], 0);
    const samples = [telegram?.samples(), discord?.samples()].filter((x) => x !== undefined);
    const gaps = samples.flatMap((s) => s.gaps);
    const g = p50p99(gaps);
    const lat = p50p99(samples.flatMap((s) => s.latencies));
    const platforms: PlatformStats['platforms'] = {};
    if (t) platforms.telegram = t;
    if (d) platforms.discord = d;
    return {
      produced: sum('produced'),
      replied: sum('replied'),
      pending: sum('pending'),
      lost: sum('lost'),
      duplicated: sum('duplicated'),
      conflicts: sum('conflicts'),
      takeovers: sum('takeovers'),
      max_gap_ms: Math.max(0, ...parts.map((p) => p.max_gap_ms)),
      switch_gap_ms: Math.max(0, ...parts.map((p) => p.switch_gap_ms)),
      gaps_ms: { p50: roundMs(g.p50), p99: roundMs(g.p99), count: gaps.length },
      polls: t?.polls ?? 0,
      pollers: t?.pollers ?? 0,
      confirmed: t?.confirmed ?? 0,
      latency_ms: { p50: roundMs(lat.p50), p99: roundMs(lat.p99) },
      in_flight: sum('in_flight'),
      rate: sum('rate'),
      platforms,
    };
  }

  function resetStats(): void {
    telegram?.resetStats();
    discord?.resetStats();
  }

  async function control(req: IncomingMessage, res: ServerResponse, u: URL): Promise<void> {
    const body = parseParams(u, req.headers['content-type'], await readBody(req));
    const path = u.pathname;
    if (path === '/control/rate') {
      const { rate, kind } = parse(RateBody, body);
      each(kind, (f) => f.setRate(rate));
      return sendJson(res, 200, { ok: true, result: { rate, kinds: kind ? [kind] : kinds } });
    }
    if (path === '/control/produce') {
      const { count, kind } = parse(ProduceBody, body);
      each(kind, (f) => f.produce(count));
      return sendJson(res, 200, { ok: true, result: { count, kinds: kind ? [kind] : kinds } });
    }
    if (path === '/control/telegram/throttle') {
      const t = parse(ThrottleBody, body);
      need(telegram, 'telegram').throttle(t.count, t.retry_after, t.method);
      return sendJson(res, 200, { ok: true, result: t });
    }
    const fault = /^\/control\/discord\/([a-z-]+)$/.exec(path)?.[1];
    if (fault && fault in DiscordFaultBodies) {
      const f = fault as DiscordFault;
      const parsed = parse(DiscordFaultBodies[f], body) as Record<string, unknown>;
      return sendJson(res, 200, { ok: true, result: { fault: f, hit: need(discord, 'discord').fault(f, parsed) } });
    }
    throw new BadRequest(404, `Not Found: POST ${path.slice(0, 100)}`);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://platform.invalid');
    const method = req.method ?? '';
    const bot = BOT_ROUTE.exec(u.pathname);
    if (bot && (method === 'GET' || method === 'POST')) return need(telegram, 'telegram').handle(req, res, u, bot[1] ?? '', bot[2] ?? '');
    if (u.pathname === '/api' || u.pathname.startsWith('/api/')) return need(discord, 'discord').handle(req, res, u);
    if (u.pathname === '/stats' && method === 'GET') {
      await readBody(req);
      return sendJson(res, 200, stats());
    }
    if (u.pathname === '/stats/reset' && method === 'POST') {
      await readBody(req);
      resetStats();
      return sendJson(res, 200, { ok: true, result: true });
    }
    if (u.pathname === '/control/discord/sessions' && method === 'GET') {
      await readBody(req);
      return sendJson(res, 200, { ok: true, result: need(discord, 'discord').sessions() });
    }
    if (u.pathname.startsWith('/control/') && method === 'POST') return control(req, res, u);
    await readBody(req);
    sendFailure(res, 404, `Not Found: ${method.slice(0, 16)} ${u.pathname.slice(0, 100)}`);
  }

  /** Answers an error; for a poll this also ends it, so it stops counting as in flight. */
  function fail(res: ServerResponse, status: number, description: string): void {
    if (telegram?.fail(res, status, description)) return;
    sendFailure(res, status, description);
  }

  let closed: Promise<void> | null = null;
  return {
    url,
    gatewayUrl,
    kinds,
    stats,
    setRate: (rate, kind) => each(kind, (f) => f.setRate(rate)),
    produce: (n, kind) => each(kind, (f) => f.produce(n)),
    resetStats,
    throttleTelegram: (count, retryAfter, method) => need(telegram, 'telegram').throttle(count, retryAfter, method),
    discordFault: (fault, body = {}) => need(discord, 'discord').fault(fault, parse(DiscordFaultBodies[fault], body) as Record<string, unknown>),
    discordSessions: () => need(discord, 'discord').sessions(),
    lastProduced: (kind) => (kind === 'telegram' ? need(telegram, 'telegram').lastProduced() : need(discord, 'discord').lastProduced()),
    close() {
      closed ??= new Promise<void>((resolve) => {
        telegram?.close();
        discord?.close();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
