import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult, Host } from '../host.ts';

const MAX_OUTPUT = 1024 * 1024;

/** Keeps the last `MAX_OUTPUT` bytes of a stream. */
function collector() {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(b: Buffer) {
      chunks.push(b);
      size += b.length;
      while (size > MAX_OUTPUT && chunks.length > 1) size -= chunks.shift()!.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    reset: () => {
      chunks = [];
      size = 0;
    },
  };
}

/** The host is this machine: argv runs without a shell, the socket is opened directly. */
export class LocalHost implements Host {
  readonly kind = 'local' as const;
  private readonly sockets = new Set<Duplex>();

  /** Runs argv directly (no shell) and resolves with its exit status and output. */
  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    if (!cmd) return Promise.reject(new Error('exec: empty argv'));
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out = collector();
      const err = collector();
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.stdin.on('error', () => {});
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${cmd} did not finish within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${cmd}: ${e.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: out.text(), stderr: err.text() });
      });
      child.stdin.end(opts.stdin ?? '');
    });
  }

  /** Connects to the Unix socket at `path`. */
  openSocket(path: string, timeoutMs: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => {});
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`${path}: ${e.code === 'ENOENT' ? 'no socket there' : e.code === 'ECONNREFUSED' ? 'nothing listening' : e.message}`));
      });
    });
  }

  /** Closes every socket this host opened. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
