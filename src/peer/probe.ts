import { ObserverClient } from './observer.ts';
import { sleep, type PeerOs } from './os.ts';

/** Resolves true when something accepts a connection at `path` within `timeoutMs`. */
export async function socketAnswers(os: PeerOs, path: string, timeoutMs: number): Promise<boolean> {
  const attempt = os.net.connect(path).then(
    (s) => {
      s.destroy();
      return true;
    },
    () => false,
  );
  return Promise.race([attempt, sleep(os, timeoutMs).then(() => false)]);
}

/**
 * Who serves at `path`: connects as an observer with `token` and returns WELCOME's server_pid,
 * or null when nothing answers with a WELCOME within `timeoutMs` (refused, closed, an ERROR, silence).
 */
export async function servingPid(os: PeerOs, path: string, token: string, timeoutMs: number, client: string): Promise<number | null> {
  const deadline = sleep(os, timeoutMs).then(() => null);
  const attempt = (async () => {
    const stream = await os.net.connect(path);
    const c = await ObserverClient.open(stream, token, timeoutMs, client, { pid: os.pid, after: os.after });
    const pid = c.welcome?.server_pid ?? null;
    c.close();
    return pid;
  })().catch(() => null);
  return Promise.race([attempt, deadline]);
}
