import { createConnection, type Socket } from 'node:net';
import { FrameDecoder, type Decoded } from '../protocol/framing.ts';
import type { Frame, FrameType, FrameOf } from '../protocol/frames.ts';
import { Mismatch, show } from './cases.ts';

/** What an ERROR frame must say: the code and whether it is fatal, and its message exactly or by its start. */
export interface ErrorSpec {
  code: string;
  fatal: boolean;
  frame?: string;
  message?: string;
  prefix?: string;
}

/**
 * One connection of the implementation under test, seen from the other end: anything may be sent
 * (also bytes that are not frames), and every read waits for at most a given time. What comes back
 * is decoded by the protocol's own decoder, so a frame that does not match its schema is reported,
 * never trusted.
 */
export class Wire {
  private readonly decoder = new FrameDecoder();
  private readonly items: Decoded[] = [];
  private waiter: (() => void) | null = null;
  private tapFn: ((d: Decoded) => void) | null = null;
  private isClosed = false;

  /** Wraps a connected socket. */
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const d of this.decoder.push(chunk)) {
        if (this.tapFn) this.tapFn(d);
        else this.items.push(d);
      }
      this.wake();
    });
    const done = () => {
      this.isClosed = true;
      this.wake();
    };
    socket.on('close', done);
    socket.on('end', done);
    socket.on('error', done);
  }

  /** Connects to `path` within `ms`; rejects with a Mismatch naming what happened. */
  static open(path: string, ms = 2_000): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Mismatch(`a connection to ${path} within ${ms} ms`, 'none'));
      }, ms);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => {});
        resolve(new Wire(s));
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        s.destroy();
        reject(new Mismatch(`a connection to ${path}`, e.code ?? e.message));
      });
    });
  }

  /** True once the other end closed (or the socket failed). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Every decoded item goes to `fn` from now on instead of the queue (a subscriber's event log). */
  tap(fn: (d: Decoded) => void): void {
    this.tapFn = fn;
    for (const d of this.items.splice(0)) fn(d);
  }

  /** Sends one frame as a JSON line, `v` 1 unless given; nothing is validated (a test may send anything). */
  send(frame: Record<string, unknown>): void {
    this.raw(JSON.stringify({ v: 1, ...frame }) + '\n');
  }

  /** Sends bytes as they are. */
  raw(data: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The next decoded item, or a Mismatch naming `what` when none comes within `ms` or the connection closes. */
  async next(what: string, ms: number): Promise<Decoded> {
    const end = Date.now() + ms;
    for (;;) {
      const d = this.items.shift();
      if (d) return d;
      if (this.isClosed) throw new Mismatch(what, 'the connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Mismatch(what, `nothing within ${ms} ms`);
      await this.wait(left);
    }
  }

  /** The next frame, which must be of `type` (EVENT frames are skipped when `skipEvents`). */
  async frame<T extends FrameType>(type: T, ms: number, skipEvents = true): Promise<FrameOf<T>> {
    for (;;) {
      const d = await this.next(`a ${type} frame`, ms);
      if (!d.ok) throw new Mismatch(`a ${type} frame`, `an undecodable line (${d.code}: ${show(d.message)})`);
      if (skipEvents && d.frame.type === 'EVENT' && type !== 'EVENT') continue;
      if (d.frame.type !== type) throw new Mismatch(`a ${type} frame`, show(d.frame));
      return d.frame as FrameOf<T>;
    }
  }

  /** The next frame of any type (EVENT frames skipped when `skipEvents`). */
  async anyFrame(what: string, ms: number, skipEvents = true): Promise<Frame> {
    for (;;) {
      const d = await this.next(what, ms);
      if (!d.ok) throw new Mismatch(what, `an undecodable line (${d.code}: ${show(d.message)})`);
      if (skipEvents && d.frame.type === 'EVENT') continue;
      return d.frame;
    }
  }

  /** The next frame must be an ERROR matching `spec`; a fatal one must be followed by the close. */
  async error(spec: ErrorSpec, ms = 2_000): Promise<void> {
    const want = `ERROR ${spec.code}${spec.message !== undefined ? ` ${show(spec.message)}` : spec.prefix !== undefined ? ` starting ${show(spec.prefix)}` : ''}`;
    const f = await this.frame('ERROR', ms).catch((e: unknown) => {
      throw e instanceof Mismatch ? new Mismatch(want, e.got) : e;
    });
    const bad =
      f.code !== spec.code ||
      f.fatal !== spec.fatal ||
      (spec.frame !== undefined && f.frame !== spec.frame) ||
      (spec.message !== undefined && f.message !== spec.message) ||
      (spec.prefix !== undefined && !f.message.startsWith(spec.prefix));
    if (bad) throw new Mismatch(`${want} (fatal ${spec.fatal}${spec.frame ? `, frame ${spec.frame}` : ''})`, show(f));
    if (spec.fatal && !(await this.closedWithin(ms))) throw new Mismatch(`the connection closed after the fatal ${spec.code}`, 'it stayed open');
  }

  /** Resolves true when the other end closes within `ms` (anything it sends before is dropped). */
  async closedWithin(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.isClosed) {
      this.items.length = 0;
      const left = end - Date.now();
      if (left <= 0) return false;
      await this.wait(left);
    }
    return true;
  }

  /** Nothing may arrive for `ms` (EVENT frames aside when `skipEvents`): throws a Mismatch with what came. */
  async quiet(what: string, ms: number, skipEvents = true): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) return;
      const d = this.items.shift();
      if (d) {
        if (skipEvents && d.ok && d.frame.type === 'EVENT') continue;
        throw new Mismatch(what, d.ok ? show(d.frame) : `an undecodable line (${d.message})`);
      }
      if (this.isClosed) return;
      await this.wait(left);
    }
  }

  /** Closes this end. */
  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}
