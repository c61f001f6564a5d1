// The fake Discord: a guild whose members write at a set rate, the Gateway that dispatches their
// messages (discord-gateway.ts), the REST routes a bot needs to connect and answer, and the accounting.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { APIGatewayBotInfo } from 'discord-api-types/v10';
import type { WebSocket } from 'ws';
import { p50p99, roundMs } from '../percentiles.ts';
import { CreateMessageBody, DISCORD_TOKEN_SHAPE } from './discord-types.ts';
import { Gateway, type SessionFilter } from './discord-gateway.ts';
import { SessionBook, type Session } from './discord-sessions.ts';
import { DiscordWorld, discordBot } from './discord-world.ts';
import { GapTracker } from './gap-tracker.ts';
import { BadRequest, readBody, sendJson } from './http-io.ts';
import { MessageBook } from './message-book.ts';
import { Producer } from './producer.ts';
import type { DiscordFault, DiscordStats } from './schemas.ts';
import { TakeoverJudge } from './takeovers.ts';

/** How the fake Discord behaves (see docs/platforms.md). */
export interface DiscordOptions {
  rate: number;
  graceMs: number;
  conflictWindowMs: number;
  /** HELLO's heartbeat_interval (Discord's is about 41 s). */
  heartbeatMs: number;
  /** How long a session stays resumable after its connection went without 1000/1001. */
  resumeWindowMs: number;
  /** The close code the older connection gets when its session is resumed elsewhere. */
  takeoverCloseCode: number;
  /** Dispatches kept per session for RESUME; older ones cannot be resumed from (4007). */
  replayLimit: number;
  /** The gateway URL (`ws://host:port/discord/gateway`); READY's resume URL is its sibling `/discord/resume`. */
  gatewayUrl: () => string;
}

/** The fake Discord, mounted by the platform server. */
export interface DiscordFake {
  /** Serves one REST request under /api. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Takes an upgraded websocket for the gateway. */
  accept(ws: WebSocket, url: URL): void;
  produce(n: number): void;
  setRate(rate: number): void;
  fault(fault: DiscordFault, body: Record<string, unknown>): number;
  sessions(): ReturnType<Gateway['describe']>;
  stats(): DiscordStats;
  /** The id of the last member's message produced (null before the first): a test waits for its answer to be recorded. */
  lastProduced(): string | null;
  samples(): { gaps: readonly number[]; latencies: readonly number[] };
  resetStats(): void;
  close(): void;
}

/** A Discord HTTP error: `{message, code}` (+ `errors` for form errors). */
class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message: string; code: number; errors?: unknown },
  ) {
    super(body.message);
  }
}

const formError = (field: string, code: string, message: string) =>
  new DiscordError(400, { message: 'Invalid Form Body', code: 50035, errors: { [field]: { _errors: [{ code, message }] } } });

