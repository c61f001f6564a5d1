// The fake Telegram Bot API: long polls with offsets, answers matched to messages the way a bot names
// them, and the accounting "zero downtime" is measured by (lost, duplicated, conflicts, gaps).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { p50p99, roundMs } from '../percentiles.ts';
import { GapTracker } from './gap-tracker.ts';
import { BadRequest, parse, parseParams, readBody, sendFailure, sendJson } from './http-io.ts';
import { MessageBook } from './message-book.ts';
import { Producer } from './producer.ts';
import type { TelegramStats } from './schemas.ts';
import { TakeoverJudge } from './takeovers.ts';
import { UpdateQueue } from './telegram-queue.ts';
import { CHAT_ACTIONS, DeleteWebhookParams, GetUpdatesParams, SendChatActionParams, SendMessageParams, type TelegramMessage } from './telegram-types.ts';
import { TOKEN_SHAPE, TelegramWorld, botUser, type WorldChat } from './telegram-world.ts';

/** Telegram's own words for the older of two getUpdates. */
export const CONFLICT_DESCRIPTION = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

/** How the fake Telegram behaves (see docs/platforms.md). */
export interface TelegramOptions {
  rate: number;
  graceMs: number;
  conflictWindowMs: number;
}

/** The fake Telegram, mounted by the platform server. */
export interface TelegramFake {
  /** Serves one Bot API request for `/bot<token>/<method>`. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, token: string, method: string): Promise<void>;
  produce(n: number): void;
  setRate(rate: number): void;
  /** The next `count` calls (of `method`, case-insensitive, or any) are answered 429 with `retry_after`. */
  throttle(count: number, retryAfter: number, method?: string): void;
  stats(): TelegramStats;
  /** The update_id of the last update produced (null before the first): a test waits for its answer to be recorded. */
  lastProduced(): number | null;
  /** The window's gaps and latencies, for sums across kinds. */
  samples(): { gaps: readonly number[]; latencies: readonly number[] };
  resetStats(): void;
  /** Stops producing and answers every poll in flight with an empty result. */
  close(): void;
  /** Answers an error to `res`; for a poll this also ends it, so it stops counting as in flight. */
  fail(res: ServerResponse, status: number, description: string): boolean;
}

interface Poll {
  seq: number;
  res: ServerResponse;
  /** X-Poller-Id when sent, else the TCP connection: how pollers are told apart. */
  who: string;
  done: boolean;
  /** Set once the parameters are read and nothing was there to answer with: waiting for an update. */
  wait: { from: number; limit: number; timer: NodeJS.Timeout } | null;
  /** Removes the hang-up listeners from the (possibly kept-alive) socket. */
  detach: () => void;
}

