// The reference gateway's adapter for one Telegram-like platform: long-polls getUpdates with an
// offset, answers each update once (checking the shared transcript store first), records it, and
// only then moves the offset past it, so a crash or a handover never loses a confirmed update.
import { performance } from 'node:perf_hooks';
import type { Adapters, WindowStats } from '../../src/peer/adapters.ts';
import type { Cursors } from '../../src/protocol/frames.ts';
import { BASELINE_MAX_REPLIES } from '../../src/protocol/deadlines.ts';
import type { Reply } from '../../src/protocol/health.ts';
import { p50p99, roundMs } from './percentiles.ts';
import { BotApiError, createBotClient } from './platform/client.ts';
import type { TelegramUpdate } from './platform/schemas.ts';
import type { TranscriptStore } from './store.ts';

export type { TelegramUpdate } from './platform/schemas.ts';

/** The platform name used in cursors and store records. */
export const TELEGRAM = 'telegram';

/** What the agent answers an update with; `error` marks a failed run (still answered, counted as an error). */
export interface AgentReply {
  text: string;
  error: boolean;
}

export interface TelegramAdapterOptions {
  baseUrl: string;
  /** Bot token (goes in the URL path; never logged). */
  token?: string;
  store: TranscriptStore;
  /** Long-poll seconds (default 25). */
  pollTimeoutS?: number;
  /** Sent as X-Poller-Id, so the platform can tell blue's polls from green's. */
  pollerId: string;
  agent: (update: TelegramUpdate) => Promise<AgentReply>;
  log?: (msg: string) => void;
}

/** The Adapters of one platform, plus close() to drop its sockets at exit. */
export interface TelegramAdapter extends Adapters {
  /** Stops at once (no drain) and closes the kept-alive sockets. */
  close(): void;
}

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 2000;
const MAX_TEXT = 4096;

/** One start()..pause() stretch of polling. */
interface Run {
  /** pause() was called: finish the batch in hand, then stop. */
  stopping: boolean;
  /** pause() gave up waiting: send nothing more, move no offset. */
  abandoned: boolean;
  poll: AbortController | null;
  wake: (() => void) | null;
  /** Updates answered after pause() was called. */
  drained: number;
  done: Promise<void>;
}

