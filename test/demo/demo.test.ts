// The demo's output and exit status: --json prints the JSON result alone (and writes it to a file),
// one dark-window figure (the platform's), labelled for what it is; exit like the action unless
// --expect names the verdict; and the README's first command works from a clone with no node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtDist } from '../support/action-runner.ts';
import { cloneWithoutNodeModules, startDemo } from './demo-process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FAST = ['--init-ms', '300', '--bake-ms', '1500', '--rate', '30'];

/** The one JSON line of a --json run. */
function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `stdout should hold one line, the JSON result:\n${stdout}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('--json: stdout holds only the JSON result, which also goes to .tmp/demo.json; progress goes to stderr', { timeout: 60_000 }, async (t) => {
  const d = startDemo(t, ['--json', ...FAST]);
  assert.equal(await d.exited(), 0, d.stderr());
  const r = onlyJson(d.stdout());
  assert.equal(r.verdict, 'promoted');
  assert.equal(r.served_by, 'green');
  assert.deepEqual([r.lost, r.duplicated, r.conflicts], [0, 0, 0]);
  // One dark-window figure: the platform's switch gap at the handover.
  assert.equal(typeof r.dark_window_ms, 'number');
  assert.ok(!('host_dark_window_ms' in r));
  assert.match(d.stderr(), /phase baking/);
  assert.match(d.stderr(), /demo: the JSON result is also in \.tmp\/demo\.json/);
  assert.equal(readFileSync(join(d.tmp, '.tmp', 'demo.json'), 'utf8'), d.stdout());
});

test('a fault that ends rolled-back exits 1 like the action, naming --expect; --expect rolled-back exits 0', { timeout: 90_000 }, async (t) => {
  const plain = startDemo(t, ['--fault', 'error-burst', ...FAST]);
  assert.equal(await plain.exited(), 1, plain.stderr());
  assert.match(plain.stdout(), /^verdict: rolled-back: error rate/m);
  assert.match(plain.stderr(), /the run ended rolled-back, which fails the action too \(--expect rolled-back if that is what you wanted\)/);

  const expected = startDemo(t, ['--fault', 'error-burst', '--expect', 'rolled-back', '--json', '--json-file', 'out/r.json', ...FAST]);
  assert.equal(await expected.exited(), 0, expected.stderr());
  assert.equal(onlyJson(expected.stdout()).verdict, 'rolled-back');
  assert.ok(existsSync(join(expected.tmp, 'out', 'r.json')));

  const wrong = startDemo(t, ['--expect', 'rolled-back', ...FAST]);
  assert.equal(await wrong.exited(), 1);
  assert.match(wrong.stderr(), /demo: expected rolled-back, the run ended promoted/);
});

test('--fault hang: the handover dark window and the rollback gap are each labelled for what they are', { timeout: 90_000 }, async (t) => {
  const d = startDemo(t, ['--fault', 'hang', '--expect', 'rolled-back', '--json-file', 'r.json', ...FAST]);
  assert.equal(await d.exited(), 0, d.stderr());
  const r = JSON.parse(readFileSync(join(d.tmp, 'r.json'), 'utf8')) as { dark_window_ms: number; switch_gap_ms: number };
  const line = d.stdout().split('\n').find((l) => l.startsWith('served by ')) ?? '';
  assert.ok(line.startsWith(`served by blue; dark window ${r.dark_window_ms} ms (on the platform: blue's last poll to green's first)`), line);
  // The rollback's gap is named as such, never shown as the dark window.
  const after = `; after that the longest gap at a change of poller was ${r.switch_gap_ms} ms (green's last poll to blue's first again, as blue took back)`;
  assert.equal(line.includes(after), r.switch_gap_ms > r.dark_window_ms, line);
});

test('bad flags exit 2 naming the flag; --help lists every flag', () => {
  const cli = join(builtDist(), 'cli.js');
  const bad = spawnSync(process.execPath, [cli, 'demo', '--expect', 'fine'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--expect: expected a verdict \(promoted, rolled-back/);
  const help = spawnSync(process.execPath, [cli, 'demo', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const f of ['--fault', '--expect', '--json', '--json-file', '--init-ms', '--bake-ms', '--rate', '--keep']) assert.ok(help.stdout.includes(f), f);
  const viaHelp = spawnSync(process.execPath, [cli, 'help', 'demo'], { encoding: 'utf8' });
  assert.equal(viaHelp.stdout, help.stdout);
});

test("the README's first command: node dist/cli.js demo works in a copy of the repository with no node_modules", { timeout: 90_000 }, async (t) => {
  const clone = cloneWithoutNodeModules(t);
  const d = startDemo(t, ['--json', ...FAST], { cwd: clone, cli: join(clone, 'dist', 'cli.js') });
  assert.equal(await d.exited(), 0, d.stderr());
  assert.equal(onlyJson(d.stdout()).verdict, 'promoted');
  const version = spawnSync(process.execPath, [join(clone, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout, `hermes-handoff ${pkg.version}\n`);
});

test('npm speaks (its banner, its errors); npm run -s demo -- --json gives clean JSON, and the file has it without -s', { timeout: 120_000 }, (t) => {
  const clone = cloneWithoutNodeModules(t);
  // As a user's shell runs it: no log level inherited from an npm this test may run under.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_loglevel$/i.test(k)));
  const npm = (args: string[]) => spawnSync('npm', args, { cwd: clone, encoding: 'utf8', env: { ...env, NO_COLOR: '1' } });
  const missing = npm(['run', 'nosuchscript']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Missing script: "nosuchscript"/);

  const silent = npm(['run', '-s', 'demo', '--', '--json', ...FAST]);
  assert.equal(silent.status, 0, silent.stderr);
  assert.equal(onlyJson(silent.stdout).verdict, 'promoted');

  const loud = npm(['run', 'demo', '--', '--json', ...FAST]);
  assert.equal(loud.status, 0, loud.stderr);
  assert.match(loud.stdout, /^> hermes-handoff@[^ ]+ demo$/m, "npm's own banner is back on stdout");
  assert.equal(onlyJson(readFileSync(join(clone, '.tmp', 'demo.json'), 'utf8')).verdict, 'promoted');
});
