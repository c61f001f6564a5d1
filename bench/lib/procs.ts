// The processes the bench starts: every pid is tracked so that none outlives the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { stopAll } from '../../examples/demo/processes.ts';
import { realOs } from '../../src/peer/os.ts';

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** True while `pid` exists. */
export const isAlive = (pid: number): boolean => realOs.isAlive(pid);

/** Reads a pid file; null when it is missing or not a pid. */
export function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The set of processes this run started (directly or through a launcher); stopAll() ends every one. */
export class Procs {
  private readonly pids = new Set<number>();

  /** Remembers `pid` (ignores null) so stopAll() ends it. */
  track(pid: number | null | undefined): void {
    if (pid && pid > 0) this.pids.add(pid);
  }

  /** Spawns argv with stdout and stderr appended to `logPath` (stdin closed), tracked. */
  spawnLogged(argv: readonly string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
    const fd = openSync(logPath, 'a', 0o600);
    try {
      const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd] });
      this.track(child.pid);
      child.once('exit', () => child.pid && this.pids.delete(child.pid));
      return child;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Also tracks every process whose command line contains `marker` (the run's own mkdtemp path, so it
   * matches only what this run started): catches a green launched mid-promotion when the run is interrupted.
   */
  trackByMarker(marker: string): void {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) this.track(Number(name));
      } catch {
        // exited while we looked
      }
    }
  }

  /** Forgets the pids that are gone, so a later pid reuse is never signalled. */
  prune(): void {
    for (const pid of this.pids) if (!isAlive(pid)) this.pids.delete(pid);
  }

  /** SIGTERM to one tracked pid, SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(pid: number, graceMs = 5_000): Promise<void> {
    await stopAll([pid], graceMs);
    this.pids.delete(pid);
  }

  /** Ends every tracked process that is still alive (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    const list = [...this.pids];
    this.pids.clear();
    await stopAll(list, 3_000);
  }
}
