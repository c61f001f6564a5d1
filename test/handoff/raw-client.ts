// A bare protocol client for the tests: sends any frame, reads frames in order, sees the close.
import { createConnection, type Socket } from 'node:net';
import { FrameConn } from '../../src/peer/conn.ts';
import type { Frame, Outgoing } from '../../src/protocol/frames.ts';

export interface RawClient {
  send(frame: Outgoing): void;
  /** The next frame, 'closed' once blue closed the connection (after its last frame), or throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Frame | 'closed'>;
  close(): void;
}

/** Connects to the Unix socket at `path`. */
export async function rawClient(path: string): Promise<RawClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  const queue: (Frame | 'closed')[] = [];
  let wake: (() => void) | null = null;
  const conn = new FrameConn(socket, (d) => {
    if (!d.ok) throw new Error(`blue sent a frame that does not decode: ${d.message}`);
    queue.push(d.frame);
    wake?.();
  });
  void conn.closedPromise().then(() => {
    queue.push('closed');
    wake?.();
  });
  return {
    send: (f) => void conn.send(f),
    async next(timeoutMs = 5_000) {
      const by = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (Date.now() >= by) throw new Error(`no frame and no close within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.max(1, by - Date.now()));
        });
        wake = null;
      }
      const f = queue[0]!;
      if (f !== 'closed') queue.shift();
      return f;
    },
    close: () => conn.destroy(),
  };
}
