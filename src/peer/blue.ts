import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { DEFAULT_DEADLINES } from '../protocol/deadlines.ts';
import type { Decoded } from '../protocol/framing.ts';
import type { Frame, Outgoing, Phase, VerdictRecord } from '../protocol/frames.ts';
import { initialState, step, view, type BlueEffect, type BlueEvent, type BlueState } from '../protocol/machine.ts';
import type { Adapters } from './adapters.ts';
import { FrameConn } from './conn.ts';
import { ensureToken, writeVerdict } from './files.ts';
import { listenAt } from './listen.ts';
import { realOs, waitGone, type PeerOs } from './os.ts';

export interface BlueOptions {
  socketPath: string;
  /** HERMES_HOME: verdict files go to run/handoffs/ under it. */
  home: string;
  release: string;
  runtime: string;
  store: { path: string; schema: number };
  adapters: Adapters;
  /** Called once after HANDOFF_COMPLETE was sent: the application stops and exits. */
  onComplete: () => void;
  /** True when green takes the socket over from a blue (no check for a live listener). */
  takeover?: boolean;
  /** The verdict to report as the last one (a green that took over passes its handoff's). */
  lastVerdict?: VerdictRecord | null;
  /** Called after blue took the socket back from a green that died after COMPLETE (e.g. to rewrite gateway.pid). */
  onReclaim?: () => void;
  /** Test hook, called before and after the effects of every step that changes phase. */
  onPhase?: (phase: Phase, when: 'before' | 'after') => void;
  os?: PeerOs;
  log?: (msg: string) => void;
  maxConnections?: number;
  helloMs?: number;
  tickMs?: number;
}

export interface BlueHandle {
  /** The machine's current state (read-only snapshot). */
  state(): BlueState;
  /** The token clients must present. */
  readonly token: string;
  /** Stops listening and closes every connection; does not touch the adapters. */
  close(): Promise<void>;
}

