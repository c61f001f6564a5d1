import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** The operating system as the peer roles see it: a seam tests can replace. */
export interface PeerOs {
  now(): number;
  /** True while a process with this pid exists and has not exited (signal 0; a zombie counts as dead). */
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
    } catch (e) {
      // EPERM: it exists but belongs to someone else.
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    return !isZombie(pid);
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

/**
 * True when `pid` has exited but was not reaped yet (Linux /proc; false where there is none).
 * Signal 0 still succeeds on a zombie, and an orphaned green's zombie lingers until init reaps
 * it (seconds under some container inits): it polls nothing and answers nothing, so it is dead.
 */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The state letter follows the command name, which is in parentheses and may contain anything.
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone or `timeoutMs` passes; resolves true when it is gone. */
export async function waitGone(os: PeerOs, pid: number, timeoutMs: number): Promise<boolean> {
  const end = os.now() + timeoutMs;
  while (os.isAlive(pid)) {
    if (os.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
