// The reference gateway's Discord adapter, on @discordjs/ws (the gateway session) and @discordjs/rest
// (the answers), as a real bot runs. The library keeps the session in a store of ours
// (retrieveSessionInfo / updateSessionInfo), which is what carries a session across processes; its
// `sequence` is the last dispatch *received*, so the cursor handed over is the adapter's own count of
// the last dispatch *processed* (answered and recorded, in order), and the next process RESUMEs from
// that, replaying whatever was not yet answered (protocol.md section 12.6).
import { performance } from 'node:perf_hooks';
import { DiscordAPIError, REST } from '@discordjs/rest';
import { WebSocketManager, WebSocketShardEvents, type SessionInfo } from '@discordjs/ws';
import { GatewayDispatchEvents, Routes, type GatewayDispatchPayload } from 'discord-api-types/v10';
import type { Cursors } from '../../src/protocol/frames.ts';
import { formatDuration } from '../../src/protocol/format.ts';
import { AdapterRun, nextBackoff, within } from './adapter-run.ts';
import type { Agent, AgentReply, HandoverOrder } from './agent.ts';
import { replyStats } from './reply-stats.ts';
import type { SessionPosition, TranscriptStore } from './store.ts';
import type { PlatformAdapter } from './platform-adapter.ts';

/** The default adapter name. */
export const DISCORD = 'discord';

/** Guild messages with their content. */
const INTENTS = (1 << 9) | (1 << 15);
const MAX_TEXT = 2000;
/** How often the store learns where the session stands (a process that dies resumes from there). */
const POSITION_EVERY_MS = 250;
/** The close code the adapter leaves a session with when it hands it over: the one @discordjs/ws itself resumes after (not 1000/1001, which end the session). */
export const HANDOVER_CLOSE_CODE = 4200;

/** A Discord bot token of the real shape for the demo and the tests (its first part encodes the bot id 100000000000000001). */
export const DEMO_DISCORD_TOKEN = `${Buffer.from('100000000000000001').toString('base64url')}.hermes.demo-token`;

/** How to build a Discord adapter. */
export interface DiscordAdapterOptions {
  /** Adapter name (default `discord`). */
  name?: string;
  /** The REST API root without the version, e.g. `https://discord.com/api` or the fake's `http://127.0.0.1:PORT/api`. */
  apiRoot: string;
  /** Bot token (never logged). */
  token?: string;
  store: TranscriptStore;
  agent: Agent;
  /** How pause() leaves the platform (default break-before-make). */
  order?: HandoverOrder;
  /** REST requests per second at most (default 50: Discord's global limit, @discordjs/rest's default). */
  requestsPerSecond?: number;
  /** Dispatches processed at once (default 8; 1: one after another). */
  concurrency?: number;
  log?: (msg: string) => void;
}

type Mode = 'idle' | 'running' | 'pausing' | 'paused';