interface Client {
  conn: FrameConn;
  role: 'none' | 'observer' | 'green';
  subscribed: boolean;
  helloTimer: NodeJS.Timeout | null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** How long blue keeps reading a dead green's still-open connection before it judges by the pid alone. */
const DEAD_GREEN_READ_MS = 1_000;

/** Starts blue: listens on the handoff socket and runs the handoff state machine in one loop. */
export async function startBlue(opts: BlueOptions): Promise<BlueHandle> {
  const os = opts.os ?? realOs;
  const log = opts.log ?? (() => {});
  const maxConns = opts.maxConnections ?? 64;
  const helloMs = opts.helloMs ?? DEFAULT_DEADLINES.hello_ms;
  const token = ensureToken(opts.socketPath);
  const tokenDigest = digest(token);
  let state = initialState(
    { pid: os.pid, release: opts.release, runtime: opts.runtime, store_path: opts.store.path, store_schema: opts.store.schema },
    opts.lastVerdict ?? null,
  );
  const clients = new Set<Client>();
  let green: Client | null = null;
  let closed = false;
  let effectChain: Promise<void> = Promise.resolve();
  let killing: Promise<unknown> | null = null;
  // The drain under way, if any: green's exit is judged only once blue knows whether it handed over,
  // and blue polls again only once its adapters have stopped.
  let drainDone: Promise<void> = Promise.resolve();
  // Green's connection closed and its close is being judged (green_closed not dispatched yet).
  let judgingClose = false;

  const dispatch = (ev: BlueEvent, sender: Client | null): void => {
    if (closed) return;
    const before = state.phase;
    const r = step(state, ev);
    state = r.state;
    const changed = state.phase !== before;
    if (changed) opts.onPhase?.(state.phase, 'before');
    const effects = r.effects;
    // Effects of one step run in order; steps' effects never interleave.
    effectChain = effectChain.then(() => runEffects(effects, sender)).catch((e) => log(`blue: effect failed: ${(e as Error).message}`));
    if (changed) effectChain = effectChain.then(() => opts.onPhase?.(state.phase, 'after'));
  };

  const runEffects = async (effects: BlueEffect[], sender: Client | null): Promise<void> => {
    for (const fx of effects) {
      // One failing effect (a full disk, a closed socket) must not skip the ones after it.
      try {
        await runEffect(fx, sender);
      } catch (e) {
        log(`blue: ${fx.kind} failed: ${(e as Error).message}`);
      }
    }
  };

  const runEffect = async (fx: BlueEffect, sender: Client | null): Promise<void> => {
    {
      switch (fx.kind) {
        case 'reply':
          sender?.conn.send(fx.frame);
          break;
        case 'reply_close':
          if (sender) {
            sender.conn.close(fx.frame);
            clients.delete(sender);
          }
          break;
        case 'adopt_green':
          if (sender) sender.role = 'green';
          green = sender;
          break;
        case 'to_green':
          green?.conn.send(fx.frame);
          break;
        case 'close_green':
          if (green) {
            green.conn.close();
            clients.delete(green);
          }
          green = null;
          break;
        case 'drain': {
          const deadline = state.handoff?.deadlines.drain_ms ?? DEFAULT_DEADLINES.drain_ms;
          drainDone = opts.adapters.pause(deadline).then(
            (r) => dispatch({ type: 'drained', now: os.now(), cursors: r.cursors, drained: r.drained, paused_at: r.paused_at }, null),
            (e) => log(`blue: drain failed: ${(e as Error).message}`), // the drain deadline in the machine decides
          );
          break;
        }
        case 'resume':
          if (killing) await killing;
          killing = null;
          // A drain still finishing holds the adapters: start() now would be refused and blue would stay dark.
          await drainDone;
          try {
            await opts.adapters.start(fx.cursors);
            log(`blue: polling again${fx.cursors ? ` from ${JSON.stringify(fx.cursors)}` : ''}`);
          } catch (e) {
            log(`blue: could not resume polling: ${(e as Error).message}`);
          }
          break;
        case 'kill_green':
          os.kill(fx.pid, 'SIGKILL');
          killing = waitGone(os, fx.pid, 2_000);
          break;
        case 'stop_green':
          void stopLater(fx.pid, fx.grace_ms);
          break;
        case 'reclaim_socket': {
          // Green may have renamed its own socket over ours before it died: publish ours again.
          const old = server;
          try {
            server = await listenAt(opts.socketPath, onConnection, true);
            server.on('error', (e) => log(`blue: listener error: ${e.message}`));
            old.close();
            opts.onReclaim?.();
            log(`blue: took the socket back at ${opts.socketPath}`);
          } catch (e) {
            log(`blue: could not take the socket back: ${(e as Error).message}`);
          }
          break;
        }
        case 'record':
          try {
            writeVerdict(opts.home, fx.record);
          } catch (e) {
            fx.record.record_error = `could not write the verdict file: ${(e as Error).message}`;
            log(`blue: ${fx.record.record_error}`);
          }
          break;
        case 'emit':
          for (const c of clients) if (c.subscribed) c.conn.send({ type: 'EVENT', event: fx.event });
          break;
        case 'exit':
          await shutdown();
          opts.onComplete();
          break;
      }
    }
  };

  const stopLater = async (pid: number, graceMs: number) => {
    if (await waitGone(os, pid, graceMs)) return;
    log(`blue: green pid ${pid} still running ${graceMs} ms after rollback: SIGTERM`);
    os.kill(pid, 'SIGTERM');
    if (await waitGone(os, pid, 2_000)) return;
    log(`blue: green pid ${pid} ignored SIGTERM: SIGKILL`);
    os.kill(pid, 'SIGKILL');
  };

  const onFrame = (c: Client, f: Frame): void => {
    const now = os.now();
    if (c.role === 'none') {
      if (f.type !== 'HELLO') return void c.conn.close(errorFrame('unauthorized', 'the first frame must be HELLO', f.type, true));
      const given = digest(f.token);
      if (!timingSafeEqual(given, tokenDigest)) return void c.conn.close(errorFrame('unauthorized', 'wrong token', 'HELLO', true));
      if (c.helloTimer) clearTimeout(c.helloTimer);
      c.helloTimer = null;
      if (f.role === 'observer') {
        c.role = 'observer';
        c.conn.send({ type: 'WELCOME', server_pid: os.pid, phase: state.phase, release: opts.release, runtime: opts.runtime, versions: [1] });
        return;
      }
      if (!f.handoff_id) return void c.conn.close(errorFrame('bad_frame', 'HELLO: a green must give handoff_id', 'HELLO', true));
      return dispatch({ type: 'green_hello', now, handoff_id: f.handoff_id, pid: f.pid }, c);
    }
    if (c.role === 'observer') {
      switch (f.type) {
        case 'RESERVE':
          dispatch({ type: 'baseline', now, baseline: opts.adapters.baseline() }, c);
          return dispatch({ type: 'reserve', now, frame: f }, c);
        case 'STATUS':
          return void c.conn.send(view(state));
        case 'SUBSCRIBE':
          c.subscribed = true;
          return void c.conn.send(view(state));
        case 'ABORT':
          return dispatch({ type: 'abort', now, handoff_id: f.handoff_id, reason: f.reason }, c);
        default:
          return void c.conn.send(errorFrame('wrong_phase', `${f.type} is not an observer frame`, f.type, false));
      }
    }
    if (c !== green) return void c.conn.close(errorFrame('wrong_phase', 'this green is no longer part of a handoff', f.type, true));
    switch (f.type) {
      case 'HANDOFF_ACK':
        return dispatch({ type: 'ack', now, frame: f }, c);
      case 'HANDOFF_CONFIRM':
        return dispatch({ type: 'confirm', now, frame: f }, c);
      case 'HEALTH':
        return dispatch({ type: 'health', now, frame: f }, c);
      case 'HANDOFF_ROLLBACK':
        return dispatch({ type: 'green_rollback', now, frame: f }, c);
      case 'HANDOFF_STOPPED':
        return dispatch({ type: 'stopped', now, frame: f }, c);
      case 'HANDOFF_COMPLETE':
        return dispatch({ type: 'green_complete', now, frame: f }, c);
      default:
        return void c.conn.send(errorFrame('wrong_phase', `${f.type} is not a green frame`, f.type, false));
    }
  };

  const onConnection = (socket: Socket): void => {
    socket.on('error', () => {});
    if (closed || clients.size >= maxConns) {
      socket.end(encodeError('too_many', `more than ${maxConns} connections`));
      setTimeout(() => socket.destroy(), 200).unref();
      return;
    }
    const c: Client = { conn: null as unknown as FrameConn, role: 'none', subscribed: false, helloTimer: null };
    c.conn = new FrameConn(socket, (d: Decoded) => {
      try {
        if (d.ok) onFrame(c, d.frame);
        else if (d.fatal) c.conn.close(errorFrame(d.code, d.message, d.frame, true));
        else c.conn.send(errorFrame(d.code, d.message, d.frame, false));
      } catch (e) {
        // Nothing a client sends may take blue down.
        log(`blue: internal error on a frame: ${(e as Error).message}`);
        c.conn.close(errorFrame('internal', 'internal error', undefined, true));
      }
    });
    c.helloTimer = setTimeout(() => c.conn.close(errorFrame('timeout', `no HELLO within ${helloMs} ms`, undefined, true)), helloMs);
    c.helloTimer.unref();
    clients.add(c);
    void c.conn.closedPromise().then(() => {
      if (c.helloTimer) clearTimeout(c.helloTimer);
      clients.delete(c);
      if (c === green) {
        green = null;
        // Effects already decided (a drain that green's ACK started) run out first, so a green that dies
        // while blue drains is judged the same way however the two race: after the handover.
        // Until then the ticker must not judge green's pid on its own (it would decide before the drain ends).
        judgingClose = true;
        const pending = effectChain.catch(() => undefined).then(() => drainDone);
        void pending.then(async () => {
          // A crash closes the socket a moment before the pid disappears: look briefly, for a truer reason.
          const pid = state.handoff?.green_pid ?? null;
          const alive = pid === null ? true : !(await waitGone(os, pid, 50));
          judgingClose = false;
          dispatch({ type: 'green_closed', now: os.now(), green_alive: alive }, null);
        });
      }
    });
  };

  let server: Server = await listenAt(opts.socketPath, onConnection, opts.takeover ?? false);
  server.on('error', (e) => log(`blue: listener error: ${e.message}`));
  // When green's pid was first seen dead while its connection was still open.
  let deadWhileOpen: number | null = null;
  const ticker = setInterval(() => {
    if (!state.handoff) return;
    const pid = state.handoff.green_pid;
    let alive = judgingClose || pid === null ? true : os.isAlive(pid);
    // A green that wrote its last frames and died may still have them unread here (an ACK, a CONFIRM):
    // the kernel closed its end, so they arrive and the close follows. Judge it on the close, not now;
    // but never wait for long on a connection that some other process may hold open.
    if (!alive && green !== null && !green.conn.isClosed) {
      deadWhileOpen ??= os.now();
      if (os.now() - deadWhileOpen < DEAD_GREEN_READ_MS) alive = true;
    } else {
      deadWhileOpen = null;
    }
    dispatch({ type: 'tick', now: os.now(), green_alive: alive }, null);
  }, opts.tickMs ?? 20);

  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(ticker);
    // close() waits for open connections, so end them first.
    const stopped = new Promise<void>((r) => server.close(() => r()));
    for (const c of clients) c.conn.close();
    clients.clear();
    await stopped;
  };

  log(`blue: listening on ${opts.socketPath} (pid ${os.pid}, release ${opts.release}, runtime ${opts.runtime})`);
  return {
    state: () => state,
    token,
    close: shutdown,
  };
}

function errorFrame(code: Extract<Outgoing, { type: 'ERROR' }>['code'], message: string, frame: string | undefined, fatal: boolean): Outgoing {
  return { type: 'ERROR', code, message, fatal, ...(frame ? { frame: frame.slice(0, 64) } : {}) };
}

function encodeError(code: 'too_many', message: string): string {
  return JSON.stringify({ v: 1, type: 'ERROR', code, message, fatal: true }) + '\n';
}
