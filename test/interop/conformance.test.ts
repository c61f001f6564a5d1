// `hermes-handoff conformance` (src/conformance/) against both implementations: the Node and the Python
// reference gateways as blue (--drive blue) and as green (--drive green), every case passing; and
// against broken ones, so a failure is seen and said (expected what, got what), not passed over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { shellJoin } from '../../src/host/quote.ts';
import { pythonAvailable, World, type Impl } from './world.ts';

interface Run {
  code: number | null;
  lines: string[];
  stderr: string;
}

/** Runs the bundled CLI's conformance command (bounded), collecting its lines. */
function conformance(w: World, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [w.bundle, 'conformance', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.trimEnd().split('\n'), stderr: err });
    });
  });
}

/** Every case line says ok, and there are at least `min` of them. */
function assertAllPass(r: Run, min: number, w: World): void {
  const cases = r.lines.filter((l) => /^(ok|FAIL) /.test(l));
  const failed = cases.filter((l) => l.startsWith('FAIL'));
  assert.deepEqual(failed, [], `failing cases:\n${r.lines.join('\n')}\n${r.stderr}\n${w.dumpLogs(15)}`);
  assert.equal(r.code, 0, r.lines.join('\n'));
  assert.ok(cases.length >= min, `${cases.length} cases run, expected at least ${min}:\n${r.lines.join('\n')}`);
  assert.match(r.lines.at(-1) ?? '', new RegExp(`^conformance: ${cases.length} passed, 0 failed `));
}

const skip = () => {
  if (pythonAvailable()) return false;
  assert.ok(process.env.CI !== 'true', 'python3 is missing: under CI=true the conformance runs must run');
  return 'python3 is not installed';
};

for (const [impl, kinds] of [
  ['node', ['telegram']],
  ['python', ['telegram', 'discord']],
] as Array<[Impl, Array<'telegram' | 'discord'>]>) {
  test(`--drive blue: the ${impl} reference gateway as blue (${kinds.join(' and ')}) passes every case`, { skip: impl === 'python' && skip() }, async (t) => {
    const w = await World.start(t, { kinds, rate: 50 });
    const blue = await w.startBlue(impl, 'r1');
    const r = await conformance(w, ['--drive', 'blue', '--socket', w.socketPath]);
    for (const l of r.lines) t.diagnostic(l);
    assertAllPass(r, 35, w);
    // The last case promoted the driver's stand-in green: this blue left.
    assert.equal(await blue.exited, 0, 'blue exits 0 after the promotion');
  });

  test(`--drive green: the ${impl} reference gateway as green (${kinds.join(' and ')}) passes every case`, { skip: impl === 'python' && skip() }, async (t) => {
    const w = await World.start(t, { kinds, rate: 50 });
    const r = await conformance(w, ['--drive', 'green', '--socket', w.socketPath, '--green-command', shellJoin(w.argv(impl))]);
    for (const l of r.lines) t.diagnostic(l);
    assertAllPass(r, 14, w);
  });
}

test('a broken green and a broken blue fail their cases, saying what was expected and what came', { skip: skip() }, async (t) => {
  const w = await World.start(t, { kinds: ['telegram'], rate: 20 });
  const green = await conformance(w, ['--drive', 'green', '--socket', w.socketPath, '--green-command', shellJoin(w.argv('node', { fault: 'wrong-release' })), '--only', 'ACK once ready']);
  assert.equal(green.code, 1, green.lines.join('\n'));
  const fail = green.lines.find((l) => l.startsWith('FAIL HELLO, then nothing before HANDOFF_INIT'));
  assert.ok(fail, green.lines.join('\n'));
  assert.match(fail, /expected HANDOFF_ACK \{.*"release":"conformance-r2".*\}, got \{.*"release":"conformance-r2-not"/);
  assert.match(green.lines.at(-1) ?? '', /^conformance: 1 passed, 1 failed /);

  // A blue that dies as it starts draining never sends HANDOFF_ACTIVE.
  const b = await World.start(t, { kinds: ['telegram'], rate: 20 });
  await b.startBlue('python', 'r1', { HERMES_BLUE_FAULT: 'crash-after-ack' });
  const blue = await conformance(b, ['--drive', 'blue', '--socket', b.socketPath, '--only', 'ABORT in active']);
  assert.equal(blue.code, 1, blue.lines.join('\n'));
  const line = blue.lines.find((l) => l.startsWith('FAIL HANDOFF_ACTIVE hands the cursors over'));
  assert.ok(line, blue.lines.join('\n'));
  assert.match(line, /expected a HANDOFF_ACTIVE frame, got the connection closed$/);
});

test('bad flags exit 2 naming the flag', async (t) => {
  const w = await World.start(t, { kinds: ['telegram'], rate: 0 });
  for (const [args, words] of [
    [[], /--drive must be blue or green/],
    [['--drive', 'red', '--socket', w.socketPath], /--drive must be blue or green/],
    [['--drive', 'blue'], /--socket PATH is required/],
    [['--drive', 'blue', '--socket', w.socketPath], /--socket: no token beside/],
    [['--drive', 'green', '--socket', w.socketPath], /--green-command CMD is required/],
    [['--drive', 'green', '--socket', w.socketPath, '--green-command', 'true', '--store-schema', 'x'], /--store-schema must be a whole number/],
    [['--drive', 'blue', '--socket', w.socketPath, '--colour'], /Unknown option '--colour'/],
  ] as Array<[string[], RegExp]>) {
    const r = await conformance(w, args, {}, 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, words, args.join(' '));
    assert.match(r.stderr, /usage: hermes-handoff conformance/);
  }
});
