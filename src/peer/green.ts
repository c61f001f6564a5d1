import type { Duplex } from 'node:stream';
import { DEFAULT_DEADLINES, PROBE_MS, type Deadlines } from '../protocol/deadlines.ts';
import { PROTOCOL_VERSION, type Cursors, type Frame, type VerdictRecord } from '../protocol/frames.ts';
import type { Adapters } from './adapters.ts';
import { FrameConn } from './conn.ts';
import { errorMessage } from '../core/errors.ts';
import { realOs, sleep, waitGone, type Cancel, type PeerOs } from './os.ts';
import { servingPid, socketAnswers } from './probe.ts';
import { formatDuration } from '../protocol/format.ts';

/** Points at which a test or the reference gateway's fault injection can step in. */
export interface GreenHooks {
  beforeAck?: () => void | Promise<void>;
  afterAck?: () => void | Promise<void>;
  /** After the adapters started from blue's cursors, before HANDOFF_CONFIRM. */
  afterActive?: () => void | Promise<void>;
  afterConfirm?: () => void | Promise<void>;
  /** Before each HEALTH (seq from 1). */
  beforeHeartbeat?: (seq: number) => void | Promise<void>;
  /** On HANDOFF_COMPLETE, before green takes the socket over. */
  onComplete?: () => void | Promise<void>;
  /** The release green reports in HANDOFF_ACK (a fault may misreport it). */
  ackRelease?: (release: string) => string;
}

export interface GreenOptions {
  socketPath: string;
  home: string;
  handoffId: string;
  release: string;
  runtime: string;
  storeSchema: number;
  adapters: Adapters;
  /** The application's whole start-up (config, models, connections): HANDOFF_ACK waits for it. */
  init: () => Promise<void>;
  /** Blue's pid if known before connecting (from gateway.pid): lets green tell a dead blue from a slow one. */
  bluePid?: number | null;
  hooks?: GreenHooks;
  os?: PeerOs;
  log?: (msg: string) => void;
}

/** How green's part ended: it serves from now on (and must become blue), or it stopped. */
export type GreenResult =
  | {
      kind: 'serving';
      token: string;
      verdict: VerdictRecord;
      how: 'complete' | 'blue-died';
      /** Call once green owns the socket: tells blue (HANDOFF_COMPLETE back) that it may leave. */
      confirm: () => void;
    }
  | { kind: 'stopped'; verdict: 'rolled-back' | 'failed'; reason: string };

type Next = Frame | 'closed' | 'timeout';

