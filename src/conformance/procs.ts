import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { realOs, waitGone } from '../peer/os.ts';

/** A process of ours, started and stopped by pid. */
export interface Proc {
  readonly pid: number;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** The exit code once it exited, else undefined. */
  exitCode(): number | null | undefined;
  /** SIGKILL (its process group too, for a green started in its own group) and wait until it is gone. */
  kill(): Promise<void>;
}

function wrap(child: ChildProcess, group: boolean): Proc {
  if (!child.pid) throw new Error('could not start a process');
  const pid = child.pid;
  let code: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (c) => {
      code = c;
      r(c);
    }),
  );
  return {
    pid,
    exited,
    exitCode: () => code,
    async kill() {
      if (group) realOs.kill(-pid, 'SIGKILL');
      realOs.kill(pid, 'SIGKILL');
      await waitGone(realOs, pid, 5_000);
    },
  };
}

/**
 * A process that does nothing until it is killed. Its pid stands in for a green (or a blue) the
 * driver plays itself: the implementation under test watches that pid and may signal it, so the
 * driver never hands out its own pid.
 */
export function spawnStandIn(): Proc {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  child.unref();
  return wrap(child, false);
}

/**
 * Starts `command` with /bin/sh in a process group of its own (so it and whatever it starts can be
 * stopped together), with `env` on top of this process's environment minus every HERMES_* variable,
 * output appended to `log`. The handoff's values travel in the environment, never in the command.
 */
export function spawnCommand(command: string, env: Record<string, string>, log: string): Proc {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERMES_')) base[k] = v;
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...base, ...env }, stdio: ['ignore', fd, fd], detached: true });
    child.unref();
    return wrap(child, true);
  } finally {
    closeSync(fd);
  }
}
