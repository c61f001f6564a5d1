// docs/architecture.md shows the import rules of scripts/layers.mjs and a graph of the real imports,
// both written by scripts/gen-architecture.mjs: the test fails when either is stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'scripts', 'gen-architecture.mjs'), ...args], { encoding: 'utf8', cwd: root });

test('docs/architecture.md is up to date with the code and scripts/layers.mjs', () => {
  const r = run('--check');
  assert.equal(r.status, 0, `${r.stderr}\nrun: node scripts/gen-architecture.mjs`);
});

test('--check fails on a stale graph or rules table, and a rewrite fixes it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-arch-doc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'architecture.md');
  copyFileSync(join(root, 'docs', 'architecture.md'), doc);
  assert.equal(run('--check', '--out', doc).status, 0);

  // An arrow the code does not have, and a rule the layers do not say.
  const text = readFileSync(doc, 'utf8');
  for (const stale of [text.replace('  src_core --> src_protocol\n', '  src_core --> src_protocol\n  src_report --> src_forge\n'), text.replace('| `src/core` |', '| `src/core` | (edited) |')]) {
    assert.notEqual(stale, text);
    writeFileSync(doc, stale);
    const r = run('--check', '--out', doc);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /out of date/);
    assert.equal(run('--out', doc).status, 0);
    assert.equal(readFileSync(doc, 'utf8'), text);
  }
});

test('the graph has every part and no arrow the rules forbid (report never imports forge)', () => {
  const text = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const graph = text.slice(text.indexOf('<!-- generated:graph:start -->'), text.indexOf('<!-- generated:graph:end -->'));
  for (const part of ['src_core', 'src_run', 'src_app', 'src_cli', 'src_handoff', 'examples']) assert.match(graph, new RegExp(`^  ${part}\\[`, 'm'), part);
  assert.doesNotMatch(graph, /src_report --> src_forge/);
  assert.doesNotMatch(graph, /src_cli --> src_app/);
  assert.doesNotMatch(graph, /src_(cli_ts|main_ts|run|app|cli) --> examples/);
});