/** Plays green in one handoff: HELLO, init, ACK, start from ACTIVE's cursors, CONFIRM, heartbeats, then the verdict. */
export async function runGreen(opts: GreenOptions): Promise<GreenResult> {
  const os = opts.os ?? realOs;
  const log = opts.log ?? (() => {});
  const hooks = opts.hooks ?? {};
  const id = opts.handoffId;
  const startedAt = os.now();
  const timeline: VerdictRecord['timeline'] = [{ phase: 'green-started', at: startedAt }];
  let bluePid = opts.bluePid ?? null;
  let deadlines: Deadlines = DEFAULT_DEADLINES;
  let bakeMs = 0;
  let adaptersStarted = false;
  let pausedAt: number | null = null;
  let pollingAt: number | null = null;

  const token = os.files.readToken(opts.socketPath);
  if (!token) return { kind: 'stopped', verdict: 'failed', reason: `no token beside ${opts.socketPath}` };

  // Frames arrive into a queue; the flow below takes them with a deadline each.
  const queue: Frame[] = [];
  let waiter: ((n: Next) => void) | null = null;
  let closed = false;
  const push = (n: Next) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(n);
    } else if (n !== 'closed' && n !== 'timeout') queue.push(n);
  };
  const next = (ms: number): Promise<Next> => {
    const q = queue.shift();
    if (q) return Promise.resolve(q);
    if (closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const cancel = os.after(ms, () => {
        waiter = null;
        resolve('timeout');
      });
      waiter = (n) => {
        cancel();
        resolve(n);
      };
    });
  };

  const conn = await connect(os, opts.socketPath, deadlines.hello_ms).catch((e: unknown) => new Error(errorMessage(e)));
  let fc: FrameConn | null = null;
  if (conn instanceof Error) {
    log(`green: cannot reach blue at ${opts.socketPath}: ${conn.message}`);
    closed = true;
  } else {
    fc = new FrameConn(
      conn,
      (d) => {
        if (d.ok) push(d.frame);
        else log(`green: bad frame from blue: ${d.message}`);
      },
      os.after,
    );
    void fc.closedPromise().then(() => {
      closed = true;
      push('closed');
    });
    fc.send({ type: 'HELLO', role: 'green', token, pid: os.pid, handoff_id: id, client: `green/${opts.runtime}` });
  }

  const stopped = (verdict: 'rolled-back' | 'failed', reason: string): GreenResult => {
    fc?.close();
    return { kind: 'stopped', verdict, reason };
  };

  // Blue went away without a verdict: serve if it is dead, stand down if it is not.
  const blueGone = async (phase: string): Promise<GreenResult> => {
    let how = 'exited';
    // A blue that is stopping may take a moment to exit: wait up to the grace period before judging it alive.
    if (bluePid !== null && !(await waitGone(os, bluePid, deadlines.rollback_grace_ms))) {
      // Its pid runs (or was reused): blue counts as alive only if the socket still answers from it.
      const answers = await servingPid(os, opts.socketPath, token, PROBE_MS, `green/${opts.runtime}`);
      if (answers === bluePid) {
        if (adaptersStarted) await opts.adapters.pause(deadlines.drain_ms, { final: true }).catch(() => undefined);
        return stopped('failed', `blue (pid ${bluePid}) closed the handoff connection during ${phase} and is still running`);
      }
      how = `left the socket (its pid runs, the socket answers from ${answers === null ? 'no process' : `pid ${answers}`})`;
    }
    // Blue's pid unknown: serve only if nothing answers on the socket (a live listener is a blue we cannot see).
    if (bluePid === null && (await socketAnswers(os, opts.socketPath, PROBE_MS))) {
      if (adaptersStarted) await opts.adapters.pause(deadlines.drain_ms, { final: true }).catch(() => undefined);
      return stopped('failed', `cannot tell whether blue is alive (no pid) and something listens on ${opts.socketPath}`);
    }
    if (!adaptersStarted) {
      pollingAt = await opts.adapters.start(null);
      adaptersStarted = true;
    }
    const reason = `blue${bluePid ? ` (pid ${bluePid})` : ''} ${how} during ${phase}; green took over`;
    timeline.push({ phase: 'taken-over', at: os.now(), note: reason });
    const record: VerdictRecord = {
      v: PROTOCOL_VERSION,
      handoff_id: id,
      verdict: 'promoted',
      reason,
      release: opts.release,
      runtime: opts.runtime,
      blue_pid: bluePid,
      green_pid: os.pid,
      decided_by: 'green',
      decided_at: os.now(),
      dark_window_ms: pausedAt !== null && pollingAt !== null ? Math.max(0, pollingAt - pausedAt) : null,
      timeline,
      health: [],
    };
    try {
      os.files.writeVerdict(opts.home, record);
    } catch (e) {
      record.record_error = `could not write the verdict file: ${errorMessage(e)}`;
    }
    log(`green: ${reason}`);
    return { kind: 'serving', token, verdict: record, how: 'blue-died', confirm: () => fc?.close() };
  };

  // 1. HANDOFF_INIT (or a refusal).
  let init: Extract<Frame, { type: 'HANDOFF_INIT' }> | null = null;
  if (fc) {
    const n = await next(deadlines.hello_ms);
    if (n === 'timeout') return stopped('failed', `blue sent no HANDOFF_INIT within ${formatDuration(deadlines.hello_ms)}`);
    if (n !== 'closed') {
      if (n.type === 'ERROR') return stopped('failed', `blue refused green: ${n.code}: ${n.message}`);
      if (n.type !== 'HANDOFF_INIT') return stopped('failed', `expected HANDOFF_INIT, got ${n.type}`);
      init = n;
      bluePid = n.blue_pid;
      deadlines = n.deadlines;
      bakeMs = n.bake_ms;
      timeline.push({ phase: 'init', at: os.now() });
    }
  }

  // 2. Start up fully before asking blue for anything more.
  const t0 = os.now();
  await opts.init();
  // Connections to the platform are part of start-up: open them now, not in the dark window.
  await opts.adapters.warm?.().catch((e: unknown) => log(`green: warming the adapters failed: ${errorMessage(e)}`));
  const initMs = os.now() - t0;
  if (!init) return blueGone('start-up');
  if (closed && queue.length === 0) return blueGone('start-up');
  // A store this runtime cannot read must not be handed over to it (protocol.md section 17): no ACK.
  if (init.store.schema !== opts.storeSchema) {
    const reason = `cannot read store schema ${init.store.schema} at ${init.store.path}`;
    log(`green: ${reason}`);
    fc!.send({ type: 'HANDOFF_ROLLBACK', handoff_id: id, reason });
    return stopped('failed', reason);
  }
  await hooks.beforeAck?.();
  fc!.send({
    type: 'HANDOFF_ACK',
    handoff_id: id,
    pid: os.pid,
    runtime: opts.runtime,
    release: hooks.ackRelease ? hooks.ackRelease(opts.release) : opts.release,
    store_schema: opts.storeSchema,
    init_ms: initMs,
  });
  timeline.push({ phase: 'ack', at: os.now() });
  await hooks.afterAck?.();

  // 3. HANDOFF_ACTIVE: blue has paused; start from its cursors at once.
  const a = await next(deadlines.drain_ms + deadlines.hello_ms);
  if (a === 'closed') return blueGone('the drain');
  if (a === 'timeout') {
    fc!.send({ type: 'HANDOFF_ROLLBACK', handoff_id: id, reason: `no HANDOFF_ACTIVE within ${formatDuration(deadlines.drain_ms + deadlines.hello_ms)}` });
    return stopped('failed', 'blue did not hand over in time');
  }
  if (a.type === 'HANDOFF_ROLLBACK') return stopped('failed', `blue rolled back: ${a.reason}`);
  if (a.type !== 'HANDOFF_ACTIVE') return stopped('failed', `expected HANDOFF_ACTIVE, got ${a.type}`);
  pausedAt = a.paused_at;
  try {
    pollingAt = await opts.adapters.start(a.cursors);
  } catch (e) {
    // A cursor of another kind than the adapter of that name, or a platform that refuses: poll nothing, give the cursors back.
    const reason = `could not start the adapters: ${errorMessage(e)}`;
    log(`green: ${reason}`);
    fc!.send({ type: 'HANDOFF_ROLLBACK', handoff_id: id, reason });
    return stopped('rolled-back', reason);
  }
  adaptersStarted = true;
  timeline.push({ phase: 'active', at: os.now() });
  await hooks.afterActive?.();
  const notes = opts.adapters.handoverNotes?.(pausedAt ?? undefined) ?? [];
  fc!.send({ type: 'HANDOFF_CONFIRM', handoff_id: id, adapters: opts.adapters.names(), polling_at: pollingAt, ...(notes.length > 0 ? { notes } : {}) });
  await hooks.afterConfirm?.();

  // 4. The bake: heartbeat until blue decides.
  let seq = 0;
  let beating = false;
  const beat = async () => {
    if (beating || closed) return;
    beating = true;
    try {
      seq += 1;
      await hooks.beforeHeartbeat?.(seq);
      const w = opts.adapters.sample();
      fc!.send({ type: 'HEALTH', handoff_id: id, sample: { seq, at: os.now(), ...w }, cursors: opts.adapters.cursors() });
    } finally {
      beating = false;
    }
  };
  let cancelBeat: Cancel = () => {};
  const every = () => {
    cancelBeat = os.after(deadlines.heartbeat_ms, every);
    void beat();
  };
  cancelBeat = os.after(deadlines.heartbeat_ms, every);
  try {
    const limit = bakeMs + deadlines.rollback_grace_ms + 30_000;
    const end = os.now() + limit;
    for (;;) {
      const f = await next(Math.max(1, end - os.now()));
      if (f === 'closed') return await blueGone('the bake');
      if (f === 'timeout') {
        const r = await opts.adapters.pause(deadlines.drain_ms, { final: true }).catch(() => null);
        fc!.send({ type: 'HANDOFF_ROLLBACK', handoff_id: id, reason: `no verdict from blue within ${formatDuration(limit)}`, ...(r ? { cursors: r.cursors } : {}) });
        return stopped('rolled-back', 'blue gave no verdict in time');
      }
      if (f.type === 'HANDOFF_COMPLETE') {
        timeline.push({ phase: 'complete', at: os.now() });
        await hooks.onComplete?.();
        const verdict = os.files.readVerdict(opts.home, id) ?? fallbackVerdict(opts, os.pid, bluePid, f.reason, timeline, pausedAt, pollingAt, os.now());
        const conn = fc!;
        // Blue stays, paused, until this answer: a green that dies before it takes the socket is rolled back.
        const confirm = () => {
          conn.send({ type: 'HANDOFF_COMPLETE', handoff_id: id, reason: 'green owns the socket' });
          conn.close();
        };
        return { kind: 'serving', token, verdict, how: 'complete', confirm };
      }
      if (f.type === 'HANDOFF_ROLLBACK') {
        const r = await opts.adapters.pause(deadlines.drain_ms, { final: true }).catch(() => null);
        const cursors: Cursors = r === null ? opts.adapters.cursors() : r.cursors;
        fc!.send({ type: 'HANDOFF_STOPPED', handoff_id: id, cursors });
        return stopped('rolled-back', f.reason);
      }
      // Anything else (ERROR about a frame, a newer type) does not end the bake.
      if (f.type === 'ERROR') log(`green: blue said ${f.code}: ${f.message}`);
    }
  } finally {
    cancelBeat();
  }
}

