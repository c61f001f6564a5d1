// The demo as a user starts it: dist/cli.js built from the sources, in a process group of its own (as a
// shell job is), with TMPDIR pointing at a scratch dir so everything it leaves behind can be seen.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtDist } from '../support/action-runner.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DemoProcess {
  child: ChildProcess;
  /** The scratch TMPDIR the demo makes its HERMES_HOME in. */
  tmp: string;
  /** stdout and stderr as read so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears in stdout or stderr; rejects after `ms` or when the demo exits first. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Resolves with the exit code (or 128 + the signal) once the demo has exited; rejects after `ms`. */
  exited(ms?: number): Promise<number>;
}

/** Starts `node dist/cli.js demo ...args`; the test's `after` kills whatever is left and removes the scratch dir. */
export function startDemo(t: { after(fn: () => Promise<void>): void }, args: string[], opts: { cwd?: string; cli?: string } = {}): DemoProcess {
  const tmp = mkdtempSync(join(tmpdir(), 'hh-demo-'));
  const cli = opts.cli ?? join(builtDist(), 'cli.js');
  const child = spawn(process.execPath, [cli, 'demo', ...args], {
    cwd: opts.cwd ?? tmp,
    env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (b: Buffer) => ((out += b.toString('utf8')), poke()));
  child.stderr!.on('data', (b: Buffer) => ((err += b.toString('utf8')), poke()));
  child.stdout!.on('error', () => {});
  const exit = new Promise<number>((resolve) => child.once('exit', (code, signal) => (resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)), poke())));
  t.after(async () => {
    // Only a failed test leaves anything: kill it, wait (bounded) until it is gone, then remove the dir it wrote in.
    const end = Date.now() + 5_000;
    for (let left = leftovers(child.pid!, tmp); left.length > 0 && Date.now() < end; left = leftovers(child.pid!, tmp)) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(tmp, { recursive: true, force: true });
  });
  return {
    child,
    tmp,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no ${pattern} within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`))), ms);
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the demo exited before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 30_000) {
      return Promise.race([exit, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`the demo did not exit within ${ms} ms; stderr:\n${err}`)), ms).unref())]);
    },
  };
}

/**
 * Live processes the demo left: any in its process group, and any whose command line names its
 * scratch TMPDIR (the gateways run with --home in it; green runs in a session of its own). Read with ps.
 */
export function leftovers(pgid: number, tmp: string): number[] {
  const r = spawnSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ps failed: ${r.stderr}`);
  const out: number[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[3]!.startsWith('Z')) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    if (Number(m[2]) === pgid || m[4]!.includes(tmp)) out.push(pid);
  }
  return out;
}

/** What is left in the scratch TMPDIR (the demo's HERMES_HOME would be a hermes-demo-* dir there). */
export function tmpEntries(tmp: string): string[] {
  return readdirSync(tmp);
}

/** A copy of the repository as a clone holds it (tracked files, dist/ as the build makes it from these sources), with no node_modules; removed after the test. */
export function cloneWithoutNodeModules(t: { after(fn: () => void): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'hh-clone-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const clone = join(base, 'hermes-handoff');
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '' && !f.startsWith('dist/'));
  for (const f of tracked) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(ROOT, f), join(clone, f));
  }
  cpSync(builtDist(), join(clone, 'dist'), { recursive: true });
  // Nothing the copy could load a package from.
  assert.throws(() => createRequire(join(clone, 'dist', 'cli.js')).resolve('zod'));
  assert.ok(!existsSync(join(clone, 'node_modules')));
  return clone;
}
