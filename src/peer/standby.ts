// The standby role: the old blue after a promotion with an observation window. It runs the pure
// standby machine (protocol/standby.ts) in one loop and carries out its effects: attaching to green's
// socket, the take-back (verdict file, stopping green, the socket, the adapters), leaving.
import { PROBE_MS } from '../protocol/deadlines.ts';
import { formatDuration } from '../protocol/format.ts';
import type { Cursors, Frame, Observation, VerdictRecord } from '../protocol/frames.ts';
import { standbyStart, standbyStep, type StandbyEffect, type StandbyEvent, type StandbySetup, type StandbyState } from '../protocol/standby.ts';
import { errorMessage } from '../core/errors.ts';
import { FrameConn } from './conn.ts';
import { waitGone, type Cancel, type PeerOs } from './os.ts';

/** What the standby needs from its process. */
export interface StandbyDeps {
  os: PeerOs;
  socketPath: string;
  token: string;
  /** HERMES_HOME: the verdict file is under run/handoffs/. */
  home: string;
  log: (msg: string) => void;
  /** Binds the socket again (an atomic takeover) and serves as blue with `record` as the last verdict. */
  reclaim(record: VerdictRecord): Promise<void>;
  /** Starts every adapter again from `cursors` (re-opening what release() closed). */
  resume(cursors: Cursors | null): Promise<void>;
  /** The window ended without a take-back: the process leaves. */
  leave(outcome: Observation['outcome']): void;
}

/** The running standby, as its process holds it. */
export interface StandbyHandle {
  /** The machine's current state (read-only snapshot). */
  state(): StandbyState;
  /** Stops the loop and closes the connection (the process is stopping); green is left alone. */
  stop(): void;
}

/** How often the standby checks green's pid, the heartbeat age and the deadlines. */
export const STANDBY_TICK_MS = 200;
/** How long the standby keeps reading a dead green's still-open connection (its HANDOFF_STOPPED) before it judges by the pid. */
const DEAD_GREEN_READ_MS = 1_000;

