import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts', 'gen-inputs-table.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: root });

test('docs/inputs.md is up to date with action.yml', () => {
  const r = run('--check');
  assert.equal(r.status, 0, `${r.stderr}\nrun: node scripts/gen-inputs-table.mjs`);
});

test('--check fails on a stale table, and a rewrite fixes it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-inputs-table-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const action = join(dir, 'action.yml');
  const out = join(dir, 'inputs.md');
  copyFileSync(join(root, 'action.yml'), action);
  copyFileSync(join(root, 'docs', 'inputs.md'), out);
  assert.equal(run('--check', '--action', action, '--out', out).status, 0);

  writeFileSync(action, readFileSync(action, 'utf8').replace('The SSH port, an integer 1-65535.', 'The SSH port | a number.'));
  const stale = run('--check', '--action', action, '--out', out);
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /out of date/);

  assert.equal(run('--action', action, '--out', out).status, 0);
  assert.equal(run('--check', '--action', action, '--out', out).status, 0);
  const table = readFileSync(out, 'utf8');
  assert.match(table, /\| `port` \| `22` \| The SSH port \\\| a number\. Default 22\. \|/);
});

test('the table lists every input and output of action.yml', () => {
  const table = readFileSync(join(root, 'docs', 'inputs.md'), 'utf8');
  for (const name of ['mode', 'private-key', 'green-env', 'timeout-seconds', 'failure-label']) assert.match(table, new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  for (const name of ['verdict', 'timeline', 'checks']) assert.match(table, new RegExp(`^\\| \`${name}\` \\|`, 'm'));
});
