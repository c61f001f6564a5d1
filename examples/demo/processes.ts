import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
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
