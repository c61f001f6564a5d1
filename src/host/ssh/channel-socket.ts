import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';

/**
 * An SSH channel seen as a socket: data both ways, 'end' then 'close' when the far side (or the connection)
 * goes away, destroy() closes the channel. Like net.Socket, it ends its writable side when the readable side
 * ends (allowHalfOpen false). `onGone` runs once when the channel is closed, whoever closed it.
 */
export class ChannelSocket extends Duplex {
  private gone = false;
  private ended = false;
  private pendingWrite: (() => void) | null = null;

  constructor(
    private readonly channel: ClientChannel,
    private readonly onGone: () => void = () => {},
  ) {
    super({ allowHalfOpen: false });
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.on('end', () => this.endReadable());
    channel.on('close', () => this.markGone());
    channel.on('error', (err: Error) => this.destroy(err));
    channel.on('drain', () => this.flushPending());
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.gone) {
      cb(new Error('write to a closed SSH channel: the far side of the socket has gone'));
      return;
    }
    if (this.channel.write(chunk)) cb();
    else this.pendingWrite = () => cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.gone) {
      try {
        this.channel.end();
      } catch {
        // the connection is already gone; nothing to half-close
      }
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.gone) {
      try {
        this.channel.close();
      } catch {
        // the connection is already gone
      }
    }
    this.markGone();
    cb(err);
  }

  private endReadable(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  private flushPending(): void {
    const done = this.pendingWrite;
    this.pendingWrite = null;
    done?.();
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.endReadable();
    this.flushPending();
    this.onGone();
  }
}
