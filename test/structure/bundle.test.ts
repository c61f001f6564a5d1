// The product bundle: what a runner loads for the action holds none of the examples and stays under
// 1 MB; the examples are their own bundle, which dist/cli.js loads at run time for their commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { buildDist, EXAMPLE_ENTRIES } from '../../scripts/build.mjs';
import { runnerBytes } from '../../bench/dist-size.ts';

const dir = mkdtempSync(join(tmpdir(), 'hh-bundle-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const meta: Metafile = await buildDist(dir);
// The metafile names outputs relative to the working directory; key them by their path inside dir.
const outputs = new Map(Object.entries(meta.outputs).map(([k, v]) => [relative(dir, resolve(k)), v]));

/** Every output file `entries` load (static imports and import() alike), by path inside dir. */
function loaded(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    const out = outputs.get(f);
    assert.ok(out, `${f} is not an output`);
    seen.add(f);
    for (const i of out.imports) if (!i.external) visit(relative(dir, resolve(i.path)));
  };
  entries.forEach(visit);
  return seen;
}

/** The source files bundled into `files`. */
const inputsOf = (files: Set<string>) => [...files].flatMap((f) => Object.keys(outputs.get(f)?.inputs ?? {}));

test('dist/index.js, dist/post.js, dist/cli.js and every chunk they load contain nothing of examples/', () => {
  for (const entry of ['index.js', 'post.js', 'cli.js']) {
    const files = loaded([entry]);
    const leaked = inputsOf(files).filter((i) => i.startsWith('examples/'));
    assert.deepEqual(leaked, [], `${entry} bundles example code`);
  }
});

test('the examples are their own entries under dist/examples/, holding the gateway and the fake platform', () => {
  for (const name of Object.keys(EXAMPLE_ENTRIES)) assert.ok(existsSync(join(dir, `${name}.js`)), `${name}.js`);
  const inputs = inputsOf(loaded(Object.keys(EXAMPLE_ENTRIES).map((n) => `${n}.js`)));
  for (const src of ['examples/gateway/gateway.ts', 'examples/gateway/platform/server.ts', 'examples/demo/demo.ts']) assert.ok(inputs.includes(src), src);
});

test('what a runner loads for the action is under 1 MB, without the modules left out', () => {
  const files = loaded(['index.js', 'post.js']);
  const bytes = [...files].reduce((n, f) => n + (outputs.get(f)?.bytes ?? 0), 0);
  assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  // The bench reads the same figure from the built files alone.
  assert.equal(runnerBytes(dir).total, bytes);
  const inputs = inputsOf(files);
  for (const gone of [/node_modules\/undici\//, /node_modules\/@actions\/http-client\//, /node_modules\/@actions\/exec\//, /node_modules\/zod\/v4\/locales\/(?!en\.js)/, /node_modules\/octokit\//, /node_modules\/@octokit\/(app|oauth-app|webhooks)\//, /node_modules\/ssh2\/lib\/(server|http-agents|keygen)\.js$/]) {
    assert.deepEqual(inputs.filter((i) => gone.test(i)), [], String(gone));
  }
});

test('dist/cli.js runs the examples from dist/examples/ (demo, fake-platform)', () => {
  const cli = join(dir, 'cli.js');
  const help = spawnSync(process.execPath, [cli, 'fake-platform', '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: fake-platform/);
  const bad = spawnSync(process.execPath, [cli, 'demo', '--no-such-flag'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /usage: demo/);
  const engine = spawnSync(process.execPath, [cli, 'status', '--bake-seconds', 'soon'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(engine.status, 2);
  assert.match(engine.stderr, /--bake-seconds: expected a number of seconds/, 'the CLI names its flags');
});
