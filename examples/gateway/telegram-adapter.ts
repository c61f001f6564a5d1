// The reference gateway's Telegram adapter, on grammY's own long-polling loop (`bot.start()`), as a
// real bot runs. grammY keeps its offset inside itself and confirms on stop(); a handover needs the
// offset to be the adapter's: every update below it answered and recorded. So one API transformer
// (grammY's documented hook for changing a call) owns every getUpdates: it sends the adapter's own
// offset, retries errors and conflicts with a backoff pause() can cut short, times the polls, and
// while paused sends nothing (a poll grammY asks for is parked until start() or stop()).
import { performance } from 'node:perf_hooks';
import { Bot, GrammyError, type Context, type Transformer } from 'grammy';
import type { Cursors } from '../../src/protocol/frames.ts';
import { AdapterRun, limiter, nextBackoff, within } from './adapter-run.ts';
import type { Agent, AgentReply, HandoverOrder } from './agent.ts';
import type { PlatformAdapter } from './platform-adapter.ts';
import { replyStats } from './reply-stats.ts';
import type { TranscriptStore } from './store.ts';

/** The default adapter name (the key of its cursor and of its store records). */
export const TELEGRAM = 'telegram';

/** How to build a Telegram adapter. */
export interface TelegramAdapterOptions {
  /** Adapter name (default `telegram`). */
  name?: string;
  /** The Bot API root (grammY's `client.apiRoot`), e.g. `https://api.telegram.org` or the fake's base URL. */
  apiRoot: string;
  /** Bot token (goes in the URL path; never logged). */
  token?: string;
  store: TranscriptStore;
  /** Long-poll seconds (default 25). */
  pollTimeoutS?: number;
  agent: Agent;
  /** How pause() leaves the platform (default break-before-make). */
  order?: HandoverOrder;
  /** Updates of a batch answered at once, in order within a chat (default 8; 1: one after another). */
  concurrency?: number;
  log?: (msg: string) => void;
}

/** A token of Telegram's shape for the demo and the tests (the fake accepts any well-formed token). */
export const DEMO_TELEGRAM_TOKEN = '100000:hermes-demo';

const MAX_TEXT = 4096;
/** How often the store learns the offset (a process that dies resumes from there). */
const POSITION_EVERY_MS = 250;

/**
 * The fetch grammY calls (its documented `client.fetch` option): Node's own. grammY's default,
 * node-fetch, recognises an AbortSignal by its class name, which a minified bundle renames (grammY
 * passes its abort-controller polyfill's signal), so every request failed from dist/. Node's fetch
 * pools connections, so a poll may go out on any of them: polls carry `X-Poller-Id`, the header the
 * fake platform tells pollers apart by (real Telegram ignores it).
 */
function nodeFetch(pollerId: string) {
  return (url: string | URL, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: Pick<AbortSignal, 'aborted' | 'addEventListener'> } = {}) => {
    let signal: AbortSignal | undefined;
    const given = init.signal;
    if (given) {
      const c = new AbortController();
      if (given.aborted) c.abort();
      else given.addEventListener('abort', () => c.abort(), { once: true });
      signal = c.signal;
    }
    const poll = String(url).endsWith('/getUpdates');
    return fetch(url, { method: init.method, headers: { ...init.headers, ...(poll ? { 'x-poller-id': pollerId } : {}) }, body: init.body, signal });
  };
}

/** An error in words: grammY's HttpError says only that the request failed; the cause says why. */
function why(e: unknown): string {
  const cause = (e as { error?: unknown }).error;
  const msg = (e as Error).message ?? String(e);
  return cause instanceof Error ? `${msg} ${cause.message}` : msg;
}
const EMPTY = { ok: true as const, result: [] };

type Mode = 'idle' | 'running' | 'paused' | 'stopping';

/** Adapters made by this process, so each one's poller id is its own. */
let instances = 0;

