// The action as a runner starts it (`node dist/index.js` with INPUT_* variables), promoting the
// reference gateway through the harness sshd; the connections sshd accepted during the run are counted.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Sshd } from '../test/support/sshd.ts';

/** What one run of the action did. */
export interface ActionRun {
  exitCode: number | null;
  /** Step outputs, by name. */
  outputs: Record<string, string>;
  /** TCP connections sshd logged during the run ("Connection from"). */
  connections: number;
  /** Of those, the ones that authenticated ("Accepted publickey"). */
  authenticated: number;
  wallMs: number;
  /** The action's stdout and stderr, for a failure message. */
  log: string;
}

/** The environment a runner gives `node dist/index.js`: this process's env without INPUT_/GITHUB_/RUNNER_ variables, plus `inputs`. */
export function runnerEnv(inputs: Record<string, string>, files: { output: string; summary: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|HERMES_)/.test(k)) env[k] = v;
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  env.GITHUB_OUTPUT = files.output;
  env.GITHUB_STEP_SUMMARY = files.summary;
  return env;
}

/** The action's inputs to promote the gateway at `home` through `s`. */
export function promoteInputs(s: Sshd, home: string, greenCommand: string, release: string): Record<string, string> {
  return {
    mode: 'promote',
    transport: 'ssh',
    host: '127.0.0.1',
    port: String(s.port),
    username: s.username,
    'private-key': s.clientKey,
    'host-fingerprint': s.hostFingerprint,
    'hermes-home': home,
    'green-command': greenCommand,
    release,
    runtime: 'claw',
    'bake-seconds': '1',
    'timeout-seconds': '300',
    'target-name': 'bench',
    // The bench measures the handover and the SSH connections; no window after it, so the old blue exits.
    'observe-seconds': '0',
  };
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIM` blocks, or `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== delim) body.push(lines[i] ?? '');
      out[name] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** Runs `node <index>` from `scratch` with the runner's environment and counts sshd's connections during the run. */
export async function runActionOnce(s: Sshd, index: string, inputs: Record<string, string>, scratch: string, timeoutMs: number): Promise<ActionRun> {
  mkdirSync(scratch, { recursive: true });
  const files = { output: join(scratch, 'github_output'), summary: join(scratch, 'step_summary.md') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const before = await s.log();
  const t0 = performance.now();
  const { code, log } = await new Promise<{ code: number | null; log: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [index], { cwd: scratch, env: runnerEnv(inputs, files), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (text += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, log: text });
    });
  });
  const wallMs = performance.now() - t0;
  // sshd may log the session's end a moment after the client exits; the counted lines come at its start
  const during = (await s.log()).slice(before.length);
  return {
    exitCode: code,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    connections: count(during, /Connection from 127\.0\.0\.1 port \d+/g),
    authenticated: count(during, /Accepted publickey for /g),
    wallMs,
    log,
  };
}
