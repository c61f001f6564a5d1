import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, isSocket } from './files.ts';

/** Resolves true when something accepts connections at `path` within `timeoutMs`. */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Listens on a fresh, unique path beside `socketPath` (0600, in a 0700 directory) and
 * renames it over `socketPath`: an atomic takeover. Because the server was bound under
 * its own name, closing it later never unlinks whoever owns `socketPath` by then.
 * With `takeover` false it refuses when a live listener already answers at `socketPath`.
 */
export async function listenAt(socketPath: string, onConnection: (s: Socket) => void, takeover: boolean): Promise<Server> {
  const dir = dirname(socketPath);
  ensurePrivateDir(dir);
  if (!takeover && isSocket(socketPath) && (await socketAnswers(socketPath))) {
    throw new Error(`another process is already listening on ${socketPath}`);
  }
  const fresh = join(dir, `.hs.${process.pid}.${randomBytes(3).toString('hex')}`);
  const server = createServer({ allowHalfOpen: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(fresh, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(fresh, 0o600);
  renameSync(fresh, socketPath);
  return server;
}