function fallbackVerdict(
  opts: GreenOptions,
  greenPid: number,
  bluePid: number | null,
  reason: string,
  timeline: VerdictRecord['timeline'],
  pausedAt: number | null,
  pollingAt: number | null,
  now: number,
): VerdictRecord {
  return {
    v: PROTOCOL_VERSION,
    handoff_id: opts.handoffId,
    verdict: 'promoted',
    reason,
    release: opts.release,
    runtime: opts.runtime,
    blue_pid: bluePid,
    green_pid: greenPid,
    decided_by: 'blue',
    decided_at: now,
    dark_window_ms: pausedAt !== null && pollingAt !== null ? Math.max(0, pollingAt - pausedAt) : null,
    timeline,
    health: [],
    record_error: 'blue could not write the verdict file; this is green\'s account',
  };
}

/** Green's retry interval while the socket is missing or refuses. */
const CONNECT_RETRY_MS = 100;

/** Connects to the socket, retrying while it is absent or refusing, until `timeoutMs`. */
async function connect(os: PeerOs, path: string, timeoutMs: number): Promise<Duplex> {
  const end = os.now() + timeoutMs;
  for (;;) {
    try {
      return await os.net.connect(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (os.now() + CONNECT_RETRY_MS >= end || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw e;
      await sleep(os, CONNECT_RETRY_MS);
    }
  }
}
