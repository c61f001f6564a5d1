// The fake Discord Gateway (v10, JSON) on websockets from `ws`: HELLO, heartbeats and zombie closes,
// IDENTIFY -> READY, RESUME with replay -> RESUMED, INVALID_SESSION, close codes, and the faults the
// fault matrix needs (drop, expire, reconnect, invalid next resume, reconnect storm).
import { performance } from 'node:perf_hooks';
import type { ApplicationFlags, GatewayReadyDispatchData } from 'discord-api-types/v10';
import { WebSocket } from 'ws';
import type { GapTracker } from './gap-tracker.ts';
import { Close, ClientPayload, DISCORD_TOKEN_SHAPE, INTENTS_LIMIT, IdentifyData, Intent, MAX_CLIENT_PAYLOAD, Op, ResumeData } from './discord-types.ts';
import type { SessionBook, Session } from './discord-sessions.ts';
import { discordBot, type DiscordWorld } from './discord-world.ts';
import type { TakeoverJudge } from './takeovers.ts';

/** What the gateway shares with the rest of the fake Discord. */
export interface GatewayContext {
  sessions: SessionBook;
  world: DiscordWorld;
  gaps: GapTracker;
  judge: TakeoverJudge;
  heartbeatMs: number;
  resumeWindowMs: number;
  takeoverCloseCode: number;
  /** The session-specific URL READY names for resuming. */
  resumeUrl(): string;
  /** A session went live on a connection (READY or RESUMED). */
  onLive(s: Session): void;
  /** A member's message (book index) was sent on a live connection. */
  onDelivered(bookIndex: number): void;
}

/** The gateway's own counters (all time; the stats window subtracts its start). */
export interface GatewayCounters {
  connections: number;
  identifies: number;
  resumes: number;
  invalid_sessions: number;
  zombies: number;
  replayed: number;
  /** Connections the platform dropped without a close frame (drop, storm). */
  dropped: number;
}

/** What a session's fault targets: one session, or every one. */
export type SessionFilter = { session_id?: string };

interface Conn {
  id: number;
  ws: WebSocket;
  session: Session | null;
  /** Counted as a listener (READY or RESUMED sent, not closed). */
  live: boolean;
  /** The platform closed it (its session's fate is already decided). */
  closing: boolean;
  zombie: NodeJS.Timeout | null;
}

/** The websocket side of the fake Discord. */
export class Gateway {
  readonly counters: GatewayCounters = { connections: 0, identifies: 0, resumes: 0, invalid_sessions: 0, zombies: 0, replayed: 0, dropped: 0 };
  private readonly conns = new Map<number, Conn>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextConn = 0;
  private invalidateNext = 0;
  private readonly zombieAfterMs: number;

  constructor(private readonly ctx: GatewayContext) {
    this.zombieAfterMs = ctx.heartbeatMs + Math.max(ctx.heartbeatMs / 2, 1000);
  }

