// The npm package of the CLI: publishable (not private), `hermes-handoff` as its bin, and files limited to
// what a user runs: dist/cli.js with its chunks and the examples' bundle, nothing of the sources, tests or
// docs. Unpacked with no node_modules anywhere, it runs the demo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneWithoutNodeModules, startDemo } from '../demo/demo-process.ts';

test('package.json is publishable for the CLI: no private flag, the bin, a files list', (t) => {
  const clone = cloneWithoutNodeModules(t);
  const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg.private, undefined);
  assert.deepEqual(pkg.bin, { 'hermes-handoff': 'dist/cli.js' });
  assert.ok(Array.isArray(pkg.files));
});

test('npm pack holds the CLI, its chunks and the examples, and nothing else; unpacked alone it runs', { timeout: 120_000 }, async (t) => {
  const clone = cloneWithoutNodeModules(t);
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', clone], { cwd: clone, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'dist/cli.js', 'dist/package.json', 'dist/examples/demo.js', 'dist/examples/example-gateway.js', 'dist/examples/fake-platform.js']) {
    assert.ok(files.includes(f), `${f} in the package`);
  }
  assert.deepEqual(files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/(cli\.js|package\.json|chunks\/[^/]+\.js|examples\/[^/]+\.js))$/.test(f)), []);

  const dir = mkdtempSync(join(tmpdir(), 'hh-unpacked-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('tar', ['-xzf', join(clone, packed[0]!.filename), '-C', dir]);
  const cli = join(dir, 'package', 'dist', 'cli.js');
  const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(version.stdout, `hermes-handoff ${(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  const d = startDemo(t, ['--json', '--init-ms', '300', '--bake-ms', '1500', '--rate', '30'], { cli });
  assert.equal(await d.exited(), 0, d.stderr());
  assert.match(d.stdout(), /^\{"verdict":"promoted",/);
});
