// A Telegram-like chat platform for the demo, the tests and the benchmark. Its accounting (produced,
// answered, lost, duplicated, conflicts, time with no poller) is what "zero downtime" is measured by.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { p50p99, roundMs } from '../percentiles.ts';
import { Ledger } from './ledger.ts';
import { PollTracker } from './poll-tracker.ts';
import { Producer } from './producer.ts';
import { BadRequest, parseParams, readBody, sendFailure, sendJson } from './http-io.ts';
import { GetUpdatesParams, ProduceBody, RateBody, SendMessageParams, type PlatformStats } from './schemas.ts';

export type { PlatformStats } from './schemas.ts';

export interface FakePlatformOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** Updates produced per second (0 = none). */
  rate: number;
  /** How long a confirmed update may stay unanswered before it counts as lost (default 2000). */
  graceMs?: number;
}

export interface FakePlatform {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The current window's accounting, as `GET /stats` returns it. */
  stats(): PlatformStats;
  /** Sets the production rate (updates per second, 0 = none). */
  setRate(rate: number): void;
  /** Produces `n` updates now. */
  produce(n: number): void;
  /** Starts a new stats window, as `POST /stats/reset`. */
  resetStats(): void;
  /** Stops producing, ends every request and closes the listener. */
  close(): Promise<void>;
}

const CONFLICT =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const BOT_ROUTE = /^\/bot([^/]+)\/([A-Za-z]+)$/;

interface Poll {
  seq: number;
  res: ServerResponse;
  pollerId: string | null;
  done: boolean;
  /** Set once the parameters are read and nothing was there to answer with: waiting for an update. */
  wait: { from: number; limit: number; timer: NodeJS.Timeout } | null;
  /** Removes the hang-up listeners from the (possibly kept-alive) socket. */
  detach: () => void;
}

