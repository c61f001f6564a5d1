import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { envFileText, launchArgv, launchGreen, unitName } from '../../src/handoff/launch.ts';
import { shellJoin, shellQuote } from '../../src/host/quote.ts';

const HOSTILE = [
  '$(touch PWNED)',
  '`touch PWNED`',
  "it's; touch PWNED",
  '"double" && touch PWNED',
  'line1\nline2; touch PWNED',
  '*',
  '${HOME}',
  '\\$(x)',
  'a\'b"c`d$e',
];

async function waitFor(path: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The writer may still be writing.
  await new Promise((r) => setTimeout(r, 50));
}

test('shellQuote reads back literally through sh', async () => {
  const host = new LocalHost();
  for (const w of [...HOSTILE, '', ' ', "'", "''", '-n', '--']) {
    const r = await host.exec(['sh', '-c', `printf '%s' ${shellQuote(w)}`], { timeoutMs: 5000 });
    assert.equal(r.stdout, w);
  }
  assert.throws(() => shellQuote('a\0b'), /NUL/);
});

test('green-env values, release, paths and workdir reach green literally and nothing is executed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = new LocalHost();
  const workdir = join(dir, `work dir 'q' $(touch PWNED) ;x`);
  mkdirSync(workdir);
  const env: Record<string, string> = {
    HERMES_RELEASE: HOSTILE[0]!,
    CR: 'a\rb',
    EQ: 'x=y=z',
    SPACES: '  lead and trail  ',
    BACKSLASH: 'end\\',
    // Line feeds: the env file continues a value on lines starting with `+`.
    TRAILING_LF: 'last line\n',
    ONLY_LF: '\n',
    PLUS: '+starts with plus',
    PLUS_LINE: 'a\n+b\nK=v',
    EMPTY: '',
  };
  HOSTILE.forEach((v, i) => (env[`V${i}`] = v));
  const out = join(dir, 'out.json');
  // The green command is the user's own shell line; it dumps what it got.
  const green = `node -e ${shellQuote(`require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({env: process.env, cwd: process.cwd()}))`)}`;
  const log = join(dir, `logs dir $(touch PWNED)`, 'green-x.log');
  const pid = await launchGreen(host, { logPath: log, envPath: join(dir, 'keep.env'), workdir, greenCommand: green, launcher: 'process', unit: 'u', env });
  assert.ok(pid > 0);
  await waitFor(out);
  const got = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string>; cwd: string };
  for (const [k, v] of Object.entries(env)) assert.equal(got.env[k], v, `${k} arrives literally`);
  assert.equal(got.cwd, workdir);
  assert.ok(existsSync(log), 'the log file is created');
  for (const where of [dir, workdir, process.cwd(), tmpdir()]) assert.equal(existsSync(join(where, 'PWNED')), false, `nothing ran in ${where}`);
  // The env file is removed once green has read it, and no value is in the launcher's argv.
  const argv = launchArgv({ logPath: log, envPath: join(dir, 'keep.env'), workdir, greenCommand: green, launcher: 'process', unit: 'u', env });
  for (const v of HOSTILE) assert.ok(!argv.some((a) => a.includes(`V0=${v}`)));
});

test('green is detached: it outlives the launcher, in its own session, stdin from /dev/null', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  const host = new LocalHost();
  const out = join(dir, 'sid');
  const cmd = `sh -c ${shellQuote(`ps -o sid= -p $$ > ${shellQuote(out)}; ls -l /proc/$$/fd/0 >> ${shellQuote(out)}; sleep 30`)}`;
  const pid = await launchGreen(host, { logPath: join(dir, 'g.log'), envPath: join(dir, 'keep.env'), workdir: null, greenCommand: cmd, launcher: 'process', unit: 'u', env: {} });
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(out);
  const [sid, fd0] = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(Number(sid), pid, 'green leads its own session (setsid)');
  assert.match(fd0 ?? '', /\/dev\/null/);
  process.kill(pid, 0);
});

test('a launch that cannot create its log is an error; a bad variable name is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = new LocalHost();
  await assert.rejects(
    launchGreen(host, { logPath: '/proc/forbidden/x.log', envPath: join(dir, 'keep.env'), workdir: null, greenCommand: 'true', launcher: 'process', unit: 'u', env: {} }),
    /could not start green/,
  );
  assert.throws(() => envFileText({ 'BAD-KEY': 'x' }), /not a valid identifier/);
  assert.throws(() => envFileText({ OK: 'a\0b' }), /OK contains a NUL byte/);
  assert.equal(envFileText({ A: 'x\ny\n', B: '+p' }), 'A=x\n+y\n+\nB=+p\n', 'a value\'s further lines start with +');
});

test('systemd launcher: the generated systemd-run and systemctl commands', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-systemd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const rec = join(dir, 'calls');
  // Stand-ins that record their argv (one arg per line) and behave like the real tools' output.
  for (const tool of ['systemd-run', 'systemctl']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\n{ echo "== ${tool}"; for a in "$@"; do printf '%s\\n' "$a"; done; } >> ${shellQuote(rec)}\n${tool === 'systemctl' ? 'echo 4242' : 'exit 0'}\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  const host = new LocalHost();
  const unit = unitName('hermes-gateway@', 'h-1');
  assert.equal(unit, 'hermes-gateway@h-1.service');
  assert.equal(unitName('hermes-green', 'h-1'), 'hermes-green-h-1.service');
  const spec = { logPath: join(dir, 'g.log'), envPath: join(dir, 'run', 'green-h-1.env'), workdir: dir, greenCommand: 'uv run hermes gateway', launcher: 'systemd' as const, unit, env: { SECRET: 's3cr3t $(x)' } };
  const argv = launchArgv(spec);
  const r = await host.exec(['env', `PATH=${bin}:${process.env.PATH}`, `TMPDIR=${dir}`, ...argv], { stdin: envFileText(spec.env), timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').pop(), '4242');
  const calls = readFileSync(rec, 'utf8').split('== ').filter(Boolean).map((c) => c.trim().split('\n'));
  const [run, show] = calls;
  assert.equal(run![0], 'systemd-run');
  assert.ok(run!.includes('--user'));
  assert.ok(run!.includes(`--unit=${unit}`));
  // Supervised after promotion, but an exit 0 (blue after COMPLETE, green after ROLLBACK) is not restarted.
  assert.ok(run!.includes('Restart=on-failure'));
  assert.ok(run!.includes(`StandardOutput=append:${spec.logPath}`));
  assert.ok(!run!.join('\n').includes('s3cr3t'), 'no env value on the command line');
  const envFile = run![run!.indexOf('hermes-green') + 1]!;
  assert.equal(envFile, spec.envPath, 'a systemd green keeps its env file for restarts');
  // The stand-in records one argument a line, so the multi-line inner script spans several.
  const recorded = run!.join('\n');
  assert.ok(recorded.includes('\nwhile IFS= read -r l; do\n'), 'green reads its env file line by line');
  assert.ok(recorded.includes('if [ -n "$k" ]; then export "$k=$v"; fi; exec sh -c "$2"\nhermes-green\n'), 'and does not delete it');
  assert.equal(statSync(envFile).mode & 0o777, 0o600, 'the env file is 0600');
  assert.equal(readFileSync(envFile, 'utf8'), 'SECRET=s3cr3t $(x)\n', 'one KEY=VALUE line, read back word by word, never evaluated');
  assert.deepEqual(show, ['systemctl', '--user', 'show', '-p', 'MainPID', '--value', unit]);
  assert.equal(shellJoin(['a b', 'c']), "'a b' c");
});
