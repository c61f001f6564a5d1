import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { LAUNCH_SCRIPT } from '../../src/handoff/remote/scripts.ts';
import type { ExecOptions, ExecResult, Host } from '../../src/host/host.ts';
import { realOs, waitGone } from '../../src/peer/os.ts';

/** The command that runs this same CLI again (dist/cli.js, or src/cli.ts under tsx). */
export function selfCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script is running');
  return [process.execPath, ...process.execArgv, script];
}

/** Starts a child with stdout and stderr appended to `logPath`. */
export function spawnLogged(argv: string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a', 0o600);
  try {
    return spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/** Starts a child in a process group of its own (so a Ctrl-C reaches the demo, which stops it), stdout and stderr appended to `logPath`. */
export function spawnGroupLeader(argv: string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a', 0o600);
  try {
    return spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
}

/**
 * The live (not zombie) processes of process group `pgid`, read from /proc. A group whose members
 * have all exited may still hold zombies until their parent reaps them: those do not count.
 */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc: signal 0 to the group says whether anything (zombies included) is left.
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      // Fields after the command name (in parentheses, which may hold anything): state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Signals every process of group `pgid`; a group already gone is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in it
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to each group, SIGKILL to what is left after `graceMs`; resolves when no live process is left in any (or after the kill's own wait). */
export async function stopGroups(pgids: Iterable<number>, graceMs = 3_000): Promise<void> {
  const groups = [...new Set(pgids)].filter((g) => g > 1 && g !== process.pid);
  for (const g of groups) signalGroup(g, 'SIGTERM');
  const waitEmpty = async (ms: number) => {
    const end = Date.now() + ms;
    while (groups.some((g) => groupMembers(g).length > 0)) {
      if (Date.now() >= end) return false;
      await sleep(20);
    }
    return true;
  };
  if (await waitEmpty(graceMs)) return;
  for (const g of groups) signalGroup(g, 'SIGKILL');
  await waitEmpty(2_000);
}

/**
 * The host as the demo gives it to the engine: this machine, but every command runs with TMPDIR in the
 * demo's own temp dir (so a file the launch leaves, like green's env file when green is killed before
 * it removes it, goes with that dir), every green the launch script starts (in a session and process
 * group of its own, which the launch prints) is recorded, and once the demo stops no new command
 * starts, so nothing it launched can outlive it.
 */
export class DemoHost implements Host {
  readonly kind = 'local' as const;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly inner: Host,
    /** The directory every command gets as TMPDIR. */
    private readonly tmp: string,
    /** Called with the process group of every green launched. */
    private readonly onGroup: (pgid: number) => void,
  ) {}

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    if (this.stopping) return Promise.reject(new Error('the demo is stopping'));
    const p = this.inner.exec(['env', `TMPDIR=${this.tmp}`, ...argv], opts).then((r) => {
      // The launch prints green's pid, which setsid made the leader of its own group.
      if (argv[2] === LAUNCH_SCRIPT) {
        const pid = Number.parseInt(r.stdout.trim().split('\n').pop() ?? '', 10);
        if (Number.isInteger(pid) && pid > 1) this.onGroup(pid);
      }
      return r;
    });
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  openSocket(path: string, timeoutMs: number): Promise<Duplex> {
    if (this.stopping) return Promise.reject(new Error('the demo is stopping'));
    return this.inner.openSocket(path, timeoutMs);
  }

  /** Starts no command any more, and waits (at most `ms`) for those under way, so a launch in flight is recorded before the groups are stopped. */
  async quiesce(ms = 5_000): Promise<void> {
    this.stopping = true;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(ms)]);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Everything one demo run started, stopped exactly once (at its end, on a signal, on a closed pipe):
 * no new command, every process group (blue's, each green's) stopped, the host and the platform
 * closed, the temp dir removed. `stop()` may be called any number of times; each waits for the one stop.
 */
export class DemoResources {
  dir: string | null = null;
  keep = false;
  platform: { close(): Promise<void> } | null = null;
  host: DemoHost | null = null;
  readonly groups = new Set<number>();
  private stopped: Promise<void> | null = null;

  /** Throws once stopping has begun: the demo starts nothing after that. */
  guard(): void {
    if (this.stopped) throw new Error('the demo was stopped');
  }

  get stopping(): boolean {
    return this.stopped !== null;
  }

  stop(): Promise<void> {
    return (this.stopped ??= this.stopOnce());
  }

  /** The last resort on a second signal: SIGKILL every group and remove the temp dir, now. */
  kill(): void {
    for (const g of this.groups) signalGroup(g, 'SIGKILL');
    if (this.dir && !this.keep) rmSync(this.dir, { recursive: true, force: true });
  }

  private async stopOnce(): Promise<void> {
    await this.host?.quiesce().catch(() => undefined);
    await stopGroups(this.groups);
    await this.host?.close().catch(() => undefined);
    await this.platform?.close().catch(() => undefined);
    if (this.dir && !this.keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Reads a pid file, or null. */
export function readPidFile(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every pid is gone. */
export async function stopAll(pids: Iterable<number>, graceMs = 3_000): Promise<void> {
  const list = [...new Set(pids)].filter((p) => p > 0 && realOs.isAlive(p));
  for (const p of list) realOs.kill(p, 'SIGTERM');
  await Promise.all(
    list.map(async (p) => {
      if (!(await waitGone(realOs, p, graceMs))) {
        realOs.kill(p, 'SIGKILL');
        await waitGone(realOs, p, 2_000);
      }
    }),
  );
}
