// The Python package's own checks, so the README's test command (npm test) covers them: its unittest
// suite (python/tests, the conformance vectors included) and mypy --strict over the package. Without
// python3 or mypy the tests skip with a clear message; under CI=true a missing one fails instead.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliBundle } from '../support/bundle.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CI = process.env.CI === 'true';

/** The first of `names` that runs (`--version` exits 0), or null. */
function findTool(names: string[]): string | null {
  for (const n of names) {
    const r = spawnSync(n, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return n;
  }
  return null;
}

/** Skips the test, or fails it under CI=true, when `tool` is missing. */
function need(t: TestContext, tool: string | null, what: string): tool is string {
  if (tool) return true;
  const msg = `${what} is not installed: the Python checks need it (Debian: apt-get install python3 mypy)`;
  if (CI) assert.fail(`${msg}; CI=true, so this fails instead of skipping`);
  t.skip(msg);
  return false;
}

/** Runs a command to its end (bounded), resolving with its exit code and output. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('python/tests pass under python3 -m unittest (the conformance vectors, the roles, the reference gateway end to end)', async (t) => {
  const python = findTool(['python3']);
  if (!need(t, python, 'python3')) return;
  // The end-to-end tests run the fake platform from a bundle built from the current sources.
  const cli = await cliBundle();
  assert.ok(existsSync(cli), cli);
  const env = { ...process.env, HERMES_HANDOFF_CLI: cli, PYTHONDONTWRITEBYTECODE: '1' };
  const r = await run(python, ['-m', 'unittest', 'discover', '-s', join('python', 'tests'), '-t', 'python'], env, 240_000);
  const tail = r.out.trimEnd().split('\n').slice(-40).join('\n');
  assert.equal(r.code, 0, `python3 -m unittest failed:\n${tail}`);
  const ran = /Ran (\d+) tests?/.exec(r.out);
  assert.ok(ran && Number(ran[1]) >= 70, `expected the whole suite to run:\n${tail}`);
  assert.doesNotMatch(r.out, /skipped=/, `no Python test may skip here (node and the bundle are present):\n${tail}`);
  t.diagnostic(r.out.trimEnd().split('\n').slice(-3).join(' | '));
});

test('mypy --strict passes over the package and the reference gateway', async (t) => {
  const mypy = findTool(['mypy', '/usr/bin/mypy']);
  if (!need(t, mypy, 'mypy')) return;
  const r = await run(mypy, ['--strict', '--no-incremental', join('python', 'hermes_handoff'), join('python', 'examples')], process.env, 240_000);
  assert.equal(r.code, 0, `mypy --strict failed:\n${r.out}`);
  assert.match(r.out, /Success: no issues found/);
});
