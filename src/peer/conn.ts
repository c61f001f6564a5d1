import type { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder, type Decoded } from '../protocol/framing.ts';
import type { Frame, Outgoing } from '../protocol/frames.ts';

/** How long a closing connection may take to flush before it is destroyed. */
export const CLOSE_BOUND_MS = 1_000;

const realAfter = (ms: number, fn: () => void) => setTimeout(fn, ms).unref();

/** A protocol connection over any byte stream: NDJSON frames in, frames out. */
export class FrameConn {
  private readonly decoder = new FrameDecoder();
  private closed = false;
  private readonly closeWaiters: Array<() => void> = [];

  /** Wraps `stream`; `onDecoded` gets every frame or decode error in order; `after` is the clock that bounds a close. */
  constructor(
    readonly stream: Duplex,
    private readonly onDecoded: (d: Decoded) => void,
    private readonly after: (ms: number, fn: () => void) => unknown = realAfter,
  ) {
    stream.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      for (const d of this.decoder.push(chunk)) {
        if (this.closed) return;
        this.onDecoded(d);
      }
    });
    const done = () => this.markClosed();
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  }

  /** True once either side closed the stream. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one frame; a no-op on a closed connection. Returns false if it was not sent. */
  send(frame: Outgoing): boolean {
    if (this.closed || this.stream.destroyed) return false;
    this.stream.write(encodeFrame(frame));
    return true;
  }

  /** Sends a frame (if any), then closes once it is flushed, and destroys after a short bound. */
  close(last?: Outgoing): void {
    if (this.closed) return;
    if (last) this.send(last);
    this.markClosed();
    this.stream.end();
    // A peer that never reads must not keep the connection alive.
    this.after(CLOSE_BOUND_MS, () => this.stream.destroy());
  }

  /** Destroys the stream at once. */
  destroy(): void {
    this.markClosed();
    this.stream.destroy();
  }

  /** Resolves when the connection is closed. */
  closedPromise(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.closeWaiters.splice(0)) w();
  }
}

/** Narrows a frame to one type. */
export function isType<T extends Frame['type']>(f: Frame, t: T): f is Extract<Frame, { type: T }> {
  return f.type === t;
}