/** Creates the fake Telegram; it produces at `opts.rate` from now. */
export function createTelegram(opts: TelegramOptions): TelegramFake {
  const world = new TelegramWorld();
  const book = new MessageBook(opts.graceMs);
  const queue = new UpdateQueue(book, world);
  const gaps = new GapTracker(performance.now());
  const judge = new TakeoverJudge(opts.conflictWindowMs);
  const connIds = new WeakMap<Socket, number>();
  let nextConn = 0;
  const live: Poll[] = []; // polls in flight, oldest first
  let seq = 0;
  let polls = 0;
  let pollers = new Set<string>();
  let lastPoller: string | null = null;
  let throttled = 0;
  let throttles: { method: string | null; left: number; retryAfter: number }[] = [];
  /** The last allowed_updates a poll sent ([] = the default set, which includes messages). */
  let allowed: string[] = [];

  const producer = new Producer((n) => produce(n));

  function produce(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`produce(n) needs an integer n >= 0, got ${n}`);
    for (let i = 0; i < n; i++) queue.produce(performance.now(), Date.now());
    if (n > 0) wakeNewest();
  }

  const wantsMessages = () => allowed.length === 0 || allowed.includes('message');

  /** Only the newest poll is served: older ones are about to be ended with 409 or are gone. */
  function wakeNewest(): void {
    const p = live[live.length - 1];
    if (!p?.wait || !wantsMessages()) return;
    const ids = queue.pendingFrom(p.wait.from, p.wait.limit);
    if (ids.length > 0) deliver(p, ids);
  }

  function deliver(p: Poll, ids: number[]): void {
    if (p.done) return;
    for (const id of ids) book.delivered(id - 1);
    finish(p, 200, { ok: true, result: ids.map((id) => queue.update(id)) });
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
    gaps.leave(performance.now());
  }

  /** Ends every poll older than `p` with 409, as Telegram does; runs after pending I/O so hung-up clients are gone. */
  function endOlder(p: Poll): void {
    for (const old of live.filter((q) => q.seq < p.seq)) {
      if (old.done) continue;
      if (clientGone(old.res)) {
        end(old); // hung up, even if its socket has not reported 'close' yet: no takeover
        continue;
      }
      judge.ended(performance.now(), old.who, p.who);
      finish(old, 409, { ok: false, error_code: 409, description: CONFLICT_DESCRIPTION });
    }
  }

  function identify(req: IncomingMessage): string {
    const header = req.headers['x-poller-id'];
    if (typeof header === 'string' && header.length > 0) return `poller ${header.slice(0, 128)}`;
    let id = connIds.get(req.socket);
    if (id === undefined) connIds.set(req.socket, (id = ++nextConn));
    return `connection ${id}`;
  }

  async function getUpdates(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const who = identify(req);
    const socket = req.socket;
    const gone = () => {
      if (!p.done) end(p);
    };
    const p: Poll = {
      seq: ++seq,
      res,
      who,
      done: false,
      wait: null,
      detach: () => {
        socket.off('end', gone);
        socket.off('close', gone);
      },
    };
    const now = performance.now();
    judge.seen(now, who);
    gaps.arrive(now, lastPoller !== null && who !== lastPoller);
    lastPoller = who;
    polls++;
    pollers.add(who);
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
    if (params.allowed_updates !== undefined) allowed = params.allowed_updates;
    const from = queue.applyOffset(params.offset, performance.now());
    const limit = Math.min(100, Math.max(1, params.limit ?? 100));
    const timeoutMs = (params.timeout ?? 0) * 1000;
    const ids = wantsMessages() ? queue.pendingFrom(from, limit) : [];
    if (ids.length > 0) return deliver(p, ids);
    if (timeoutMs === 0) return finish(p, 200, { ok: true, result: [] });
    const timer = setTimeout(() => finish(p, 200, { ok: true, result: [] }), timeoutMs);
    p.wait = { from, limit, timer };
  }

  function chatOf(chatId: number | string): WorldChat {
    const c = world.chat(chatId);
    if (!c) throw new BadRequest(400, 'Bad Request: chat not found');
    return c;
  }

  async function sendMessage(req: IncomingMessage, res: ServerResponse, url: URL, token: string): Promise<void> {
    const params = parse(SendMessageParams, parseParams(url, req.headers['content-type'], await readBody(req)));
    const chat = chatOf(params.chat_id);
    if (params.text.trim() === '') throw new BadRequest(400, 'Bad Request: message text is empty');
    if (params.text.length > 4096) throw new BadRequest(400, 'Bad Request: message is too long');
    const rp = params.reply_parameters;
    const refId = rp?.message_id ?? params.reply_to_message_id;
    const withoutReply = rp?.allow_sending_without_reply ?? params.allow_sending_without_reply ?? false;
    const ref = refId === undefined ? null : queue.referenced(rp?.chat_id !== undefined ? chatOf(rp.chat_id) : chat, refId);
    if (refId !== undefined && ref === null && !withoutReply) throw new BadRequest(400, 'Bad Request: message to be replied not found');
    // A reply to one of the bot's own messages answers no user message.
    if (ref?.kind === 'bot') book.replyUnmatched();
    else book.reply(String(chat.chat.id), ref?.kind === 'update' ? ref.updateId - 1 : null, performance.now());
    const replyTo = ref?.kind === 'update' ? queue.message(ref.updateId) : undefined;
    sendSent(res, token, chat, params.text, replyTo);
  }

  function sendSent(res: ServerResponse, token: string, chat: WorldChat, text: string, replyTo: TelegramMessage | undefined): void {
    const sent: TelegramMessage = { message_id: chat.nextMessageId++, from: botUser(token), chat: chat.chat, date: Math.floor(Date.now() / 1000), text };
    if (replyTo) sent.reply_to_message = replyTo;
    sendJson(res, 200, { ok: true, result: sent });
  }

  async function sendChatAction(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = parse(SendChatActionParams, parseParams(url, req.headers['content-type'], await readBody(req)));
    chatOf(params.chat_id);
    if (!CHAT_ACTIONS.includes(params.action)) throw new BadRequest(400, 'Bad Request: wrong parameter action in request');
    sendJson(res, 200, { ok: true, result: true });
  }

  /** The 429 a throttle rule asks for, if one matches `method`. */
  function throttledBy(method: string): number | null {
    const rule = throttles.find((t) => t.method === null || t.method === method);
    if (!rule) return null;
    rule.left--;
    throttles = throttles.filter((t) => t.left > 0);
    throttled++;
    return rule.retryAfter;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, rawToken: string, rawMethod: string): Promise<void> {
    let token: string;
    try {
      token = decodeURIComponent(rawToken);
    } catch {
      token = '';
    }
    if (!TOKEN_SHAPE.test(token)) {
      await readBody(req);
      return sendFailure(res, 401, 'Unauthorized: invalid token specified');
    }
    const method = rawMethod.toLowerCase(); // Bot API method names are case-insensitive
    const retryAfter = throttledBy(method);
    if (retryAfter !== null) {
      await readBody(req);
      return sendFailure(res, 429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
    switch (method) {
      case 'getupdates':
        return getUpdates(req, res, url);
      case 'sendmessage':
        return sendMessage(req, res, url, token);
      case 'sendchataction':
        return sendChatAction(req, res, url);
      case 'getme':
        await readBody(req);
        return sendJson(res, 200, { ok: true, result: botUser(token) });
      case 'deletewebhook': {
        const params = parse(DeleteWebhookParams, parseParams(url, req.headers['content-type'], await readBody(req)));
        if (params.drop_pending_updates) queue.dropPending(performance.now());
        return sendJson(res, 200, { ok: true, result: true, description: 'Webhook is already deleted' });
      }
      case 'getwebhookinfo': {
        await readBody(req);
        const info: Record<string, unknown> = { url: '', has_custom_certificate: false, pending_update_count: queue.unconfirmed };
        if (allowed.length > 0) info.allowed_updates = allowed;
        return sendJson(res, 200, { ok: true, result: info });
      }
      default:
        await readBody(req);
        return sendFailure(res, 404, `Not Found: method ${rawMethod.slice(0, 64)} is not implemented by this fake platform`);
    }
  }

  function stats(): TelegramStats {
    const now = performance.now();
    const c = book.counts(now);
    const g = gaps.figures();
    const j = judge.counts();
    const lat = p50p99(c.latencies);
    return {
      produced: c.produced,
      replied: c.replied,
      pending: c.pending,
      lost: c.lost,
      duplicated: c.duplicated,
      conflicts: j.conflicts,
      takeovers: j.takeovers,
      max_gap_ms: g.max_gap_ms,
      switch_gap_ms: g.switch_gap_ms,
      gaps_ms: g.gaps_ms,
      latency_ms: { p50: roundMs(lat.p50), p99: roundMs(lat.p99) },
      in_flight: g.in_flight,
      rate: producer.current,
      matched: c.matched,
      polls,
      pollers: pollers.size,
      confirmed: queue.confirmed,
      throttled,
    };
  }

  producer.setRate(opts.rate);

  return {
    handle,
    produce,
    setRate: (r) => producer.setRate(r),
    throttle(count, retryAfter, method) {
      throttles.push({ method: method?.toLowerCase() ?? null, left: count, retryAfter });
    },
    stats,
    lastProduced: () => (queue.nextId > 1 ? queue.nextId - 1 : null),
    samples: () => ({ gaps: gaps.allGaps, latencies: book.counts(performance.now()).latencies }),
    resetStats() {
      const now = performance.now();
      book.resetWindow(now);
      queue.resetWindow();
      gaps.reset(now);
      judge.reset();
      polls = 0;
      throttled = 0;
      pollers = new Set(live.map((p) => p.who));
    },
    close() {
      producer.stop();
      for (const p of [...live]) finish(p, 200, { ok: true, result: [] });
    },
    fail(res, status, description) {
      const p = live.find((q) => q.res === res);
      if (!p) return false;
      finish(p, status, { ok: false, error_code: status, description });
      return true;
    },
  };
}

/** True when the client of `res` has hung up (its socket is gone or it sent FIN): nobody is waiting for an answer. */
function clientGone(res: ServerResponse): boolean {
  const socket = res.socket;
  return res.destroyed || socket === null || socket.destroyed || socket.readableEnded;
}