/** Creates the adapter; it does nothing until warm() or start(). */
export function createTelegramAdapter(opts: TelegramAdapterOptions): PlatformAdapter {
  const name = opts.name ?? TELEGRAM;
  const store = opts.store;
  const log = opts.log ?? (() => {});
  const order = opts.order ?? 'break-before-make';
  const stats = replyStats();
  const bot = new Bot(opts.token ?? DEMO_TELEGRAM_TOKEN, {
    client: { apiRoot: opts.apiRoot.replace(/\/+$/, ''), fetch: nodeFetch(`${name}-${process.pid}-${++instances}`) as never },
  });

  let mode: Mode = 'idle';
  /** The offset handed over: every update below it answered, recorded and flushed. */
  let offset: number | null = null;
  /** Where the batch being answered has got to (recorded, not yet flushed). */
  let pendingOffset: number | null = null;
  let dirty = false;
  let run: AdapterRun | null = null;
  /** bot.start(): resolves when grammY's loop ends. */
  let loop: Promise<void> | null = null;
  let inFlight = false;
  /** When the last getUpdates ended (epoch ms): the pause's paused_at when no poll is in flight. */
  let lastPollEnded: number | null = null;
  let webhookDeleted = false;
  /** start() waiting for its first poll to go out, and how to tell it that none will. */
  let firstPoll: ((at: number) => void) | null = null;
  let noFirstPoll: ((e: unknown) => void) | null = null;
  /** A poll grammY asked for while paused: sent once start() wakes it. */
  let parked: (() => void) | null = null;
  /** pause() waiting for the batch in hand: grammY asks for the next poll once it is answered. */
  const batchWaiters: (() => void)[] = [];
  /** When each update of the batch in hand was read (performance.now()), for the reply latency. */
  const readAt = new Map<number, number>();

  /** A group commit in progress: the cursor moves once it is done. */
  let committing: Promise<void> | null = null;
  /** When the store last learnt the offset. */
  let positionAt = 0;

  /**
   * The batch in hand is answered: its records are written, so the next poll may confirm them (a
   * process that dies now has them in the log); the cursor handed over moves once they are fsynced
   * too, in a group commit (`force`: now, as pause() needs).
   */
  function endOfBatch(force = false): void {
    const upTo = pendingOffset;
    const advance = () => {
      if (upTo === null || (offset !== null && upTo <= offset)) return;
      offset = upTo;
      // The store learns it too (at most every POSITION_EVERY_MS; behind is safe), for a restart without a cursor.
      if (force || performance.now() - positionAt >= POSITION_EVERY_MS) {
        store.recordOffset(name, upTo);
        positionAt = performance.now();
        dirty = true;
      }
    };
    if (force) {
      if (dirty || committing) store.flush();
      dirty = false;
      advance();
      if (dirty) store.flush();
      dirty = false;
    } else if (dirty || committing) {
      dirty = false;
      const c = store.flushSoon().then(advance, (e: unknown) => log(`${name}: flushing the store failed: ${(e as Error).message}`));
      committing = c.finally(() => {
        if (committing === c) committing = null;
      });
    } else advance();
    for (const w of batchWaiters.splice(0)) w();
  }

  /** grammY passes its abort-controller package's signal: only `aborted` and the listeners are used. */
  type Signal = Pick<AbortSignal, 'aborted' | 'addEventListener' | 'removeEventListener'> & { reason?: unknown };

  function park(signal: Signal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        parked = null;
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      parked = () => {
        parked = null;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }

  const transformer: Transformer = async (prev, method, payload, signal) => {
    if (method === 'deleteWebhook' && webhookDeleted) return { ok: true, result: true } as never;
    if (method !== 'getUpdates') {
      const r = await prev(method, payload, signal);
      if (method === 'deleteWebhook' && r.ok) webhookDeleted = true;
      return r;
    }
    // grammY asks for the next batch only once the one in hand is answered.
    endOfBatch();
    for (let backoff = 0; ; ) {
      // bot.stop()'s own confirming poll: confirming is the next poller's job, from the offset handed to it.
      if (mode === 'stopping') return EMPTY as never;
      if (mode !== 'running') {
        await park(signal);
        continue;
      }
      const r = run;
      // Past what is recorded (written to the log), which a flush soon makes durable: see endOfBatch().
      const from = pendingOffset ?? offset;
      const p = from === null ? payload : { ...(payload as object), offset: from };
      inFlight = true;
      firstPoll?.(Date.now());
      firstPoll = noFirstPoll = null;
      let res;
      try {
        res = await prev(method, p as typeof payload, signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        backoff = nextBackoff(backoff);
        log(`${name}: getUpdates failed (${why(e)}); retrying in ${backoff} ms`);
        await r?.sleep(backoff);
        continue;
      } finally {
        inFlight = false;
        lastPollEnded = Date.now();
      }
      if (res.ok) {
        // Delivered to a paused adapter: not answered, and not confirmed, so the next poller gets them.
        if (mode !== 'running') return EMPTY as never;
        const t = performance.now();
        const ids = (res.result as { update_id: number }[]).map((u) => u.update_id);
        for (const id of ids) readAt.set(id, t);
        batch = { ids, done: new Set(), all: [], chats: new Map() };
        return res;
      }
      if (mode !== 'running' && res.error_code === 409) {
        log(`${name}: the paused poll was ended by the next poller (409): taken over`);
        continue;
      }
      if (res.error_code === 401) return res; // a bad token: grammY stops, start() fails
      const wait = res.error_code === 429 ? (res.parameters?.retry_after ?? 1) * 1000 : (backoff = nextBackoff(backoff));
      log(`${name}: getUpdates answered ${res.error_code} (${res.description}); retrying in ${wait} ms`);
      await r?.sleep(wait);
    }
  };
  bot.api.config.use(transformer);
  bot.catch((e) => log(`${name}: answering update ${e.ctx.update.update_id} failed: ${(e.error as Error)?.message ?? String(e.error)}`));

  /** Sends the reply, retrying what may succeed later; false when the run was abandoned first. */
  async function send(ctx: Context, r: AdapterRun, reply: AgentReply): Promise<AgentReply | null> {
    const msg = ctx.message!;
    const text = (reply.text === '' ? '(no answer)' : reply.text).slice(0, MAX_TEXT);
    for (let backoff = 0; ; ) {
      if (r.abandoned) return null;
      try {
        await ctx.reply(text, { reply_parameters: { message_id: msg.message_id } });
        return { text, error: reply.error };
      } catch (e) {
        const code = e instanceof GrammyError ? e.error_code : 0;
        if (code >= 400 && code < 500 && code !== 409 && code !== 429) {
          // The platform will never take this reply: record it, or the offset could never move past it.
          log(`${name}: sendMessage for update ${ctx.update.update_id} refused (${(e as GrammyError).description}); not retried`);
          return { text, error: true };
        }
        const wait = code === 429 ? ((e as GrammyError).parameters.retry_after ?? 1) * 1000 : (backoff = nextBackoff(backoff));
        log(`${name}: sendMessage for update ${ctx.update.update_id} failed (${why(e)}); retrying in ${wait} ms`);
        await r.sleep(wait);
      }
    }
  }

  /** Answers one update and records it; false when the run was abandoned first (it stays unanswered). */
  async function answer(ctx: Context, r: AdapterRun): Promise<boolean> {
    const id = ctx.update.update_id;
    const msg = ctx.message;
    if (r.abandoned) return false;
    if (msg && !store.has(name, id)) {
      let reply: AgentReply;
      try {
        reply = await opts.agent({ adapter: name, id, text: msg.text ?? '' });
      } catch (e) {
        reply = { text: `Sorry, that failed: ${(e as Error).message}`, error: true };
      }
      const sent = await send(ctx, r, reply);
      if (!sent) return false;
      // The platform has taken the reply (or refused it for good): the reply latency ends here.
      const latency = performance.now() - (readAt.get(id) ?? performance.now());
      store.record(name, id, { pid: process.pid, text: sent.text });
      dirty = true;
      stats.account(latency, sent.error);
      if (mode !== 'running') r.drained++;
    }
    readAt.delete(id);
    return true;
  }

  /**
   * The batch grammY is handling. grammY hands its updates to the middleware one by one and polls
   * again once the last returns; answering them one after another cannot keep up with 100 updates/s
   * on a busy host (each waits a round trip), so the middleware starts each answer (in order within
   * a chat, at most `concurrency` at once) and the last update's call returns only once the whole
   * batch is answered and recorded.
   */
  const slot = limiter(opts.concurrency ?? 8);
  let batch: { ids: number[]; done: Set<number>; all: Promise<boolean>[]; chats: Map<number, Promise<boolean>> } | null = null;

  bot.use(async (ctx) => {
    const r = run;
    if (!r || r.abandoned) return;
    const id = ctx.update.update_id;
    const b = batch?.ids.includes(id) ? batch : null;
    if (!b) {
      if (await answer(ctx, r)) pendingOffset = id + 1;
      return;
    }
    const chat = ctx.chat?.id ?? 0;
    const p = (b.chats.get(chat) ?? Promise.resolve(true)).then(() => slot(() => answer(ctx, r)));
    b.chats.set(chat, p);
    b.all.push(
      p.then((ok) => {
        if (!ok) return false;
        // The cursor moves over the answered run from the batch's start, never past a gap.
        b.done.add(id);
        while (b.ids.length > 0 && b.done.has(b.ids[0]!)) pendingOffset = b.ids.shift()! + 1;
        return true;
      }),
    );
    if (id === b.ids[b.ids.length - 1]) await Promise.all(b.all);
  });

  /**
   * What bot.start() would do first (getMe, deleteWebhook), with this adapter's backoff and logs and
   * cut short by pause(): grammY's own retries there neither log nor stop. Resolves false when stopped.
   */
  async function prepare(r: AdapterRun | null): Promise<boolean> {
    // grammY types its signals with the abort-controller package; node-fetch takes the native one.
    const signal = r?.signal as Parameters<typeof bot.api.getMe>[0];
    for (let backoff = 0; ; ) {
      if (r && (r !== run || mode !== 'running')) return false;
      try {
        if (!bot.isInited()) bot.botInfo = await bot.api.getMe(signal);
        if (!webhookDeleted) await bot.api.deleteWebhook(undefined, signal);
        return true;
      } catch (e) {
        if (!r || signal?.aborted || (e instanceof GrammyError && e.error_code === 401)) throw e;
        backoff = nextBackoff(backoff);
        log(`${name}: ${bot.isInited() ? 'deleteWebhook' : 'getMe'} failed (${why(e)}); retrying in ${backoff} ms`);
        await r.sleep(backoff);
      }
    }
  }

  function cursorOf(cursors: Cursors | null): number | null {
    const v = cursors?.[name];
    if (v === undefined) return null;
    if (v.kind !== 'telegram') throw new Error(`cursor "${name}" is a ${v.kind} cursor; this adapter is telegram`);
    return v.offset;
  }

  const cursors = (): Cursors => (offset === null ? {} : { [name]: { kind: 'telegram', offset } });

  return {
    name,
    kind: 'telegram',
    names: () => [name],

    async warm() {
      await prepare(null);
    },

    async start(from) {
      if (mode === 'running' || mode === 'stopping') throw new Error(`${name} adapter: start() while polling; pause() first`);
      const handed = cursorOf(from);
      // grammY still finishing a loop that was told to stop (an abandoned drain): let it end first.
      if (loop && !bot.isRunning() && !parked) await loop;
      if (handed === null) store.reload(); // the other process may have answered since we last looked
      offset = handed ?? store.nextOffset(name);
      pendingOffset = offset;
      readAt.clear();
      run = new AdapterRun();
      mode = 'running';
      const r = run;
      return new Promise<number>((resolve, reject) => {
        // A paused poll still held (make-before-break, never taken over) carries on as this run's poll.
        if (inFlight) return resolve(Date.now());
        firstPoll = resolve;
        noFirstPoll = (e) => {
          firstPoll = noFirstPoll = null;
          if (run === r && mode === 'running') mode = 'idle';
          reject(e);
        };
        if (parked) return parked();
        if (loop) return; // grammY is between batches: its next poll is this run's first
        void prepare(r).then(
          (ready) => {
            if (!ready) return noFirstPoll?.(new Error(`${name} adapter: stopped before its first poll went out`));
            loop = bot.start({ timeout: opts.pollTimeoutS ?? 25, allowed_updates: ['message'] }).then(
              () => {
                loop = null;
                noFirstPoll?.(new Error(`${name} adapter: stopped before its first poll went out`));
              },
              (e: unknown) => {
                loop = null;
                log(`${name}: polling stopped: ${(e as Error).message}`);
                noFirstPoll?.(e);
              },
            );
          },
          (e: unknown) => noFirstPoll?.(e),
        );
      });
    },

    async pause(deadlineMs, opts = {}) {
      const r = run;
      // The dark window starts when the last poll ended: now when one is in flight, else when it came back.
      const pausedAt = inFlight || lastPollEnded === null ? Date.now() : lastPollEnded;
      if (!r || mode !== 'running') return { cursors: cursors(), drained: 0, paused_at: pausedAt };
      let done: Promise<unknown>;
      // A final pause (green handing back) holds no poll for anyone: it is leaving.
      if (order === 'break-before-make' || !loop || opts.final === true) {
        // End the poll in flight (grammY's stop() aborts it); the batch in hand is answered; then grammY's loop ends.
        mode = 'stopping';
        r.stop();
        done = Promise.all([bot.stop().catch(() => undefined), loop]);
      } else {
        // Keep the poll in flight until the next poller's replaces it (409); send no other.
        mode = 'paused';
        done = inFlight || parked ? Promise.resolve() : new Promise<void>((resolve) => batchWaiters.push(resolve));
      }
      const finished = await within(done, deadlineMs);
      if (mode === 'stopping') mode = 'idle';
      if (!finished) {
        r.abandon();
        throw new Error(
          `${name} adapter: the batch being answered did not finish within ${deadlineMs} ms of pause (${r.drained} answered since); ` +
            'its unanswered updates stay unconfirmed for the next poller',
        );
      }
      endOfBatch(true);
      return { cursors: cursors(), drained: r.drained, paused_at: pausedAt };
    },

    cursors,
    sample: () => stats.sample(),
    replies: () => stats.replies(),

    async close() {
      run?.abandon();
      mode = 'stopping';
      if (loop) await Promise.all([bot.stop().catch(() => undefined), loop]);
      mode = 'idle';
    },
  };
}