/** Starts the fake platform on 127.0.0.1; resolves once it listens. */
export async function startFakePlatform(opts: FakePlatformOptions): Promise<FakePlatform> {
  const graceMs = opts.graceMs ?? 2000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error(`graceMs must be a number >= 0, got ${graceMs}`);
  const ledger = new Ledger(graceMs);
  const tracker = new PollTracker(performance.now());
  const live: Poll[] = []; // polls in flight, oldest first
  let seq = 0;
  let botMessageId = 0;

  const producer = new Producer((n) => produce(n));

  function produce(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`produce(n) needs an integer n >= 0, got ${n}`);
    for (let i = 0; i < n; i++) ledger.produce(performance.now(), Date.now());
    if (n > 0) wakeNewest();
  }

  /** Only the newest poll is served: older ones are about to be ended with 409 or are gone. */
  function wakeNewest(): void {
    const p = live[live.length - 1];
    if (!p?.wait) return;
    const result = ledger.pendingFrom(p.wait.from, p.wait.limit);
    if (result.length > 0) finish(p, 200, { ok: true, result });
  }

  function finish(p: Poll, status: number, body: unknown): void {
    if (p.done) return;
    end(p);
    sendJson(p.res, status, body);
  }

  /** The poll is no longer in flight (answered or abandoned by its client). */
  function end(p: Poll): void {
    p.done = true;
    if (p.wait) clearTimeout(p.wait.timer);
    p.wait = null;
    p.detach();
    const i = live.indexOf(p);
    if (i >= 0) live.splice(i, 1);
    tracker.leave(performance.now());
  }

  /** Ends every poll older than `p` with 409, as Telegram does; runs after pending I/O so hung-up clients are gone. */
  function endOlder(p: Poll): void {
    for (const old of live.filter((q) => q.seq < p.seq)) {
      if (old.done) continue;
      if (clientGone(old.res)) {
        end(old); // hung up, even if its socket has not reported 'close' yet: not a conflict
        continue;
      }
      tracker.conflict();
      finish(old, 409, { ok: false, error_code: 409, description: CONFLICT });
    }
  }

  async function getUpdates(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const header = req.headers['x-poller-id'];
    const pollerId = typeof header === 'string' && header.length > 0 ? header.slice(0, 128) : null;
    const socket = req.socket;
    const gone = () => {
      if (!p.done) end(p);
    };
    const p: Poll = {
      seq: ++seq,
      res,
      pollerId,
      done: false,
      wait: null,
      detach: () => {
        socket.off('end', gone);
        socket.off('close', gone);
      },
    };
    tracker.arrive(performance.now(), pollerId);
    live.push(p);
    // A poll stops being in flight when its client hangs up: the socket's end (FIN) is the earliest sign,
    // well before the server's own 'close' bookkeeping runs.
    socket.on('end', gone);
    socket.on('close', gone);
    res.on('close', gone);
    // The new request and the old client's hang-up can land in one event-loop turn: let I/O run first.
    setImmediate(() => setImmediate(() => endOlder(p)));

    const params = parse(GetUpdatesParams, parseParams(url, req.headers['content-type'], await readBody(req)));
    if (p.done) return;
    const from = ledger.applyOffset(params.offset, performance.now());
    const limit = Math.min(100, Math.max(1, params.limit ?? 100));
    const timeoutMs = (params.timeout ?? 0) * 1000;
    const result = ledger.pendingFrom(from, limit);
    if (result.length > 0 || timeoutMs === 0) return finish(p, 200, { ok: true, result });
    const timer = setTimeout(() => finish(p, 200, { ok: true, result: [] }), timeoutMs);
    p.wait = { from, limit, timer };
  }

  async function sendMessage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = parse(SendMessageParams, parseParams(url, req.headers['content-type'], await readBody(req)));
    if (ledger.reply(params.update_id, performance.now()) === 'unknown') {
      throw new BadRequest(400, `Bad Request: update_id ${params.update_id} was never produced`);
    }
    sendJson(res, 200, {
      ok: true,
      result: { message_id: ++botMessageId, date: Math.floor(Date.now() / 1000), chat: { id: params.chat_id }, text: params.text },
    });
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = parseParams(url, req.headers['content-type'], await readBody(req));
    if (url.pathname === '/control/rate') {
      const { rate } = parse(RateBody, body);
      producer.setRate(rate);
      return sendJson(res, 200, { ok: true, result: { rate } });
    }
    const { count } = parse(ProduceBody, body);
    produce(count);
    sendJson(res, 200, { ok: true, result: { count, next_update_id: ledger.nextId } });
  }

  function stats(): PlatformStats {
    const now = performance.now();
    const c = ledger.counts(now);
    const f = tracker.figures();
    const lat = p50p99(c.latencies);
    return {
      produced: c.produced,
      replied: c.replied,
      pending: c.pending,
      lost: c.lost,
      duplicated: c.duplicated,
      conflicts: f.conflicts,
      max_gap_ms: f.max_gap_ms,
      switch_gap_ms: f.switch_gap_ms,
      gaps_ms: f.gaps_ms,
      polls: f.polls,
      pollers: f.pollers,
      confirmed: c.confirmed,
      latency_ms: { p50: roundMs(lat.p50), p99: roundMs(lat.p99) },
      in_flight: f.in_flight,
      rate: producer.current,
    };
  }

  function resetStats(): void {
    const now = performance.now();
    ledger.resetWindow(now);
    tracker.reset(now);
    for (const p of live) tracker.seen(p.pollerId);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://platform.invalid');
    const method = req.method ?? '';
    const bot = BOT_ROUTE.exec(url.pathname);
    if (bot && (method === 'GET' || method === 'POST')) {
      const name = (bot[2] ?? '').toLowerCase();
      if (name === 'getupdates') return getUpdates(req, res, url);
      if (name === 'sendmessage') return sendMessage(req, res, url);
      if (name === 'getme') {
        // Telegram's "who am I": what a gateway calls at start-up, and how green warms its connection.
        await readBody(req);
        return sendJson(res, 200, { ok: true, result: { id: 1, is_bot: true, first_name: 'Fake platform', username: 'fake_platform_bot' } });
      }
      return sendFailure(res, 404, `Not Found: method ${bot[2]} is not served here`);
    }
    if (url.pathname === '/stats' && method === 'GET') return sendJson(res, 200, stats());
    if (url.pathname === '/stats/reset' && method === 'POST') {
      await readBody(req);
      resetStats();
      return sendJson(res, 200, { ok: true, result: true });
    }
    if ((url.pathname === '/control/rate' || url.pathname === '/control/produce') && method === 'POST') return control(req, res, url);
    sendFailure(res, 404, `Not Found: ${method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (e instanceof BadRequest) return fail(res, e.status, e.message);
      if (res.destroyed) return; // the client went away mid-request: nothing to answer
      fail(res, 500, `Internal Server Error: ${(e as Error).message}`);
    });
  });

  /** Answers an error; for a poll this also ends it, so it stops counting as in flight. */
  function fail(res: ServerResponse, status: number, description: string): void {
    const p = live.find((q) => q.res === res);
    if (p) return finish(p, status, { ok: false, error_code: status, description });
    sendFailure(res, status, description);
  }

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
  producer.setRate(opts.rate);
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRate: (r) => producer.setRate(r),
    produce,
    resetStats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        producer.stop();
        for (const p of [...live]) finish(p, 200, { ok: true, result: [] });
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** True when the client of `res` has hung up (its socket is gone or it sent FIN): nobody is waiting for an answer. */
function clientGone(res: ServerResponse): boolean {
  const socket = res.socket;
  return res.destroyed || socket === null || socket.destroyed || socket.readableEnded;
}

/** Parses `value` with `schema`, or throws BadRequest(400) naming the offending field and what was expected. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'parameters';
  throw new BadRequest(400, `Bad Request: ${where}: ${issue?.message ?? 'invalid'}`);
}
