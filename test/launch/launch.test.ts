// The plain launcher and stopper (src/handoff/remote/plain.ts, scripts.ts) on this machine: values arrive
// literally, nothing is executed, a command starting with `-` stays a command, the env file never outlives green's
// start, and stopping green stops its whole process group and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local/local-host.ts';
import type { ExecOptions, ExecResult, Host } from '../../src/host/host.ts';
import { PlainRemote } from '../../src/handoff/remote/plain.ts';
import { envFileText, unitName } from '../../src/handoff/remote/scripts.ts';
import { clockOf } from '../../src/handoff/params.ts';
import type { EngineParams } from '../../src/core/params.ts';
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

/** A host that runs argv on this machine and records every argv it was given. */
function recording(env: Record<string, string> = {}): Host & { calls: string[][] } {
  const local = new LocalHost();
  const calls: string[][] = [];
  return {
    kind: 'local',
    calls,
    exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
      calls.push([...argv]);
      return local.exec(Object.keys(env).length ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv] : argv, opts);
    },
    openSocket: (path, ms) => local.openSocket(path, ms),
    close: () => local.close(),
  };
}

function params(over: Partial<EngineParams>): EngineParams {
  return {
    mode: 'promote',
    targetName: 'test',
    hermesHome: '/nonexistent',
    socketPath: null,
    greenCommand: 'true',
    workdir: null,
    runtime: 'claw',
    release: 'r2',
    greenEnv: {},
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
    bakeMs: 1_000,
    timeoutMs: 60_000,
    thresholds: {},
    deadlines: { rollback_grace_ms: 1_000 },
    ...over,
  };
}

const remote = (host: Host, over: Partial<EngineParams>) => new PlainRemote(host, params(over), clockOf({}));

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Live (not zombie) processes whose process group is `pgid`, from /proc. */
function groupOf(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z' && Number(f[2]) === pgid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

test('shellQuote reads back literally through sh', async () => {
  const host = new LocalHost();
  for (const w of [...HOSTILE, '', ' ', "'", "''", '-n', '--']) {
    const r = await host.exec(['sh', '-c', `printf '%s' ${shellQuote(w)}`], { timeoutMs: 5000 });
    assert.equal(r.stdout, w);
  }
  assert.throws(() => shellQuote('a\0b'), /NUL/);
  assert.equal(shellJoin(['a b', 'c']), "'a b' c");
});

test('green-env values, release, paths and workdir reach green literally and nothing is executed; the env file is gone once green started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = recording({ TMPDIR: dir });
  const workdir = join(dir, `work dir 'q' $(touch PWNED) ;x`);
  mkdirSync(workdir);
  const home = join(dir, `home dir $(touch PWNED)`);
  const env: Record<string, string> = {
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
    SECRET: 'unique-secret-value-42',
  };
  HOSTILE.forEach((v, i) => (env[`V${i}`] = v));
  const out = join(dir, 'out.json');
  // The green command is the user's own shell line; it dumps what it got.
  const green = `node -e ${shellQuote(`require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({env: process.env, cwd: process.cwd()}))`)}`;
  const r = remote(host, { hermesHome: home, workdir, greenCommand: green });
  const own = { HERMES_RELEASE: HOSTILE[0]!, HERMES_HANDOFF_ID: 'h-1' };
  const pid = await r.launch('h-1', { user: env, own });
  assert.ok(pid > 0);
  await waitFor('green writing what it got', () => existsSync(out) && readFileSync(out, 'utf8').endsWith('}'));
  const got = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string>; cwd: string };
  for (const [k, v] of Object.entries({ ...env, ...own })) assert.equal(got.env[k], v, `${k} arrives literally`);
  assert.equal(got.cwd, workdir);
  assert.ok(existsSync(join(home, 'logs', 'green-h-1.log')), 'the log file is created');
  for (const where of [dir, workdir, home, process.cwd(), tmpdir()]) assert.equal(existsSync(join(where, 'PWNED')), false, `nothing ran in ${where}`);
  // No value is in the launcher's argv, and the env file (in TMPDIR) is removed once green has read it.
  const argv = host.calls.at(-1)!;
  assert.ok(!argv.some((a) => a.includes(env.SECRET!)), 'a green-env value on the command line');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('hermes-green-env')), []);
});