/** Starts the standby for `setup`; it runs until the window ends (deps.leave) or it took back (deps.reclaim, deps.resume). */
export function runStandby(setup: StandbySetup, deps: StandbyDeps): StandbyHandle {
  const { os, log } = deps;
  let state: StandbyState;
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();
  /** The connection to green's socket, and whether a STANDBY_WELCOME came on it. */
  let current: { conn: FrameConn; welcomed: boolean } | null = null;

  const dispatch = (ev: StandbyEvent): void => {
    if (stopped) return;
    const before = state.phase;
    const r = standbyStep(state, ev);
    state = r.state;
    if (state.phase !== before) log(`standby: ${before} -> ${state.phase}${state.trigger && state.phase === 'stopping' ? `: ${state.trigger}` : ''}`);
    run(r.effects);
  };

  const run = (effects: StandbyEffect[]) => {
    chain = chain.then(async () => {
      for (const fx of effects) {
        try {
          await runEffect(fx);
        } catch (e) {
          log(`standby: ${fx.kind} failed: ${errorMessage(e)}`);
        }
      }
    });
  };

  const closeCurrent = () => {
    const c = current;
    current = null;
    c?.conn.close();
  };

  const attach = async (): Promise<void> => {
    let stream;
    try {
      stream = await os.net.connect(deps.socketPath);
    } catch (e) {
      dispatch({ type: 'refused', now: os.now(), why: `cannot connect to ${deps.socketPath}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, answered: false });
      return;
    }
    const mine: { conn: FrameConn; welcomed: boolean } = { conn: null as unknown as FrameConn, welcomed: false };
    mine.conn = new FrameConn(stream, (d) => (d.ok ? onFrame(mine, d.frame) : log(`standby: bad frame from green: ${d.message}`)), os.after);
    closeCurrent();
    current = mine;
    const cancel = os.after(PROBE_MS, () => {
      if (current !== mine || mine.welcomed) return;
      current = null;
      mine.conn.destroy();
      dispatch({ type: 'refused', now: os.now(), why: `no STANDBY_WELCOME within ${formatDuration(PROBE_MS)}`, answered: false });
    });
    void mine.conn.closedPromise().then(() => {
      cancel();
      if (current !== mine) return;
      current = null;
      if (mine.welcomed) dispatch({ type: 'closed', now: os.now() });
      else dispatch({ type: 'refused', now: os.now(), why: 'the socket closed the connection before STANDBY_WELCOME', answered: false });
    });
    mine.conn.send({ type: 'HELLO', role: 'standby', token: deps.token, pid: os.pid, handoff_id: setup.handoff_id, client: 'standby' });
  };

  const onFrame = (c: { conn: FrameConn; welcomed: boolean }, f: Frame): void => {
    if (current !== c) return;
    const now = os.now();
    switch (f.type) {
      case 'STANDBY_WELCOME':
        c.welcomed = true;
        return dispatch({ type: 'welcome', now, frame: f });
      case 'ERROR':
        if (c.welcomed) return void log(`standby: green said ${f.code}: ${f.message}`);
        current = null;
        c.conn.destroy();
        return dispatch({ type: 'refused', now, why: `${f.code}: ${f.message}`, answered: true });
      case 'HEALTH':
        return dispatch({ type: 'health', now, frame: f });
      case 'STANDBY_END':
        return dispatch({ type: 'end', now, frame: f });
      case 'HANDOFF_STOPPED':
        return dispatch({ type: 'stopped', now, frame: f });
      default:
        return void log(`standby: ignored ${f.type} from green`);
    }
  };

  const runEffect = async (fx: StandbyEffect): Promise<void> => {
    switch (fx.kind) {
      case 'attach':
        await attach();
        break;
      case 'send':
        current?.conn.send(fx.frame);
        break;
      case 'close':
        closeCurrent();
        break;
      case 'kill_green':
        log(`standby: green (pid ${fx.pid}) did not stop: SIGKILL`);
        os.kill(fx.pid, 'SIGKILL');
        await waitGone(os, fx.pid, 2_000);
        break;
      case 'record':
        try {
          os.files.writeVerdict(deps.home, fx.record);
        } catch (e) {
          log(`standby: could not write the verdict file: ${errorMessage(e)}`);
        }
        break;
      case 'reclaim':
        stop();
        log(`standby: taking back: ${fx.record.reason}`);
        await deps.reclaim(fx.record);
        break;
      case 'resume':
        await deps.resume(fx.cursors);
        log(`standby: polling again${fx.cursors ? ` from ${JSON.stringify(fx.cursors)}` : ''}`);
        break;
      case 'exit':
        stop();
        log(`standby: the observation window ended (${fx.outcome}); leaving`);
        deps.leave(fx.outcome);
        break;
    }
  };

  // When green's pid was first seen dead while its connection was still open.
  let deadWhileOpen: number | null = null;
  let cancelTick: Cancel = () => {};
  const tick = () => {
    if (stopped) return;
    cancelTick = os.after(STANDBY_TICK_MS, tick);
    const pid = state.green_pid;
    let alive = pid === null ? true : os.isAlive(pid);
    // A green that wrote HANDOFF_STOPPED and exited: read the frame before judging by the pid.
    if (!alive && current !== null && current.welcomed && !current.conn.isClosed) {
      deadWhileOpen ??= os.now();
      if (os.now() - deadWhileOpen < DEAD_GREEN_READ_MS) alive = true;
    } else {
      deadWhileOpen = null;
    }
    dispatch({ type: 'tick', now: os.now(), green_alive: alive, rss_bytes: os.rss() });
  };

  // Nothing else keeps this process alive while it stands by: its listener is closed, its timers do not.
  const release = os.hold();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelTick();
    closeCurrent();
    release();
  };

  const start = standbyStart(setup, os.now());
  state = start.state;
  log(`standby: observing handoff ${setup.handoff_id} (green pid ${setup.green_pid}) until ${new Date(setup.until).toISOString()}`);
  run(start.effects);
  cancelTick = os.after(STANDBY_TICK_MS, tick);
  return { state: () => state, stop };
}
