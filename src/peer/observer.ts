import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import type { EventFrame, Frame, Reserve, Reserved, State, Welcome, Aborting } from '../protocol/frames.ts';
import { FrameConn } from './conn.ts';

/** What an observer connection needs from its process: its pid (for HELLO) and a clock for request deadlines. */
export interface ObserverEnv {
  pid: number;
  after(ms: number, fn: () => void): () => void;
}

const realEnv: ObserverEnv = {
  pid: process.pid,
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export type StateFrame = z.infer<typeof State>;
export type ObserverEvent = z.infer<typeof EventFrame>['event'];

/** An ERROR frame from blue, as an exception. */
export class PeerError extends Error {
  override name = 'PeerError';
  /** Wraps blue's ERROR `code` and `message`. */
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The observer role: RESERVE, STATUS, SUBSCRIBE, ABORT over one connection, one request at a time. */
export class ObserverClient {
  private readonly conn: FrameConn;
  private pending: { accept: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private onEventCb: ((e: ObserverEvent) => void) | null = null;
  private closeCbs: Array<() => void> = [];
  welcome: z.infer<typeof Welcome> | null = null;

  private constructor(
    stream: Duplex,
    private readonly env: ObserverEnv,
  ) {
    this.conn = new FrameConn(stream, (d) => {
      if (!d.ok) return this.fail(new PeerError(d.code, `bad frame from blue: ${d.message}`));
      const f = d.frame;
      if (f.type === 'EVENT') return void this.onEventCb?.(f.event);
      const p = this.pending;
      if (!p) return;
      if (f.type === 'ERROR') {
        this.pending = null;
        return p.reject(new PeerError(f.code, f.message));
      }
      if (p.accept(f)) {
        this.pending = null;
        p.resolve(f);
      }
    }, env.after);
    void this.conn.closedPromise().then(() => {
      this.fail(new PeerError('closed', 'the handoff socket closed'));
      for (const cb of this.closeCbs.splice(0)) cb();
    });
  }

  /** Connects as an observer over `stream` (HELLO with `token`); resolves once WELCOME arrives. */
  static async open(stream: Duplex, token: string, timeoutMs: number, client = 'hermes-handoff', env: ObserverEnv = realEnv): Promise<ObserverClient> {
    const c = new ObserverClient(stream, env);
    try {
      c.welcome = (await c.request({ type: 'HELLO', role: 'observer', token, pid: env.pid, client }, 'WELCOME', timeoutMs)) as z.infer<typeof Welcome>;
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The current STATE. */
  status(timeoutMs: number): Promise<StateFrame> {
    return this.request({ type: 'STATUS' }, 'STATE', timeoutMs) as Promise<StateFrame>;
  }

  /** Subscribes: resolves with the current STATE; every later EVENT goes to `onEvent`. */
  subscribe(onEvent: (e: ObserverEvent) => void, timeoutMs: number): Promise<StateFrame> {
    this.onEventCb = onEvent;
    return this.request({ type: 'SUBSCRIBE' }, 'STATE', timeoutMs) as Promise<StateFrame>;
  }

  /** Reserves a handoff; rejects with PeerError('busy') when one is under way. */
  reserve(r: Omit<z.infer<typeof Reserve>, 'v' | 'type'>, timeoutMs: number): Promise<z.infer<typeof Reserved>> {
    return this.request({ type: 'RESERVE', ...r }, 'RESERVED', timeoutMs) as Promise<z.infer<typeof Reserved>>;
  }

  /** Asks blue to end handoff `id` (release a reservation, or roll back). */
  abort(id: string, reason: string, timeoutMs: number): Promise<z.infer<typeof Aborting>> {
    return this.request({ type: 'ABORT', handoff_id: id, reason }, 'ABORTING', timeoutMs) as Promise<z.infer<typeof Aborting>>;
  }

  /** Calls `cb` once when the connection closes. */
  onClose(cb: () => void): void {
    if (this.conn.isClosed) cb();
    else this.closeCbs.push(cb);
  }

  /** True once the connection closed. */
  get isClosed(): boolean {
    return this.conn.isClosed;
  }

  /** Closes the connection. */
  close(): void {
    this.conn.destroy();
  }

  private request(frame: Parameters<FrameConn['send']>[0], expect: Frame['type'], timeoutMs: number): Promise<Frame> {
    const run = () =>
      new Promise<Frame>((resolve, reject) => {
        if (this.conn.isClosed) return reject(new PeerError('closed', 'the handoff socket closed'));
        const cancel = this.env.after(timeoutMs, () => {
          this.pending = null;
          reject(new PeerError('timeout', `no ${expect} within ${timeoutMs} ms`));
        });
        this.pending = {
          accept: (f) => f.type === expect,
          resolve: (f) => {
            cancel();
            resolve(f);
          },
          reject: (e) => {
            cancel();
            reject(e);
          },
        };
        this.conn.send(frame);
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }
}
