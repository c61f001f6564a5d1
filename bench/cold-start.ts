// Cold start of the action: from spawning `node dist/index.js` to its first SSH connection, against
// the wall time of `node -e 0` on the same machine. A loopback TCP listener stands in for the host.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runnerEnv } from './ssh-run.ts';

/** Medians of both timings, and each run's figures. */
export interface ColdStart {
  actionMs: number[];
  nodeMs: number[];
}

/** Inputs that pass validation and point the action at 127.0.0.1:`port`. */
function inputs(port: number, key: string, fingerprint: string): Record<string, string> {
  return {
    mode: 'promote',
    transport: 'ssh',
    host: '127.0.0.1',
    port: String(port),
    username: 'bench',
    'private-key': key,
    'host-fingerprint': fingerprint,
    'hermes-home': '/nonexistent/hermes-bench',
    'green-command': 'true',
    release: 'cold-start',
    'target-name': 'bench',
    'connect-timeout-seconds': '5',
  };
}

/** Spawns `argv` and resolves with the ms until `until` fires (the child is then killed and reaped). */
function timeUntil(argv: string[], env: NodeJS.ProcessEnv, cwd: string, until: (child: ChildProcess) => Promise<void>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'ignore'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.slice(1).join(' ')}: not within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    until(child).then(
      async () => {
        const dt = performance.now() - t0;
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        resolve(dt);
      },
      (e: unknown) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e as Error);
      },
    );
  });
}

/** Runs `runs` interleaved pairs (`node -e 0`, the action up to its first connection) on the `node` binary, after one unmeasured pair. */
export async function measureColdStart(index: string, key: string, fingerprint: string, runs: number, scratch: string, node: string = process.execPath): Promise<ColdStart> {
  mkdirSync(scratch, { recursive: true });
  let onConn: ((s: Socket) => void) | null = null;
  const server: Server = createServer((sock) => {
    sock.on('error', () => {});
    const cb = onConn;
    onConn = null;
    cb?.(sock);
    sock.destroy();
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(0, '127.0.0.1', () => r());
  });
  const port = (server.address() as { port: number }).port;
  const files = { output: join(scratch, 'github_output'), summary: join(scratch, 'step_summary.md') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const env = runnerEnv(inputs(port, key, fingerprint), files);
  const result: ColdStart = { actionMs: [], nodeMs: [] };
  try {
    for (let i = 0; i <= runs; i++) {
      const bare = await timeUntil([node, '-e', '0'], env, scratch, (c) => new Promise((r) => c.once('exit', () => r())), 10_000);
      const action = await timeUntil(
        [node, index],
        env,
        scratch,
        (c) =>
          new Promise<void>((resolve, reject) => {
            onConn = () => resolve();
            c.once('exit', (code) => reject(new Error(`node ${index} exited (${code}) before connecting to 127.0.0.1:${port}`)));
          }),
        20_000,
      );
      onConn = null;
      if (i === 0) continue; // warms the page cache for both
      result.nodeMs.push(bare);
      result.actionMs.push(action);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  return result;
}
