// Runs the agent's Python unit tests (test/host-agent/test_agent.py) with the machine's python3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

test('host agent: Python unit tests (parsing, validation, bounded reads, relay)', (t) => {
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    if (process.env.CI === 'true') throw new Error('python3 is needed for the host agent tests: apt-get install -y python3');
    t.skip('python3 is not installed');
    return;
  }
  const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', join(ROOT, 'test', 'host-agent'), '-p', 'test_*.py', '-v'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const ran = /Ran (\d+) tests?/.exec(r.stderr)?.[1];
  t.diagnostic(`${probe.stdout.trim()}: ran ${ran ?? '?'} tests`);
  assert.equal(r.status, 0, r.stderr.slice(-8000));
  assert.ok(Number(ran) >= 20, `expected the whole suite, ran ${ran}`);
});