test('green is detached: it outlives the launcher, in its own session, stdin from /dev/null', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  const host = new LocalHost();
  const out = join(dir, 'sid');
  const cmd = `sh -c ${shellQuote(`ps -o sid= -p $$ > ${shellQuote(out)}; ls -l /proc/$$/fd/0 >> ${shellQuote(out)}; sleep 30`)}`;
  const pid = await remote(host, { hermesHome: dir, greenCommand: cmd }).launch('h-1', { user: {}, own: {} });
  t.after(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('green writing its session', () => existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 3);
  const [sid, fd0] = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(Number(sid), pid, 'green leads its own session (setsid)');
  assert.match(fd0 ?? '', /\/dev\/null/);
  process.kill(pid, 0);
});

test('a launch that cannot create its log is an error; a bad variable name is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-launch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = new LocalHost();
  await assert.rejects(remote(host, { hermesHome: '/proc/forbidden' }).launch('h-1', { user: {}, own: {} }), /could not start green/);
  assert.throws(() => envFileText({ 'BAD-KEY': 'x' }), /not a valid identifier/);
  assert.throws(() => envFileText({ OK: 'a\0b' }), /OK contains a NUL byte/);
  assert.equal(envFileText({ A: 'x\ny\n', B: '+p' }), 'A=x\n+y\n+\nB=+p\n', 'a value\'s further lines start with +');
});

test('a green command, a prepare command and a first word starting with "-" stay commands, never options', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-dash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = new LocalHost();
  const ran = join(dir, 'ran');
  // Read as options, "-v 2>/dev/null; ..." would be refused by sh (or switch on verbose mode); as a command it runs.
  const line = `-v 2>/dev/null; echo ran >> ${shellQuote(ran)}`;
  const r = remote(host, { hermesHome: dir, greenCommand: line, prepareCommand: line });
  assert.deepEqual(await r.prepare('h-1', 10_000), { ok: true });
  await r.launch('h-1', { user: {}, own: {} });
  await waitFor('green running its command line', () => existsSync(ran) && readFileSync(ran, 'utf8') === 'ran\nran\n');
  const checks = await remote(host, { hermesHome: dir, greenCommand: '-x' }).hostChecks();
  const resolve = checks.after.find((c) => c.name === 'green command resolves');
  assert.equal(resolve?.ok, false);
  assert.match(resolve?.detail ?? '', /^-x not found on the host's PATH/);
});

