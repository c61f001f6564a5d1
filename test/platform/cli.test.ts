import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseFakePlatformArgs } from '../../examples/gateway/platform/cli.ts';
import { bot, ids, raw } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/run-platform-cli.ts', import.meta.url));

function spawnCli(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  return { child, out: () => out, err: () => err };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return once(child, 'exit').then(([code]) => code as number | null);
}

test('the CLI prints its base URL as the first stdout line, serves, and exits 0 on SIGTERM', async (t) => {
  const { child, out, err } = spawnCli(['--port', '0', '--rate', '0', '--grace-ms', '500', '--kinds', 'telegram,discord', '--heartbeat-ms', '500']);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + 20_000;
  while (!out().includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`no URL line; stderr: ${err()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const first = out().split('\n')[0] as string;
  assert.match(first, /^http:\/\/127\.0\.0\.1:\d+$/);
  await raw(`${first}/control/produce`, { body: '{"count":2}' });
  assert.deepEqual(ids(await bot(first, 'getUpdates', {})), [1, 2]);
  const stats = (await raw(`${first}/stats`)).body as { produced: number; platforms: { telegram: { produced: number }; discord: { produced: number } } };
  assert.equal(stats.produced, 4, 'two on each kind');
  assert.equal(stats.platforms.discord.produced, 2);
  const gw = (await raw(`${first}/api/v10/gateway`)).body as { url: string };
  assert.equal(gw.url, `${first.replace('http:', 'ws:')}/discord/gateway`);
  assert.match(err(), /telegram \(Bot API root http:\/\/127\.0\.0\.1:\d+, 0\/s\); discord \(REST .*\/api\/v10, gateway ws:.*\/discord\/gateway, 0\/s\)/);
  child.kill('SIGTERM');
  assert.equal(await exitOf(child), 0);
  assert.match(err(), /stopped on SIGTERM/);
});

test('the CLI refuses a bad flag with a message naming it and exit code 2', async () => {
  for (const [args, flag] of [
    [['--port', 'x'], '--port'],
    [['--rate', '-3'], '--rate'],
    [['--grace-ms', '1.5'], '--grace-ms'],
    [['--colour', 'red'], '--colour'],
    [['--port'], '--port'],
  ] as const) {
    const { child, err } = spawnCli([...args]);
    assert.equal(await exitOf(child), 2, `${args.join(' ')}`);
    assert.ok(err().includes(flag), `stderr names ${flag}: ${err()}`);
  }
});

test('flags parse in both --flag value and --flag=value forms', () => {
  const defaults = { port: 0, rate: 0, kinds: ['telegram'], rates: {}, graceMs: 2000, conflictWindowMs: 1000, heartbeatMs: 41_250, resumeWindowMs: 90_000, takeoverCloseCode: 4000 };
  assert.deepEqual(parseFakePlatformArgs(['--port=8080', '--rate', '12.5']), { ...defaults, port: 8080, rate: 12.5 });
  assert.deepEqual(parseFakePlatformArgs([]), defaults);
  assert.deepEqual(parseFakePlatformArgs(['--kinds=discord,telegram', '--discord-rate', '100', '--resume-window-ms=5000']), {
    ...defaults,
    kinds: ['discord', 'telegram'],
    rates: { discord: 100 },
    resumeWindowMs: 5000,
  });
  assert.equal(parseFakePlatformArgs(['--help']), 'help');
  for (const [args, flag] of [
    [['--kinds', 'telegram,irc'], '--kinds'],
    [['--discord-rate', 'x'], '--discord-rate'],
    [['--takeover-close-code', '1000'], '--takeover-close-code'],
    [['--heartbeat-ms', '0'], '--heartbeat-ms'],
    [['--conflict-window-ms=-1'], '--conflict-window-ms'],
  ] as const) {
    const r = parseFakePlatformArgs(args);
    assert.ok(typeof r === 'object' && 'error' in r && r.error.includes(flag), `${args.join(' ')}: ${JSON.stringify(r)}`);
  }
  assert.ok('error' in (parseFakePlatformArgs(['--port', '70000']) as object));
});
