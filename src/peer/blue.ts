import { createHash, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { DEFAULT_DEADLINES } from '../protocol/deadlines.ts';
import { errorFrame } from '../protocol/errors.ts';
import { formatDuration } from '../protocol/format.ts';
import { encodeFrame, type Decoded } from '../protocol/framing.ts';
import type { Frame, Phase, VerdictRecord } from '../protocol/frames.ts';
import { baselineOf } from '../protocol/health.ts';
import { HandoffId } from '../protocol/ids.ts';
import { initialState, step, view, type BlueEffect, type BlueEvent, type BlueState } from '../protocol/machine.ts';
import type { Adapters } from './adapters.ts';
import { FrameConn } from './conn.ts';
import { errorMessage } from '../core/errors.ts';
import { realOs, waitGone, type Cancel, type PeerListener, type PeerOs } from './os.ts';
import { servingPid } from './probe.ts';
import { runStandby, type StandbyHandle } from './standby.ts';
import type { StandbyState } from '../protocol/standby.ts';

export interface BlueOptions {
  socketPath: string;
  /** HERMES_HOME: verdict files go to run/handoffs/ under it. */
  home: string;
  release: string;
  runtime: string;
  store: { path: string; schema: number };
  adapters: Adapters;
  /**
   * Called once when this process is done: the promotion is final and blue stopped listening, or (with an
   * observation window) the window ended without a take-back. The application stops and exits.
   */
  onComplete: () => void;
  /**
   * Called when this listener's standby took the promotion back (HANDOFF_ROLLBACK on the standby's
   * connection): it stopped polling, handed its cursors back and stopped listening. The application
   * exits (status 0: the handoff has its verdict). Default: onComplete.
   */
  onTakenBack?: (reason: string) => void;
  /** True when green takes the socket over from a blue (no check for a live listener). */
  takeover?: boolean;
  /** The verdict to report as the last one (a green that took over passes its handoff's). */
  lastVerdict?: VerdictRecord | null;
  /** Called after blue took the socket back from a green that died after COMPLETE, or after its standby took back (e.g. to rewrite gateway.pid). */
  onReclaim?: () => void;
  /** Fault-injection hook, called before and after the effects of every step that changes phase. */
  onPhase?: (phase: Phase, when: 'before' | 'after') => void;
  os?: PeerOs;
  log?: (msg: string) => void;
}

export interface BlueHandle {
  /** The machine's current state (read-only snapshot). */
  state(): BlueState;
  /** The token clients must present. */
  readonly token: string;
  /** The standby's state while this process stands by after a promotion, else null. */
  standby(): StandbyState | null;
  /** Stops listening (or standing by) and closes every connection; does not touch the adapters. */
  close(): Promise<void>;
}

interface Client {
  conn: FrameConn;
  role: 'none' | 'observer' | 'green' | 'standby';
  subscribed: boolean;
  cancelHello: Cancel | null;
}

/** Most connections blue holds at once (any kind, also unauthenticated). */
export const MAX_CONNECTIONS = 64;
/** How often blue's loop checks green's pid and the phase deadline during a handoff. */
export const TICK_MS = 20;
/** How often it ticks with no handoff under way (a gateway is idle for days; a RESERVE brings the fast tick back at once). */
export const IDLE_TICK_MS = 1_000;
/** How long blue keeps reading a dead green's still-open connection before it judges by the pid alone. */
const DEAD_GREEN_READ_MS = 1_000;
/** After green's connection closed: how long blue looks for its pid to disappear (exited vs closed). */
const CLOSE_PID_LOOK_MS = 50;
/** A refused connection (too many) is destroyed this long after its ERROR, read or not. */
const REFUSED_BOUND_MS = 200;
/** After the standby's connection closed: how long the listener looks for its pid to disappear (crashed vs. detached). */
const STANDBY_CLOSE_LOOK_MS = 1_000;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Starts blue: listens on the handoff socket and runs the handoff state machine in one loop. */
export async function startBlue(opts: BlueOptions): Promise<BlueHandle> {
  const os = opts.os ?? realOs;
  const log = opts.log ?? (() => {});
  const helloMs = DEFAULT_DEADLINES.hello_ms;
  const token = os.files.ensureToken(opts.socketPath);
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
  // The tick runs slowly while no handoff is under way.
  let slowTick = false;
  // The standby attached to this listener, and its HEALTH timer.
  let standbyClient: Client | null = null;
  let stopBeat: Cancel = () => {};
  // This process as the standby of an observation window (after its own promotion of green).
  let standing: StandbyHandle | null = null;
  // The drain under way, if any: blue polls again only once its adapters have stopped.
  let drainDone: Promise<void> = Promise.resolve();
  // Green's connection closed and its close is being judged (green_closed not dispatched yet).
  let judgingClose = false;
  let closeJudged: Promise<void> = Promise.resolve();

  const dispatch = (ev: BlueEvent, sender: Client | null): void => {
    if (closed) return;
    const before = state.phase;
    const r = step(state, ev);
    state = r.state;
    // A handoff began: tick fast from now on.
    if (state.handoff && slowTick) restartTick();
    const changed = state.phase !== before;
    if (changed) opts.onPhase?.(state.phase, 'before');
    const effects = r.effects;
    // Effects of one step run in order; steps' effects never interleave.
    effectChain = effectChain.then(() => runEffects(effects, sender)).catch((e) => log(`blue: effect failed: ${errorMessage(e)}`));
    if (changed) effectChain = effectChain.then(() => opts.onPhase?.(state.phase, 'after'));
  };

  const runEffects = async (effects: BlueEffect[], sender: Client | null): Promise<void> => {
    for (const fx of effects) {
      // One failing effect (a full disk, a closed socket) must not skip the ones after it.
      try {
        await runEffect(fx, sender);
      } catch (e) {
        log(`blue: ${fx.kind} failed: ${errorMessage(e)}`);
      }
    }
  };

  const runEffect = async (fx: BlueEffect, sender: Client | null): Promise<void> => {
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
      case 'drain':
        drainDone = opts.adapters.pause(fx.deadline_ms).then(
          async (r) => {
            // A green that died while blue drained must not get the cursors: its close, or its pid
            // gone now, is judged first (the drain then ends as failed, whatever raced). A drain that
            // held its poll open ends within microtasks; one turn of the event loop lets a close that
            // already reached this process be read before the cursors go out.
            await new Promise<void>((turned) => setImmediate(turned));
            await closeJudged;
            const pid = state.handoff?.green_pid ?? null;
            dispatch({ type: 'tick', now: os.now(), green_alive: pid === null || os.isAlive(pid) }, null);
            dispatch({ type: 'drained', now: os.now(), cursors: r.cursors, drained: r.drained, paused_at: r.paused_at }, null);
          },
          (e) => log(`blue: drain failed: ${errorMessage(e)}`), // the drain deadline in the machine decides
        );
        break;
      case 'resume':
        if (killing) await killing;
        killing = null;
        // A drain still finishing holds the adapters: start() now would be refused and blue would stay dark.
        await drainDone;
        try {
          await opts.adapters.start(fx.cursors);
          log(`blue: polling again${fx.cursors ? ` from ${JSON.stringify(fx.cursors)}` : ''}`);
        } catch (e) {
          log(`blue: could not resume polling: ${errorMessage(e)}`);
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
        const old = listener;
        try {
          listener = await os.net.listen(opts.socketPath, onConnection, true);
          void old.close();
          opts.onReclaim?.();
          log(`blue: took the socket back at ${opts.socketPath}`);
        } catch (e) {
          log(`blue: could not take the socket back: ${errorMessage(e)}`);
        }
        break;
      }
      case 'record': {
        let error: string | null = null;
        try {
          os.files.writeVerdict(opts.home, fx.record);
        } catch (e) {
          error = `could not write the verdict file: ${errorMessage(e)}`;
          log(`blue: ${error}`);
        }
        dispatch({ type: 'recorded', now: os.now(), handoff_id: fx.record.handoff_id, error }, null);
        break;
      }
      case 'emit':
        for (const c of clients) if (c.subscribed) c.conn.send({ type: 'EVENT', event: fx.event });
        break;
      case 'check_takeover': {
        const answered = await servingPid(os, opts.socketPath, token, fx.timeout_ms, 'blue/takeover-check');
        log(`blue: the socket answers from ${answered === null ? 'no process' : `pid ${answered}`} (green is pid ${fx.pid})`);
        dispatch({ type: 'takeover_checked', now: os.now(), server_pid: answered }, null);
        break;
      }
      case 'exit':
        await shutdown();
        opts.onComplete();
        break;
      case 'stand_by':
        await standBy(fx.setup);
        break;
      case 'adopt_standby':
        if (sender) sender.role = 'standby';
        standbyClient = sender;
        startBeat(fx.heartbeat_ms);
        break;
      case 'to_standby':
        standbyClient?.conn.send(fx.frame);
        break;
      case 'close_standby':
        closeStandby();
        break;
      case 'end_standby':
        // Not awaited: the wait must not hold up the effects of other steps.
        void endStandby(fx, sender);
        break;
      case 'stop_serving': {
        stopBeat();
        const r = await opts.adapters.pause(DEFAULT_DEADLINES.drain_ms).catch((e: unknown) => {
          log(`blue: pausing for the standby failed: ${errorMessage(e)}`);
          return null;
        });
        standbyClient?.conn.send({ type: 'HANDOFF_STOPPED', handoff_id: fx.handoff_id, cursors: r?.cursors ?? opts.adapters.cursors() });
        const reason = state.reverting ?? 'the standby took back';
        log(`blue: the standby takes handoff ${fx.handoff_id} back: ${reason}; stopped`);
        await shutdown();
        (opts.onTakenBack ?? (() => opts.onComplete()))(reason);
        break;
      }
    }
  };

  const closeStandby = () => {
    stopBeat();
    const c = standbyClient;
    standbyClient = null;
    if (c) {
      c.conn.close();
      clients.delete(c);
    }
  };

  // HEALTH to the standby, as during the bake: this process's window since the last one, and its cursors.
  const startBeat = (ms: number) => {
    stopBeat();
    let seq = 0;
    let cancel: Cancel = () => {};
    const beat = () => {
      cancel = os.after(ms, beat);
      const st = state.standby;
      if (closed || !standbyClient || !st) return;
      seq += 1;
      standbyClient.conn.send({ type: 'HEALTH', handoff_id: st.handoff_id, sample: { seq, at: os.now(), ...opts.adapters.sample() }, cursors: opts.adapters.cursors() });
    };
    cancel = os.after(ms, beat);
    stopBeat = () => cancel();
  };

  // A new RESERVE supersedes the window: the standby goes first (SIGKILL after the bound), then the RESERVE is taken again.
  const endStandby = async (fx: Extract<BlueEffect, { kind: 'end_standby' }>, sender: Client | null) => {
    standbyClient?.conn.send(fx.frame);
    if (!(await waitGone(os, fx.pid, fx.timeout_ms))) {
      log(`blue: the standby (pid ${fx.pid}) did not leave within ${formatDuration(fx.timeout_ms)} of STANDBY_END: SIGKILL`);
      os.kill(fx.pid, 'SIGKILL');
      await waitGone(os, fx.pid, 2_000);
    }
    closeStandby();
    dispatch({ type: 'standby_closed', now: os.now(), pid: fx.pid, standby_alive: false }, null);
    if (sender && !sender.conn.isClosed) {
      const now = os.now();
      dispatch({ type: 'baseline', now, baseline: baselineOf(opts.adapters.replies(), now) }, sender);
      dispatch({ type: 'reserve', now, frame: fx.reserve, existing: os.files.verdictState(opts.home, fx.reserve.handoff_id) }, sender);
    }
  };

  // The promotion is final and a window was reserved: stop listening, release the adapters, watch green.
  const standBy = async (setup: Parameters<typeof runStandby>[0]) => {
    await shutdown();
    if (opts.adapters.release) {
      try {
        await opts.adapters.release();
      } catch (e) {
        log(`blue: releasing the adapters failed: ${errorMessage(e)}`);
      }
    }
    standing = runStandby(setup, {
      os,
      socketPath: opts.socketPath,
      token,
      home: opts.home,
      log,
      reclaim: (record) => serveAgain(record),
      resume: (cursors) => opts.adapters.start(cursors).then(() => undefined),
      leave: () => {
        standing = null;
        opts.onComplete();
      },
    });
  };

  // The standby took back: this process listens and decides handoffs again, its last verdict the reversion.
  const serveAgain = async (record: VerdictRecord): Promise<void> => {
    standing = null;
    state = initialState(state.self, record);
    green = null;
    closed = false;
    listener = await os.net.listen(opts.socketPath, onConnection, true);
    cancelTick = os.after(TICK_MS, tick);
    opts.onReclaim?.();
    log(`blue: took the socket back at ${opts.socketPath}`);
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
      if (!timingSafeEqual(digest(f.token), tokenDigest)) return void c.conn.close(errorFrame('unauthorized', 'wrong token', 'HELLO', true));
      c.cancelHello?.();
      c.cancelHello = null;
      // The id is checked only once the token was right.
      if (f.handoff_id !== undefined) {
        const id = HandoffId.safeParse(f.handoff_id);
        if (!id.success) return void c.conn.close(errorFrame('bad_frame', `HELLO: handoff_id: ${id.error.issues[0]?.message ?? 'invalid'}`, 'HELLO', true));
      }
      if (f.role === 'observer') {
        c.role = 'observer';
        c.conn.send({ type: 'WELCOME', server_pid: os.pid, phase: state.phase, release: opts.release, runtime: opts.runtime, versions: [1] });
        return;
      }
      if (!f.handoff_id) return void c.conn.close(errorFrame('bad_frame', `HELLO: a ${f.role} must give handoff_id`, 'HELLO', true));
      if (f.role === 'standby') return dispatch({ type: 'standby_hello', now, handoff_id: f.handoff_id, pid: f.pid }, c);
      return dispatch({ type: 'green_hello', now, handoff_id: f.handoff_id, pid: f.pid }, c);
    }
    if (c.role === 'standby') {
      if (c !== standbyClient) return void c.conn.close(errorFrame('wrong_phase', 'this standby no longer observes', f.type, true));
      switch (f.type) {
        case 'STANDBY_STATUS':
          return dispatch({ type: 'standby_status', now, frame: f }, c);
        case 'HANDOFF_ROLLBACK':
          return dispatch({ type: 'standby_rollback', now, frame: f }, c);
        default:
          return void c.conn.send(errorFrame('wrong_phase', `${f.type} is not a standby frame`, f.type));
      }
    }
    if (c.role === 'observer') {
      switch (f.type) {
        case 'RESERVE':
          dispatch({ type: 'baseline', now, baseline: baselineOf(opts.adapters.replies(), now) }, c);
          return dispatch({ type: 'reserve', now, frame: f, existing: os.files.verdictState(opts.home, f.handoff_id) }, c);
        case 'STATUS':
          return void c.conn.send(view(state));
        case 'SUBSCRIBE':
          c.subscribed = true;
          return void c.conn.send(view(state));
        case 'ABORT':
          return dispatch({ type: 'abort', now, handoff_id: f.handoff_id, reason: f.reason }, c);
        default:
          return void c.conn.send(errorFrame('wrong_phase', `${f.type} is not an observer frame`, f.type));
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
        return void c.conn.send(errorFrame('wrong_phase', `${f.type} is not a green frame`, f.type));
    }
  };

  const onConnection = (stream: Duplex): void => {
    stream.on('error', () => {});
    if (closed || clients.size >= MAX_CONNECTIONS) {
      stream.end(encodeFrame(errorFrame('too_many', `more than ${MAX_CONNECTIONS} connections`, undefined, true)));
      os.after(REFUSED_BOUND_MS, () => stream.destroy());
      return;
    }
    const c: Client = { conn: null as unknown as FrameConn, role: 'none', subscribed: false, cancelHello: null };
    c.conn = new FrameConn(
      stream,
      (d: Decoded) => {
        try {
          if (d.ok) onFrame(c, d.frame);
          else if (d.fatal) c.conn.close(errorFrame(d.code, d.message, d.frame, true));
          else c.conn.send(errorFrame(d.code, d.message, d.frame));
        } catch (e) {
          // Nothing a client sends may take blue down.
          log(`blue: internal error on a frame: ${errorMessage(e)}`);
          c.conn.close(errorFrame('internal', 'internal error', undefined, true));
        }
      },
      os.after,
    );
    c.cancelHello = os.after(helloMs, () => c.conn.close(errorFrame('timeout', `no HELLO within ${formatDuration(helloMs)}`, undefined, true)));
    clients.add(c);
    void c.conn.closedPromise().then(async () => {
      c.cancelHello?.();
      clients.delete(c);
      if (c === standbyClient) {
        standbyClient = null;
        stopBeat();
        const pid = state.standby?.pid ?? null;
        if (pid === null) return;
        // A standby that crashed closes its socket a moment before its pid goes: look for a while.
        const alive = !(await waitGone(os, pid, STANDBY_CLOSE_LOOK_MS));
        dispatch({ type: 'standby_closed', now: os.now(), pid, standby_alive: alive }, null);
        return;
      }
      if (c === green) {
        green = null;
        // Judged at once (a drain under way waits for the judgement before it hands over). Until then
        // the ticker must not judge green's pid on its own: one crash, one reason.
        judgingClose = true;
        closeJudged = (async () => {
          // A crash closes the socket a moment before the pid disappears: look briefly, for a truer reason.
          const pid = state.handoff?.green_pid ?? null;
          const alive = pid === null ? true : !(await waitGone(os, pid, CLOSE_PID_LOOK_MS));
          judgingClose = false;
          dispatch({ type: 'green_closed', now: os.now(), green_alive: alive }, null);
        })();
      }
    });
  };

  let listener: PeerListener = await os.net.listen(opts.socketPath, onConnection, opts.takeover ?? false);
  // When green's pid was first seen dead while its connection was still open.
  let deadWhileOpen: number | null = null;
  const restartTick = () => {
    cancelTick();
    slowTick = !state.handoff;
    cancelTick = os.after(slowTick ? IDLE_TICK_MS : TICK_MS, tick);
  };
  const tick = () => {
    if (closed) return;
    slowTick = !state.handoff;
    cancelTick = os.after(slowTick ? IDLE_TICK_MS : TICK_MS, tick);
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
  };
  let cancelTick: Cancel = os.after(TICK_MS, tick);

  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    cancelTick();
    stopBeat();
    standbyClient = null;
    // Closing waits for open connections, so end them first.
    for (const c of clients) c.conn.close();
    clients.clear();
    await listener.close();
  };

  log(`blue: listening on ${opts.socketPath} (pid ${os.pid}, release ${opts.release}, runtime ${opts.runtime})`);
  return {
    state: () => state,
    standby: () => standing?.state() ?? null,
    token,
    close: async () => {
      standing?.stop();
      standing = null;
      await shutdown();
    },
  };
}