/** Creates the adapter; it does nothing until warm() or start(). */
export function createDiscordAdapter(opts: DiscordAdapterOptions): PlatformAdapter {
  const name = opts.name ?? DISCORD;
  const store = opts.store;
  const log = opts.log ?? (() => {});
  const handoverOrder = opts.order ?? 'break-before-make';
  const token = opts.token ?? DEMO_DISCORD_TOKEN;
  const stats = replyStats();
  const rest = new REST({ api: opts.apiRoot.replace(/\/+$/, ''), version: '10', globalRequestsPerSecond: opts.requestsPerSecond ?? 50 }).setToken(token);

  let mode: Mode = 'idle';
  /** The session as @discordjs/ws stores it (sequence: the last dispatch received). */
  let lib: SessionInfo | null = null;
  /** The session this adapter holds, and the last dispatch processed in it (in order). */
  let session: { id: string; url: string } | null = null;
  let processed = 0;
  /** The cursor's seq: processed, and its answers flushed. */
  let flushedSeq = 0;
  let dirty = false;
  let run: AdapterRun | null = null;
  /**
   * Dispatches are started in order, up to `concurrency` at once (answers are independent; one at a
   * time cannot keep up with 100 messages/s on a busy host); "processed" is the end of the run of
   * finished ones from the start, never a later one.
   */
  let order: { s: number; done: boolean }[] = [];
  const waiting: { payload: GatewayDispatchPayload; at: number; entry: { s: number; done: boolean } }[] = [];
  let active = 0;
  const idleWaiters: (() => void)[] = [];
  /** Our own resumable close: the library clears its session then, which is not the session ending. */
  let closingOurselves = false;
  /** A paused connection the platform closed (the next process's RESUME took the session over). */
  let takenOver = false;
  /** The session handed to start(), until it is live again. */
  let handed: string | null = null;
  /** What happened to a handed session that could not be resumed (for HANDOFF_CONFIRM.notes). */
  let lostHanded: { session: string; readyAt: number | null } | null = null;
  let helloAt: number | null = null;

  /**
   * One WebSocketManager per start(): after a close the library reconnects by itself 500 ms later,
   * and a paused connection the platform closed for the next process must never come back. A
   * retired manager's reconnect waits in retrieveSessionInfo for ever (it never connects), and
   * nothing it reports counts. `spare` is the next one, prepared (GET /gateway/bot done) ahead of time.
   */
  let current: WebSocketManager | null = null;
  let spare: WebSocketManager | null = null;

  function newManager(): WebSocketManager {
    const m: WebSocketManager = new WebSocketManager({
      token,
      intents: INTENTS,
      rest,
      shardCount: 1,
      shardIds: [0],
      // A session taken over stays given away until start() hands one back (a hand-back's close() can
      // flip the mode while the library's reconnect is under way), and an idle adapter holds none.
      retrieveSessionInfo: () => (m === current && !takenOver && mode !== 'idle' ? lib : new Promise<never>(() => {})),
      updateSessionInfo: (_shard, info) => {
        if (m !== current) return;
        if (info === null && !closingOurselves && handed !== null) {
          // The library dropped the session it was asked to resume (INVALID_SESSION, or a close that ends it): it IDENTIFYs next.
          log(`${name}: session ${handed} could not be resumed; identifying afresh`);
          lostHanded = { session: handed, readyAt: null };
          handed = null;
        }
        lib = info;
      },
    });
    m.on(WebSocketShardEvents.Hello, () => {
      if (m === current) helloAt = Date.now();
    });
    m.on(WebSocketShardEvents.Closed, (code) => {
      if (m === current && mode === 'paused' && !closingOurselves) {
        takenOver = true;
        log(`${name}: the paused connection was closed by the platform (${code}): taken over`);
      }
    });
    m.on(WebSocketShardEvents.Error, (e) => {
      if (m === current) log(`${name}: gateway error: ${e.message}`);
    });
    m.on(WebSocketShardEvents.Dispatch, (payload) => {
      // Received once pause() began: not processed, so the cursor stays before it and a RESUME replays it.
      if (m !== current || mode !== 'running') return;
      const entry = { s: payload.s, done: false };
      // A new session: what the old one still has in flight no longer moves this cursor.
      if (payload.t === GatewayDispatchEvents.Ready) order = [];
      order.push(entry);
      waiting.push({ payload, at: performance.now(), entry });
      pump();
    });
    return m;
  }

  /** Prepares the next manager (its GET /gateway/bot), so a start() does not wait for it. */
  async function prepareSpare(): Promise<void> {
    spare ??= newManager();
    await spare.fetchGatewayInformation();
  }

  function pump(): void {
    while (active < (opts.concurrency ?? 8) && waiting.length > 0) {
      const w = waiting.shift()!;
      active++;
      processDispatch(w.payload, w.at)
        .then(
          (ok) => {
            if (!ok) return;
            w.entry.done = true;
            while (order[0]?.done) processed = order.shift()!.s;
          },
          (e: unknown) => log(`${name}: processing dispatch ${w.payload.s} failed: ${(e as Error).message}`),
        )
        .finally(() => {
          active--;
          pump();
          if (active === 0 && waiting.length === 0) {
            settle();
            for (const f of idleWaiters.splice(0)) f();
          }
        });
    }
  }

  /** Resolves once nothing is being processed or waiting to be. */
  const idle = (): Promise<void> => (active === 0 && waiting.length === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r)));

  /** When the session's position was last written to the store. */
  let positionAt = 0;

  /** Nothing queued: make the answers durable, then move the cursor (and, every POSITION_EVERY_MS, the store's position). */
  function settle(force = false): void {
    if (session && processed > flushedSeq && (force || performance.now() - positionAt >= POSITION_EVERY_MS)) {
      // Behind is always safe: a RESUME from an older seq replays what the store then skips.
      store.recordSession(name, { session_id: session.id, seq: processed, resume_gateway_url: session.url });
      positionAt = performance.now();
      dirty = true;
    }
    const upTo = processed;
    const of = session;
    const advance = () => {
      if (session === of) flushedSeq = Math.max(flushedSeq, upTo);
    };
    if (force) {
      if (dirty || committing) store.flush();
      dirty = false;
      advance();
    } else if (dirty || committing) {
      // A group commit: the cursor moves once the records up to it are fsynced.
      dirty = false;
      const c = store.flushSoon().then(advance, (e: unknown) => log(`${name}: flushing the store failed: ${(e as Error).message}`));
      committing = c.finally(() => {
        if (committing === c) committing = null;
      });
    } else advance();
  }

  /** A group commit in progress. */
  let committing: Promise<void> | null = null;

  /** Processes one dispatch; false when the run was abandoned before it was done (it stays unprocessed). */
  async function processDispatch(payload: GatewayDispatchPayload, at: number): Promise<boolean> {
    const r = run;
    if (!r || r.abandoned) return false;
    switch (payload.t) {
      case GatewayDispatchEvents.Ready:
        session = { id: payload.d.session_id, url: payload.d.resume_gateway_url };
        if (lostHanded && lostHanded.readyAt === null) lostHanded.readyAt = Date.now();
        store.recordSession(name, { session_id: session.id, seq: payload.s, resume_gateway_url: session.url });
        dirty = true;
        break;
      case GatewayDispatchEvents.Resumed:
        handed = null;
        if (session) store.recordSession(name, { session_id: session.id, seq: processed, resume_gateway_url: session.url });
        dirty = true;
        break;
      case GatewayDispatchEvents.MessageCreate: {
        const d = payload.d;
        const carriedBy = session; // the session this dispatch came in, whatever happens while it is answered
        if (d.author.bot || !carriedBy || store.has(name, d.id)) break;
        let reply: AgentReply;
        try {
          reply = await opts.agent({ adapter: name, id: d.id, text: d.content });
        } catch (e) {
          reply = { text: `Sorry, that failed: ${(e as Error).message}`, error: true };
        }
        const sent = await send(r, d.channel_id, d.id, reply);
        if (!sent) return false; // abandoned: neither answered nor processed
        store.record(name, d.id, { pid: process.pid, text: sent.text, dispatch: { session_id: carriedBy.id, seq: payload.s } });
        dirty = true;
        stats.account(performance.now() - at, sent.error);
        if (mode !== 'running') r.drained++;
        break;
      }
      default:
        break;
    }
    return true;
  }

  /** Sends the answer, retrying what may succeed later; null when the run was abandoned first. */
  async function send(r: AdapterRun, channel: string, id: string, reply: AgentReply): Promise<AgentReply | null> {
    const text = (reply.text === '' ? '(no answer)' : reply.text).slice(0, MAX_TEXT);
    for (let backoff = 0; ; ) {
      if (r.abandoned) return null;
      try {
        await rest.post(Routes.channelMessages(channel), { body: { content: text, message_reference: { message_id: id, fail_if_not_exists: false } } });
        return { text, error: reply.error };
      } catch (e) {
        if (e instanceof DiscordAPIError && e.status >= 400 && e.status < 500 && e.status !== 429) {
          log(`${name}: the answer to message ${id} was refused (${e.status} ${e.message}); not retried`);
          return { text, error: true };
        }
        backoff = nextBackoff(backoff);
        log(`${name}: answering message ${id} failed (${(e as Error).message}); retrying in ${backoff} ms`);
        await r.sleep(backoff);
      }
    }
  }

  function cursorOf(cursors: Cursors | null): SessionPosition | null {
    const v = cursors?.[name];
    if (v === undefined) return null;
    if (v.kind !== 'discord') throw new Error(`cursor "${name}" is a ${v.kind} cursor; this adapter is discord`);
    return { session_id: v.session_id, seq: v.seq, resume_gateway_url: v.resume_gateway_url };
  }

  const cursors = (): Cursors =>
    session === null ? {} : { [name]: { kind: 'discord', session_id: session.id, seq: flushedSeq, resume_gateway_url: session.url } };

  /** Closes the current connection with a code that keeps the session resumable (no reconnect). */
  async function closeResumably(reason: string): Promise<void> {
    if (!current) return;
    closingOurselves = true;
    try {
      await current.destroy({ code: HANDOVER_CLOSE_CODE, reason });
    } finally {
      closingOurselves = false;
    }
  }

  return {
    name,
    kind: 'discord',
    names: () => [name],

    async warm() {
      // GET /gateway/bot, which connect() needs, so the handover does not wait for it.
      await prepareSpare();
    },

    async start(from) {
      if (mode === 'running' || mode === 'pausing') throw new Error(`${name} adapter: start() while running; pause() first`);
      const given = cursorOf(from);
      // A paused connection still open (make-before-break, never taken over) is closed resumably first:
      // the dispatches it ignored come back with the RESUME.
      await closeResumably('resuming from a cursor');
      const pos = given ?? store.sessionOf(name); // without a cursor: the session this gateway last recorded
      if (pos) {
        session = { id: pos.session_id, url: pos.resume_gateway_url };
        processed = flushedSeq = pos.seq;
        lib = { sessionId: pos.session_id, sequence: pos.seq, resumeURL: pos.resume_gateway_url, shardId: 0, shardCount: 1 };
        handed = pos.session_id;
      } else {
        session = null;
        processed = flushedSeq = 0;
        lib = null;
        handed = null;
      }
      lostHanded = null;
      takenOver = false;
      helloAt = null;
      run = new AdapterRun();
      mode = 'running';
      current = spare ?? newManager();
      spare = null;
      try {
        // Resolves on RESUMED (or, after INVALID_SESSION, on the fresh session's READY).
        await current.connect();
      } catch (e) {
        mode = 'idle';
        await closeResumably('could not start').catch(() => undefined);
        throw e;
      }
      // Set meanwhile by the library's callback (TypeScript cannot see that).
      const lost = lostHanded as { session: string } | null;
      if (lost) log(`${name}: identified afresh after session ${lost.session} could not be resumed`);
      // The RESUME (or IDENTIFY) goes out right after HELLO: the adapter's first poll.
      return helloAt ?? Date.now();
    },

    async pause(deadlineMs, opts = {}) {
      const r = run;
      const pausedAt = Date.now();
      if (!r || mode !== 'running') return { cursors: cursors(), drained: 0, paused_at: pausedAt };
      // Processing stops now: what was received before this moment is finished, anything later is left for the RESUME.
      mode = 'pausing';
      const finished = await within(idle(), deadlineMs);
      if (!finished) {
        r.abandon();
        mode = 'idle';
        throw new Error(`${name} adapter: the dispatches being processed did not finish within ${deadlineMs} ms of pause (${r.drained} answered since); a RESUME replays the rest`);
      }
      settle(true);
      // Keep the connection (heartbeating, ignoring dispatches): make-before-break until the next
      // process's RESUME replaces it; break-before-make until release() (at once unless told to wait).
      mode = 'paused';
      // A final pause (green handing back) closes too: it is leaving, and blue's RESUME must not be a takeover.
      if ((handoverOrder === 'break-before-make' || opts.final === true) && opts.release !== false) await this.release!({ final: opts.final === true });
      // A rollback's start() then finds a manager ready.
      void prepareSpare().catch((e: unknown) => log(`${name}: preparing the next connection failed: ${(e as Error).message}`));
      return { cursors: cursors(), drained: r.drained, paused_at: pausedAt };
    },

    async release(o = {}) {
      if ((handoverOrder !== 'break-before-make' && o.final !== true) || mode !== 'paused') return;
      await closeResumably('handing the session over');
      mode = 'idle';
    },

    handoverNotes(pausedAt?: number) {
      if (!lostHanded) return [];
      const gap = lostHanded.readyAt !== null && pausedAt !== undefined ? `${formatDuration(Math.max(0, lostHanded.readyAt - pausedAt))} after blue paused` : 'after blue paused';
      return [`${name} session ${lostHanded.session} expired before green resumed; re-identified ${gap}: messages sent in between may be missed`];
    },

    cursors,
    sample: () => stats.sample(),
    replies: () => stats.replies(),

    async close() {
      run?.abandon();
      mode = 'idle';
      await closeResumably('closing').catch(() => undefined);
      current = spare = null;
    },
  };
}
