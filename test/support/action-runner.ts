// Runs the action exactly as a runner does: a built dist/ outside the repo, INPUT_* variables,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, no node_modules anywhere near it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let built: string | null = null;

/** Builds dist/ from the current sources into a temp dir (once per process); removed at exit. */
export function builtDist(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'hh-dist-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), dir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  built = dir;
  return dir;
}

let node24: string | null | undefined;

/** The path of a Node 24 binary from the node@24 npm package, or null when it cannot be had. */
export function node24Path(): string | null {
  if (node24 !== undefined) return node24;
  const r = spawnSync('npx', ['-y', '-p', 'node@24', 'node', '-e', 'process.stdout.write(process.execPath)'], { encoding: 'utf8', timeout: 240_000 });
  node24 = r.status === 0 && existsSync(r.stdout.trim()) ? r.stdout.trim() : null;
  return node24;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** The GITHUB_OUTPUT file as the action wrote it (duplicates and all). */
  outputFile: string;
  summary: string;
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIM` blocks and `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const m = /^([^=<]+)<<(.+)$/.exec(l);
    if (m) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]!);
      out[m[1]!] = body.join('\n');
    } else if (l.includes('=')) out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  }
  return out;
}

type RunOptions = { node?: string; env?: Record<string, string>; timeoutMs?: number };

/** Spawns dist/index.js as a runner does, from a fresh scratch dir; `done` resolves once it exited and the dir is gone. */
function spawnAction(inputs: Record<string, string>, opts: RunOptions): { pid: number; signal(s: NodeJS.Signals): void; done: Promise<ActionRun> } {
  const dist = builtDist();
  const work = mkdtempSync(join(tmpdir(), 'hh-runner-'));
  const outFile = join(work, 'output');
  const sumFile = join(work, 'summary');
  const eventFile = join(work, 'event.json');
  writeFileSync(outFile, '');
  writeFileSync(sumFile, '');
  writeFileSync(eventFile, JSON.stringify({ after: 'a'.repeat(40), head_commit: { message: 'Merge integration' } }));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GITHUB_OUTPUT: outFile,
    GITHUB_STEP_SUMMARY: sumFile,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REPOSITORY: 'acme/hermes',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_SERVER_URL: 'http://127.0.0.1:9',
    GITHUB_RUN_ID: '1',
    GITHUB_STATE: join(work, 'state'),
    ...opts.env,
  };
  writeFileSync(env.GITHUB_STATE!, '');
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(opts.node ?? process.execPath, [join(dist, 'index.js')], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const done = new Promise<number | null>((r) => child.once('close', (c) => r(c))).then((code) => {
    clearTimeout(timer);
    try {
      const outputFile = readFileSync(outFile, 'utf8');
      return { code, stdout, stderr, outputs: parseOutputFile(outputFile), outputFile, summary: readFileSync(sumFile, 'utf8') };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  return { pid: child.pid!, signal: (sig) => void child.kill(sig), done };
}

/** Runs dist/index.js with `inputs` (as INPUT_* variables) from an empty directory outside the repo. */
export function runActionAsRunner(inputs: Record<string, string>, opts: RunOptions = {}): Promise<ActionRun> {
  return spawnAction(inputs, opts).done;
}

/** A run of dist/index.js under way in the background (see startActionAsRunner). */
export interface ActionRunning {
  /** The action's process id. */
  pid: number;
  /** Sends `signal` to the action, as a runner does when the job is cancelled. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the action has exited (its temp dir is removed by then). */
  done: Promise<ActionRun>;
}

/** Starts dist/index.js like runActionAsRunner, without waiting: the caller may signal it mid-run. */
export function startActionAsRunner(inputs: Record<string, string>, opts: RunOptions = {}): ActionRunning {
  return spawnAction(inputs, opts);
}