test('systemd launcher: the systemd-run and systemctl commands; the env file is gone once the unit started; HERMES_* stay in the unit for restarts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-systemd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const rec = join(dir, 'calls');
  const started = join(dir, 'started');
  // Stand-ins that record their argv (one arg per line) and behave like the real tools: systemd-run starts the
  // command after `--` in the background, as systemd starts the unit's process.
  writeFileSync(
    join(bin, 'systemd-run'),
    `#!/bin/sh\n{ echo "== systemd-run"; for a in "$@"; do printf '%s\\n' "$a"; done; } >> ${shellQuote(rec)}\nwhile [ "$1" != -- ]; do shift; done; shift\n( sleep 0.3; "$@" > ${shellQuote(started)} 2>&1 ) &\nexit 0\n`,
  );
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\n{ echo "== systemctl"; for a in "$@"; do printf '%s\\n' "$a"; done; } >> ${shellQuote(rec)}\necho 4242\n`);
  for (const tool of ['systemd-run', 'systemctl']) chmodSync(join(bin, tool), 0o755);
  const host = recording({ PATH: `${bin}:${process.env.PATH}` });
  const unit = unitName('-x@', 'h-1');
  assert.equal(unit, '-x@h-1.service');
  assert.equal(unitName('hermes-green', 'h-1'), 'hermes-green-h-1.service');
  const r = remote(host, { hermesHome: dir, workdir: dir, launcher: 'systemd', systemdUnit: '-x@', greenCommand: 'echo "secret is $SECRET, id $HERMES_HANDOFF_ID"' });
  const pid = await r.launch('h-1', { user: { SECRET: 's3cr3t $(x)' }, own: { HERMES_HANDOFF_ID: 'h-1', HERMES_RELEASE: 'r2' } });
  assert.equal(pid, 4242);
  const envFile = join(dir, 'run', 'green-h-1.env');
  assert.equal(existsSync(envFile), false, 'the env file does not outlive the start');
  assert.equal(readFileSync(started, 'utf8'), 'secret is s3cr3t $(x), id h-1\n', 'green read its environment before the file went');
  const calls = readFileSync(rec, 'utf8').split('== ').filter(Boolean).map((c) => c.trim().split('\n'));
  const [run, show] = calls;
  assert.equal(run![0], 'systemd-run');
  assert.ok(run!.includes('--user'));
  assert.ok(run!.includes(`--unit=${unit}`));
  // Supervised after promotion, but an exit 0 (blue after COMPLETE, green after ROLLBACK) is not restarted.
  assert.ok(run!.includes('Restart=on-failure'));
  assert.ok(run!.includes(`StandardOutput=append:${join(dir, 'logs', 'green-h-1.log')}`));
  assert.ok(run!.includes('--setenv=HERMES_HANDOFF_ID=h-1') && run!.includes('--setenv=HERMES_RELEASE=r2'), 'a restart knows its handoff');
  assert.ok(!run!.join('\n').includes('s3cr3t'), 'no green-env value on the command line');
  const dashdash = run!.indexOf('--');
  assert.ok(dashdash > 0 && run![dashdash + 1] === 'sh', 'the unit\'s command comes after --');
  assert.equal(run![run!.indexOf('hermes-green') + 1], envFile);
  assert.deepEqual(show, ['systemctl', '--user', 'show', '-p', 'MainPID', '--value', '--', unit], 'a unit name starting with - is no option');

  // Stopping it: systemctl stop -- <unit>, and the env file removed if it were still there.
  writeFileSync(envFile, 'SECRET=left\n');
  assert.equal(await r.stopGreen('h-1', pid), `stopped unit ${unit}`);
  assert.equal(existsSync(envFile), false);
  const stop = readFileSync(rec, 'utf8').split('== ').filter(Boolean).map((c) => c.trim().split('\n')).at(-1);
  assert.deepEqual(stop, ['systemctl', '--user', 'stop', '--', unit]);
});

test('stopping a process green: its whole group, SIGKILL after the grace when it ignores SIGTERM; never another group; never the one that serves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-stop-'));
  const host = new LocalHost();
  const deaf = `trap '' TERM; sleep 300 & sleep 300 & wait`;
  const r = remote(host, { hermesHome: dir, greenCommand: deaf });
  const pid = await r.launch('h-1', { user: {}, own: { HERMES_HANDOFF_ID: 'h-1' } });
  // A bystander in its own group (same command, another handoff id) must survive.
  const other = spawn('setsid', ['sh', '-c', deaf], { env: { ...process.env, HERMES_HANDOFF_ID: 'h-2' }, stdio: 'ignore' });
  t.after(() => {
    for (const g of [pid, other.pid!]) for (const p of groupOf(g)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('the green group', () => groupOf(pid).length >= 3);
  await waitFor('the bystander group', () => groupOf(other.pid!).length >= 3);

  // gateway.pid names a member: it serves, so nothing is stopped.
  writeFileSync(join(dir, 'gateway.pid'), `${pid}\n`);
  assert.match(await r.stopGreen('h-1', pid), /serves now \(gateway\.pid\): not stopped/);
  assert.ok(groupOf(pid).length >= 3);
  rmSync(join(dir, 'gateway.pid'));

  // The id must match: the bystander's group is not green of h-1.
  assert.match(await r.stopGreen('h-1', other.pid!), /had already exited/);
  assert.ok(groupOf(other.pid!).length >= 3, 'another group was signalled');

  const t0 = Date.now();
  assert.equal(await r.stopGreen('h-1', pid), `stopped green (process group ${pid}) with SIGKILL`);
  assert.deepEqual(groupOf(pid), []);
  assert.ok(Date.now() - t0 >= 900, 'SIGKILL came only after the grace (rollback-grace-seconds)');
  assert.equal(await r.pidRuns(pid), false);
  assert.match(await r.stopGreen('h-1', pid), /had already exited/, 'a second stop is a no-op');
  assert.ok(groupOf(other.pid!).length >= 3, 'the bystander survived');
});