/** Creates the adapter; it does nothing until start(). */
export function createTelegramAdapter(opts: TelegramAdapterOptions): TelegramAdapter {
  const client = createBotClient({ baseUrl: opts.baseUrl, token: opts.token ?? '100000:hermes-demo', pollerId: opts.pollerId });
  const store = opts.store;
  const log = opts.log ?? (() => {});
  const pollTimeoutS = opts.pollTimeoutS ?? 25;
  /** Set by start() with handed-over cursors: re-read the store before the first batch. */
  let reloadBeforeAnswering = false;
  let offset: number | null = null;
  let run: Run | null = null;

  let win = { handled: 0, errors: 0, latencies: [] as number[] };
  let history: Reply[] = [];
  /** When the last getUpdates ended (epoch ms): the pause's paused_at when no poll is in flight. */
  let lastPollEnded: number | null = null;

  /** Counts one reply; `ms` runs from the poll that brought the update to the platform accepting the reply. */
  function account(ms: number, error: boolean): void {
    win.handled++;
    if (error) win.errors++;
    win.latencies.push(ms);
    history.push({ at: Date.now(), latency_ms: ms, error });
    if (history.length > 2 * BASELINE_MAX_REPLIES) history = history.slice(-BASELINE_MAX_REPLIES);
  }

  /** Waits `ms`, or less when pause() or close() wakes the run. */
  function sleep(r: Run, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        r.wake = null;
        resolve();
      }
      r.wake = done;
    });
  }

  /** Answers one update and records it; false when the run was abandoned before the reply went out. */
  async function answer(r: Run, u: TelegramUpdate, receivedAt: number): Promise<boolean> {
    const msg = u.message;
    if (!msg) return true; // not a message: nothing to answer
    let reply: AgentReply;
    try {
      reply = await opts.agent(u);
    } catch (e) {
      reply = { text: `Sorry, that failed: ${(e as Error).message}`, error: true };
    }
    const text = (reply.text === '' ? '(no answer)' : reply.text).slice(0, MAX_TEXT);
    for (let backoff = 0; ; ) {
      if (r.abandoned) return false;
      try {
        await client.sendMessage({ chat_id: msg.chat.id, text, reply_parameters: { message_id: msg.message_id } });
        break;
      } catch (e) {
        if (e instanceof BotApiError && e.status >= 400 && e.status < 500 && e.status !== 409 && e.status !== 429) {
          // The platform will never take this reply: record it, or the offset could never move past it.
          log(`telegram: sendMessage for update ${u.update_id} refused (${e.description}); not retried`);
          reply = { text, error: true };
          break;
        }
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        log(`telegram: sendMessage for update ${u.update_id} failed (${(e as Error).message}); retrying in ${backoff} ms`);
        await sleep(r, backoff);
      }
    }
    // The platform has taken the reply (or refused it for good): the reply latency ends here.
    const latency = performance.now() - receivedAt;
    store.record(TELEGRAM, u.update_id, { pid: process.pid, text });
    account(latency, reply.error);
    if (r.stopping) r.drained++;
    return true;
  }

  /** Answers a batch in order, flushes, and only then moves the offset past it. */
  async function answerBatch(r: Run, updates: TelegramUpdate[], receivedAt: number): Promise<void> {
    if (reloadBeforeAnswering) {
      reloadBeforeAnswering = false;
      store.reload();
    }
    let answered = false;
    try {
      for (const u of updates) {
        if (store.has(TELEGRAM, u.update_id)) continue; // answered already, by this process or the other
        answered = true;
        if (!(await answer(r, u, receivedAt))) return;
      }
    } finally {
      if (answered) store.flush();
    }
    const last = updates[updates.length - 1];
    if (last && !r.abandoned) offset = Math.max(offset ?? 0, last.update_id + 1);
  }

  async function loop(r: Run, onFirstPoll: (at: number) => void): Promise<void> {
    let backoff = 0;
    while (!r.stopping && !r.abandoned) {
      const ctl = new AbortController();
      r.poll = ctl;
      let updates: TelegramUpdate[];
      try {
        updates = await client.getUpdates({ offset, timeout: pollTimeoutS }, ctl.signal, onFirstPoll);
      } catch (e) {
        if (r.stopping || r.abandoned) break; // pause() ended the poll
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        log(`telegram: getUpdates failed (${(e as Error).message}); retrying in ${backoff} ms`);
        await sleep(r, backoff);
        continue;
      } finally {
        r.poll = null;
        lastPollEnded = Date.now();
      }
      backoff = 0;
      if (updates.length === 0) continue;
      try {
        // Even when pause() came during the response, these were delivered to us: answer them.
        await answerBatch(r, updates, performance.now());
      } catch (e) {
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        log(`telegram: answering a batch failed (${(e as Error).message}); polling again from offset ${offset} in ${backoff} ms`);
        await sleep(r, backoff);
      }
    }
  }

  function cursorOf(cursors: Cursors | null): number | null {
    const v = cursors?.[TELEGRAM];
    if (v === undefined) return null;
    if (v.kind !== 'telegram') throw new Error(`cursor "${TELEGRAM}" is a ${v.kind} cursor; this adapter is telegram`);
    return v.offset;
  }

  const cursors = (): Cursors => (offset === null ? {} : { [TELEGRAM]: { kind: 'telegram', offset } });

  function stopRun(r: Run): void {
    r.stopping = true;
    r.poll?.abort();
    r.wake?.();
  }

  return {
    names: () => [TELEGRAM],

    async warm() {
      await client.getMe();
    },

    start(from) {
      if (run) return Promise.reject(new Error('telegram adapter: start() while already polling; pause() first'));
      // The other process may have answered and recorded since we last looked. With cursors handed
      // over, the first poll goes out first and the log is re-read before anything is answered.
      const handed = cursorOf(from);
      if (handed === null) store.reload();
      else reloadBeforeAnswering = true;
      offset = handed ?? store.nextOffset(TELEGRAM);
      return new Promise<number>((resolve, reject) => {
        let sent = false;
        const r: Run = { stopping: false, abandoned: false, poll: null, wake: null, drained: 0, done: Promise.resolve() };
        run = r;
        r.done = loop(r, (at) => {
          if (!sent) resolve(at);
          sent = true;
        }).then(() => {
          if (!sent) reject(new Error('telegram adapter: stopped before its first poll went out'));
        });
      });
    },

    async pause(deadlineMs) {
      const r = run;
      // The dark window starts when the last poll ended: now when one is in flight, else when it came back.
      const pausedAt = r?.poll || lastPollEnded === null ? Date.now() : lastPollEnded;
      if (!r) return { cursors: cursors(), drained: 0, paused_at: pausedAt };
      stopRun(r);
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        r.done.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
      ]);
      clearTimeout(timer);
      if (run === r) run = null;
      if (!finished) {
        r.abandoned = true;
        r.wake?.();
        throw new Error(
          `telegram adapter: the batch being answered did not finish within ${deadlineMs} ms of pause (${r.drained} answered since); ` +
            'its unanswered updates stay unconfirmed for the next poller',
        );
      }
      store.flush();
      return { cursors: cursors(), drained: r.drained, paused_at: pausedAt };
    },

    cursors,

    sample(): WindowStats {
      const { p50, p99 } = p50p99(win.latencies);
      const s = { handled: win.handled, errors: win.errors, latency_p50_ms: roundMs(p50), latency_p99_ms: roundMs(p99) };
      win = { handled: 0, errors: 0, latencies: [] };
      return s;
    },

    replies(): readonly Reply[] {
      return history.slice(-BASELINE_MAX_REPLIES);
    },

    close() {
      if (run) {
        run.abandoned = true;
        stopRun(run);
        run = null;
      }
      client.close();
    },
  };
}