/** Creates the fake Discord; it produces at `opts.rate` from now. */
export function createDiscord(opts: DiscordOptions): DiscordFake {
  const world = new DiscordWorld();
  const book = new MessageBook(opts.graceMs);
  const sessions = new SessionBook(book, world, opts.replayLimit);
  const gaps = new GapTracker(performance.now());
  const judge = new TakeoverJudge(opts.conflictWindowMs);
  /** Sessions that were live at the same time as another session of the same bot (this window). */
  let overlapping = new Set<string>();
  let base = { connections: 0, identifies: 0, resumes: 0, invalid_sessions: 0, zombies: 0, replayed: 0, dropped: 0 };

  function onLive(s: Session): void {
    const others = sessions.all().filter((o) => o !== s && o.conn !== null && o.token === s.token);
    if (others.length === 0) return;
    overlapping.add(s.id);
    for (const o of others) overlapping.add(o.id);
  }

  const gateway = new Gateway({
    sessions,
    world,
    gaps,
    judge,
    heartbeatMs: opts.heartbeatMs,
    resumeWindowMs: opts.resumeWindowMs,
    takeoverCloseCode: opts.takeoverCloseCode,
    resumeUrl: () => opts.gatewayUrl().replace(/\/discord\/gateway$/, '/discord/resume'),
    onLive,
    onDelivered: (bookIndex) => book.delivered(bookIndex),
  });

  const producer = new Producer((n) => produce(n));
  let last: string | null = null;

  function produce(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`produce(n) needs an integer n >= 0, got ${n}`);
    for (let i = 0; i < n; i++) {
      const k = book.size;
      const channel = k % world.channels.length;
      const index = world.add({ channel, author: k % world.members.length, content: `message ${k + 1}`, bookIndex: null, replyTo: null });
      const m = world.messages[index] as (typeof world.messages)[number];
      const now = performance.now();
      m.bookIndex = book.add(world.channels[channel] as string, m.id, now);
      gateway.deliver(index, now);
      last = m.id;
    }
  }

  function authorised(req: IncomingMessage): string {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bot ') ? auth.slice(4) : '';
    if (!DISCORD_TOKEN_SHAPE.test(token)) throw new DiscordError(401, { message: '401: Unauthorized', code: 0 });
    return token;
  }

  async function createMessage(req: IncomingMessage, res: ServerResponse, channelId: string): Promise<void> {
    const token = authorised(req);
    const raw = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new DiscordError(400, { message: 'The request body contains invalid JSON.', code: 50109 });
    }
    const p = CreateMessageBody.safeParse(json);
    if (!p.success) {
      const issue = p.error.issues[0];
      throw formError(issue?.path.map(String).join('.') || 'body', 'BASE_TYPE_BAD', issue?.message ?? 'invalid');
    }
    const channel = world.channel(channelId);
    if (channel === undefined) throw new DiscordError(404, { message: 'Unknown Channel', code: 10003 });
    const content = p.data.content ?? '';
    if (content.length > 2000) throw formError('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    if (content.trim() === '' && (p.data.embeds?.length ?? 0) === 0) throw new DiscordError(400, { message: 'Cannot send an empty message', code: 50006 });
    const ref = p.data.message_reference;
    let replyTo: number | null = null;
    if (ref) {
      const refChannel = world.channel(ref.channel_id ?? channelId);
      const found = refChannel === undefined ? undefined : world.find(ref.message_id, refChannel);
      if (found === undefined && ref.fail_if_not_exists !== false) throw formError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
      replyTo = found ?? null;
    }
    const now = performance.now();
    const target = replyTo === null ? null : (world.messages[replyTo]?.bookIndex ?? null);
    if (replyTo !== null && target === null) book.replyUnmatched(); // an answer to the bot's own message
    else book.reply(channelId, target, now);
    const index = world.add({ channel, author: -1, content, bookIndex: null, replyTo });
    // The bot's own message is dispatched too, as Discord does: a bot must not answer itself.
    gateway.deliver(index, now);
    sendJson(res, 200, world.render(index, discordBot(token)));
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    const path = m?.[1] ?? '';
    const method = req.method ?? '';
    const only = async (allowed: string) => {
      if (method === allowed) return;
      await readBody(req);
      throw new DiscordError(405, { message: '405: Method Not Allowed', code: 0 });
    };
    if (path === '/gateway') {
      await only('GET');
      return sendJson(res, 200, { url: opts.gatewayUrl() });
    }
    if (path === '/gateway/bot') {
      await only('GET');
      authorised(req);
      const info: APIGatewayBotInfo = {
        url: opts.gatewayUrl(),
        shards: 1,
        session_start_limit: { total: 1000, remaining: Math.max(0, 1000 - gateway.counters.identifies), reset_after: 86_400_000, max_concurrency: 1 },
      };
      return sendJson(res, 200, info);
    }
    if (path === '/users/@me') {
      await only('GET');
      return sendJson(res, 200, discordBot(authorised(req)));
    }
    const channel = /^\/channels\/(\d{1,20})\/messages$/.exec(path);
    if (channel) {
      await only('POST');
      return createMessage(req, res, channel[1] as string);
    }
    await readBody(req);
    throw new DiscordError(404, { message: '404: Not Found', code: 0 });
  }

  function stats(): DiscordStats {
    const now = performance.now();
    const c = book.counts(now);
    const g = gaps.figures();
    const j = judge.counts();
    const lat = p50p99(c.latencies);
    const k = gateway.counters;
    const all = sessions.all();
    return {
      produced: c.produced,
      replied: c.replied,
      pending: c.pending,
      lost: c.lost,
      duplicated: c.duplicated,
      conflicts: overlapping.size + j.conflicts,
      takeovers: j.takeovers,
      max_gap_ms: g.max_gap_ms,
      switch_gap_ms: g.switch_gap_ms,
      gaps_ms: g.gaps_ms,
      latency_ms: { p50: roundMs(lat.p50), p99: roundMs(lat.p99) },
      in_flight: g.in_flight,
      rate: producer.current,
      matched: c.matched,
      connections: k.connections - base.connections,
      identifies: k.identifies - base.identifies,
      resumes: k.resumes - base.resumes,
      invalid_sessions: k.invalid_sessions - base.invalid_sessions,
      zombies: k.zombies - base.zombies,
      replayed: k.replayed - base.replayed,
      dropped: k.dropped - base.dropped,
      sessions: { live: all.filter((s) => s.conn !== null).length, resumable: all.filter((s) => s.conn === null).length },
    };
  }

  producer.setRate(opts.rate);

  return {
    async handle(req, res, url) {
      try {
        await route(req, res, url);
      } catch (e) {
        if (e instanceof BadRequest && e.status === 413) return sendJson(res, 413, { message: 'Request entity too large', code: 40005 });
        if (!(e instanceof DiscordError)) throw e;
        req.resume(); // refused before its body was read: drain it, so a kept-alive connection stays usable
        sendJson(res, e.status, e.body);
      }
    },
    accept: (ws, url) => gateway.accept(ws, url),
    produce,
    setRate: (r) => producer.setRate(r),
    fault(fault, body) {
      const target: SessionFilter = typeof body.session_id === 'string' ? { session_id: body.session_id } : {};
      switch (fault) {
        case 'drop':
          return gateway.drop(target);
        case 'expire':
          return gateway.expire(target);
        case 'reconnect':
          return gateway.reconnect(target);
        case 'invalidate-next-resume': {
          const n = typeof body.count === 'number' ? body.count : 1;
          gateway.invalidateNextResumes(n);
          return n;
        }
        case 'storm': {
          const n = typeof body.count === 'number' ? body.count : 1;
          gateway.storm(n, typeof body.every_ms === 'number' ? body.every_ms : 100);
          return n;
        }
      }
    },
    sessions: () => gateway.describe(),
    stats,
    lastProduced: () => last,
    samples: () => ({ gaps: gaps.allGaps, latencies: book.counts(performance.now()).latencies }),
    resetStats() {
      const now = performance.now();
      book.resetWindow(now);
      gaps.reset(now);
      judge.reset();
      base = { ...gateway.counters };
      overlapping = new Set();
      const live = sessions.all().filter((s) => s.conn !== null);
      for (const s of live) onLive(s); // overlaps that last into the new window still count
    },
    close() {
      producer.stop();
      gateway.shutdown();
    },
  };
}