  /** Takes a new websocket from `url` (its query names the version and encoding). */
  accept(ws: WebSocket, url: URL): void {
    const conn: Conn = { id: ++this.nextConn, ws, session: null, live: false, closing: false, zombie: null };
    this.conns.set(conn.id, conn);
    this.counters.connections++;
    ws.on('message', (data, isBinary) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', () => {}); // a broken socket closes; 'close' decides the session's fate
    const v = url.searchParams.get('v');
    const encoding = url.searchParams.get('encoding');
    if (v !== null && v !== '10') return this.close(conn, Close.InvalidAPIVersion, `gateway version ${v.slice(0, 20)} is not served; use v=10`, 'detach');
    if (encoding !== null && encoding !== 'json') return this.close(conn, Close.DecodeError, `encoding ${encoding.slice(0, 20)} is not served by this fake; use encoding=json`, 'detach');
    this.send(conn, { op: Op.Hello, d: { heartbeat_interval: this.ctx.heartbeatMs }, s: null, t: null });
    this.armZombie(conn);
  }

  /** Sends world message `index` as MESSAGE_CREATE to every session that gets it (live ones now, the rest on RESUME). */
  deliver(index: number, now: number): void {
    const cache = new Map<boolean, string>();
    for (const { session, seq } of this.ctx.sessions.fanOut(index, now)) {
      const conn = session.conn !== null ? this.conns.get(session.conn) : undefined;
      if (conn?.live) this.sendDispatch(conn, session, seq, index, cache);
    }
  }

  /** Closes every live connection of the targeted sessions without a close frame; the sessions stay resumable. */
  drop(f: SessionFilter): number {
    let n = 0;
    for (const c of [...this.conns.values()]) {
      if (!c.session || !matches(c.session, f)) continue;
      c.closing = true;
      this.unbind(c, 'detach');
      c.ws.terminate();
      n++;
    }
    this.counters.dropped += n;
    return n;
  }

  /** Invalidates the targeted sessions now; a live one is told so with INVALID_SESSION (d: false) on its connection. */
  expire(f: SessionFilter): number {
    let n = 0;
    for (const s of this.ctx.sessions.all()) {
      if (!matches(s, f)) continue;
      this.end(s);
      n++;
    }
    return n;
  }

  /** Invalidates `s`; the connection it is live on, if any, gets INVALID_SESSION (d: false) and nothing more. */
  private end(s: Session): void {
    const conn = s.conn !== null ? this.conns.get(s.conn) : undefined;
    if (conn) {
      this.unbind(conn, 'invalidate');
      this.invalidSession(conn);
    } else this.invalidate(s, performance.now());
  }

  /** Sends RECONNECT (op 7) on the targeted live connections, and closes them (4000) a second later if they have not gone. */
  reconnect(f: SessionFilter): number {
    let n = 0;
    for (const c of this.conns.values()) {
      if (!c.live || !c.session || !matches(c.session, f)) continue;
      this.send(c, { op: Op.Reconnect, d: null, s: null, t: null });
      this.later(1000, () => {
        if (this.conns.has(c.id)) this.close(c, Close.UnknownError, 'reconnect requested', 'detach');
      });
      n++;
    }
    return n;
  }

  /** The next `count` RESUMEs are answered INVALID_SESSION (d: false), their sessions invalidated. */
  invalidateNextResumes(count: number): void {
    this.invalidateNext += count;
  }

  /** Drops every live connection `count` times, `everyMs` apart (the first at once). */
  storm(count: number, everyMs: number): void {
    const tick = (left: number) => {
      this.drop({});
      if (left > 1) this.later(everyMs, () => tick(left - 1));
    };
    tick(count);
  }

  /** Sessions as the control API lists them. */
  describe(): { session_id: string; seq: number; first_seq: number; live: boolean }[] {
    return this.ctx.sessions.all().map((s) => ({ session_id: s.id, seq: s.seq, first_seq: s.firstSeq, live: s.conn !== null }));
  }

  /** Ends every connection and timer. */
  shutdown(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.expiries.values()) clearTimeout(t);
    this.expiries.clear();
    for (const c of this.conns.values()) {
      c.closing = true;
      if (c.zombie) clearTimeout(c.zombie);
      c.ws.terminate();
    }
    this.conns.clear();
  }

