import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import type { VerdictRecord } from '../protocol/frames.ts';
import { ensureToken, readToken, readVerdict, verdictState, writeVerdict, type VerdictState } from './files.ts';
import { listenAt } from './listen.ts';

/** Cancels a timer set with `PeerOs.after`; a no-op once it fired. */
export type Cancel = () => void;

/** A listening socket, as the peer roles hold it. */
export interface PeerListener {
  /** Stops accepting; connections already open stay. */
  close(): Promise<void>;
}

/** The socket namespace: listening with atomic takeover, and connecting. */
export interface PeerNet {
  /**
   * Binds a fresh path beside `socketPath` (0600, in a 0700 directory) and renames it over `socketPath`.
   * With `takeover` false it first refuses (throws) when a live listener answers at `socketPath`.
   */
  listen(socketPath: string, onConnection: (stream: Duplex) => void, takeover: boolean): Promise<PeerListener>;
  /** One connection attempt; rejects with an error whose `code` is ENOENT or ECONNREFUSED when nothing listens there. */
  connect(socketPath: string): Promise<Duplex>;
}

/** The files the peer roles read and write (protocol.md section 2). */
export interface PeerFiles {
  /** Returns the token beside the socket, writing a fresh one (0600) when there is none. */
  ensureToken(socketPath: string): string;
  /** The token beside the socket, or null. */
  readToken(socketPath: string): string | null;
  /** Writes handoff `record.handoff_id`'s verdict file atomically; throws when the disk refuses. */
  writeVerdict(home: string, record: VerdictRecord): void;
  /** Handoff `id`'s verdict record, or null when it is missing or unreadable. */
  readVerdict(home: string, id: string): VerdictRecord | null;
  /** Whether handoff `id` has a verdict file: null when none, else its verdict (or `unreadable`). */
  verdictState(home: string, id: string): VerdictState;
}

/** The operating system as the peer roles see it: the seam the in-process tests replace (clock, timers, processes, files, sockets). */
export interface PeerOs {
  /** This process's pid. */
  readonly pid: number;
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. Timers never keep the process alive. */
  after(ms: number, fn: () => void): Cancel;
  /** True while a process with this pid exists and has not exited (signal 0; a zombie counts as dead). */
  isAlive(pid: number): boolean;
  /** Sends a signal; ignores a process that is already gone. */
  kill(pid: number, signal: NodeJS.Signals): void;
  /** This process's resident memory, in bytes (the standby reports it in STANDBY_STATUS). */
  rss(): number;
  /** Keeps the process alive until the returned function is called (the standby holds no listener that would). */
  hold(): Cancel;
  readonly files: PeerFiles;
  readonly net: PeerNet;
}

/** The real operating system. */
export const realOs: PeerOs = {
  pid: process.pid,
  now: () => Date.now(),
  after(ms: number, fn: () => void): Cancel {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
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
  rss: () => process.memoryUsage.rss(),
  hold(): Cancel {
    const t = setInterval(() => {}, 1 << 30);
    return () => clearInterval(t);
  },
  files: { ensureToken, readToken, writeVerdict, readVerdict, verdictState },
  net: {
    async listen(socketPath, onConnection, takeover) {
      const server = await listenAt(socketPath, onConnection, takeover);
      // An error after listening (EMFILE on accept) must not take the process down.
      server.on('error', () => {});
      return { close: () => new Promise<void>((r) => server.close(() => r())) };
    },
    connect(socketPath) {
      return new Promise((resolve, reject) => {
        const s = createConnection(socketPath);
        s.once('connect', () => {
          s.removeAllListeners('error');
          s.on('error', () => {});
          resolve(s);
        });
        s.once('error', (e) => {
          s.destroy();
          reject(e);
        });
      });
    },
  },
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

/** Resolves after `ms` on `os`'s clock. */
export function sleep(os: Pick<PeerOs, 'after'>, ms: number): Promise<void> {
  return new Promise((r) => void os.after(ms, r));
}

/** Waits until `pid` is gone or `timeoutMs` passes; resolves true when it is gone. */
export async function waitGone(os: PeerOs, pid: number, timeoutMs: number): Promise<boolean> {
  const end = os.now() + timeoutMs;
  while (os.isAlive(pid)) {
    if (os.now() >= end) return false;
    await sleep(os, 5);
  }
  return true;
}
