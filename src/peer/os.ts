import { constants } from 'node:os';

/** The operating system as the peer roles see it: a seam tests can replace. */
export interface PeerOs {
  now(): number;
  /** True while a process with this pid exists (signal 0). */
  isAlive(pid: number): boolean;
  /** Sends a signal; ignores a process that is already gone. */
  kill(pid: number, signal: NodeJS.Signals): void;
  pid: number;
}

/** The real operating system. */
export const realOs: PeerOs = {
  now: () => Date.now(),
  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: it exists but belongs to someone else.
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  kill(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, constants.signals[signal] ?? signal);
    } catch {
      /* already gone */
    }
  },
  pid: process.pid,
};

/** Waits until `pid` is gone or `timeoutMs` passes; resolves true when it is gone. */
export async function waitGone(os: PeerOs, pid: number, timeoutMs: number): Promise<boolean> {
  const end = os.now() + timeoutMs;
  while (os.isAlive(pid)) {
    if (os.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