  private onMessage(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (conn.closing) return;
    if (isBinary) return this.close(conn, Close.DecodeError, 'binary payloads (ETF, compression) are not served by this fake', 'detach');
    if (data.length > MAX_CLIENT_PAYLOAD) return this.close(conn, Close.DecodeError, `payload over ${MAX_CLIENT_PAYLOAD} bytes`, 'detach');
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      return this.close(conn, Close.DecodeError, 'payload is not JSON', 'detach');
    }
    const p = ClientPayload.safeParse(json);
    if (!p.success) return this.close(conn, Close.DecodeError, 'payload must be an object with an integer op', 'detach');
    const { op, d } = p.data;
    switch (op) {
      case Op.Heartbeat:
        this.armZombie(conn);
        return this.send(conn, { op: Op.HeartbeatAck, d: null, s: null, t: null });
      case Op.Identify:
        return this.identify(conn, d);
      case Op.Resume:
        return this.resume(conn, d);
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestGuildMembers:
      case Op.RequestSoundboardSounds:
        if (!conn.session) this.close(conn, Close.NotAuthenticated, 'payload sent before IDENTIFY', 'detach');
        return; // accepted and ignored
      default:
        return this.close(conn, Close.UnknownOpcode, `unknown opcode ${op}`, 'detach');
    }
  }

  private identify(conn: Conn, d: unknown): void {
    if (conn.session) return this.close(conn, Close.AlreadyAuthenticated, 'already authenticated on this connection', 'detach');
    const p = IdentifyData.safeParse(d);
    if (!p.success) return this.close(conn, Close.DecodeError, `invalid IDENTIFY: ${issueOf(p.error)}`, 'detach');
    const token = tokenOf(p.data.token);
    if (!DISCORD_TOKEN_SHAPE.test(token)) return this.close(conn, Close.AuthenticationFailed, 'authentication failed', 'detach');
    const shard = p.data.shard ?? [0, 1];
    if (shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) return this.close(conn, Close.InvalidShard, 'invalid shard', 'detach');
    if (p.data.intents >= INTENTS_LIMIT) return this.close(conn, Close.InvalidIntents, 'invalid intent(s)', 'detach');
    this.counters.identifies++;
    const s = this.ctx.sessions.create(token, p.data.intents, shard);
    s.conn = conn.id;
    conn.session = s;
    const bot = discordBot(token);
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: bot,
      guilds: [{ id: this.ctx.world.guildId, unavailable: true }],
      session_id: s.id,
      resume_gateway_url: this.ctx.resumeUrl(),
      shard: [shard[0], shard[1]],
      application: { id: bot.id, flags: 0 as ApplicationFlags, flags_new: '0' },
    };
    this.send(conn, { op: Op.Dispatch, t: 'READY', s: s.seq, d: ready });
    this.goLive(conn, false, s);
  }

  private resume(conn: Conn, d: unknown): void {
    if (conn.session) return this.close(conn, Close.AlreadyAuthenticated, 'already authenticated on this connection', 'detach');
    const p = ResumeData.safeParse(d);
    if (!p.success) return this.close(conn, Close.DecodeError, `invalid RESUME: ${issueOf(p.error)}`, 'detach');
    const now = performance.now();
    const s = this.ctx.sessions.get(p.data.session_id);
    if (this.invalidateNext > 0) {
      this.invalidateNext--;
      if (s) this.end(s);
      return this.invalidSession(conn);
    }
    if (!s || s.token !== tokenOf(p.data.token)) return this.invalidSession(conn);
    const replay = this.ctx.sessions.after(s, p.data.seq);
    if (replay === null) return this.close(conn, Close.InvalidSeq, `invalid seq ${p.data.seq}; this session is at ${s.seq}`, 'detach');
    const old = s.conn !== null ? this.conns.get(s.conn) : undefined;
    if (old) old.session = null;
    this.clearExpiry(s);
    s.conn = conn.id;
    conn.session = s;
    for (const r of replay) this.sendDispatch(conn, s, r.seq, r.index, new Map());
    this.counters.replayed += replay.length;
    this.counters.resumes++;
    this.send(conn, { op: Op.Dispatch, t: 'RESUMED', s: this.ctx.sessions.marker(s), d: null });
    this.goLive(conn, true, s);
    if (old) {
      // The newer connection is live before the older one leaves: a takeover leaves no gap.
      this.ctx.judge.ended(now, `connection ${old.id}`, `connection ${conn.id}`);
      this.close(old, this.ctx.takeoverCloseCode, 'session resumed on another connection', 'none');
    }
  }

  private goLive(conn: Conn, resumed: boolean, s: Session): void {
    conn.live = true;
    this.ctx.gaps.arrive(performance.now(), resumed);
    this.ctx.onLive(s);
  }

  private invalidSession(conn: Conn): void {
    this.counters.invalid_sessions++;
    this.send(conn, { op: Op.InvalidSession, d: false, s: null, t: null });
  }

  /** Sends world message `index` as dispatch `seq` of `s`; `cache` holds this message's renderings (with and without content). */
  private sendDispatch(conn: Conn, s: Session, seq: number, index: number, cache: Map<boolean, string>): void {
    const m = this.ctx.world.messages[index];
    if (!m) return;
    // Content needs MESSAGE_CONTENT, except in the bot's own messages.
    const withContent = (s.intents & Intent.MessageContent) !== 0 || m.author < 0;
    let d = cache.get(withContent);
    if (d === undefined) cache.set(withContent, (d = JSON.stringify(this.ctx.world.dispatch(index, discordBot(s.token), withContent))));
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(`{"op":0,"t":"MESSAGE_CREATE","s":${seq},"d":${d}}`);
    if (m.bookIndex !== null) this.ctx.onDelivered(m.bookIndex);
  }

  private onClose(conn: Conn, code: number): void {
    if (conn.zombie) clearTimeout(conn.zombie);
    this.conns.delete(conn.id);
    if (conn.closing) return;
    // Closing with 1000 or 1001 ends the session; any other code (or none) leaves it resumable.
    this.unbind(conn, code === 1000 || code === 1001 ? 'invalidate' : 'detach');
  }

  /** The platform closes `conn` with `code`; `fate` is what happens to the session live on it. */
  private close(conn: Conn, code: number, reason: string, fate: 'detach' | 'invalidate' | 'none'): void {
    if (conn.closing) return;
    conn.closing = true;
    if (conn.zombie) clearTimeout(conn.zombie);
    this.unbind(conn, fate);
    conn.ws.close(code, reason.slice(0, 120));
  }

  /** `conn` stops listening; its session (when still live on it) is detached, invalidated, or left as it is. */
  private unbind(conn: Conn, fate: 'detach' | 'invalidate' | 'none'): void {
    const now = performance.now();
    if (conn.live) {
      conn.live = false;
      this.ctx.gaps.leave(now);
    }
    const s = conn.session;
    conn.session = null;
    if (!s || s.conn !== conn.id) return;
    s.conn = null;
    if (fate === 'invalidate') this.invalidate(s, now);
    else if (fate === 'detach') this.detach(s);
  }

  /** Keeps `s` resumable for the resume window, then invalidates it. */
  private detach(s: Session): void {
    this.clearExpiry(s);
    const t = setTimeout(() => {
      this.expiries.delete(s.id);
      if (s.conn === null) this.invalidate(s, performance.now());
    }, this.ctx.resumeWindowMs);
    t.unref();
    this.expiries.set(s.id, t);
  }

  private invalidate(s: Session, now: number): void {
    this.clearExpiry(s);
    this.ctx.sessions.invalidate(s, now);
  }

  private clearExpiry(s: Session): void {
    const t = this.expiries.get(s.id);
    if (t) clearTimeout(t);
    this.expiries.delete(s.id);
  }

  /** (Re)starts the zombie clock: no heartbeat within it closes the connection (4009), the session stays resumable. */
  private armZombie(conn: Conn): void {
    if (conn.zombie) clearTimeout(conn.zombie);
    conn.zombie = setTimeout(() => {
      this.counters.zombies++;
      this.close(conn, Close.SessionTimedOut, 'no heartbeat in time', 'detach');
    }, this.zombieAfterMs);
    conn.zombie.unref();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private send(conn: Conn, payload: unknown): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(payload));
  }
}

/** The token IDENTIFY and RESUME carry, without the "Bot " prefix some clients add. */
function tokenOf(raw: string): string {
  return raw.startsWith('Bot ') ? raw.slice(4) : raw;
}

function matches(s: Session, f: SessionFilter): boolean {
  return f.session_id === undefined || f.session_id === s.id;
}

function issueOf(e: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const i = e.issues[0];
  return i ? `${i.path.map(String).join('.') || 'd'}: ${i.message}` : 'invalid';
}

