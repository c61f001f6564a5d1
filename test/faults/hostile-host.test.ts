// The host and the release under test are untrusted (issue 9, items 1, 2 and 4): a green that sends
// workflow commands back in its rollback reason and its log, a prepare command that prints them, a
// handoff.token of 100 KB, secrets of 50 KB full of regex metacharacters. Each attack goes through a
// real sshd and dist/index.js (or dist/cli.js) exactly as a runner or a terminal starts it, and each
// is judged on what a runner would make of stdout line by line, on GITHUB_OUTPUT and on what a
// reader could see. Each writes a row for the "hostile host" section of docs/reliability.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtDist, runActionAsRunner } from '../support/action-runner.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import { auditRunnerStdout, credentialText, HOST_CREDENTIALS, hostileGreen, INJECT_MARK, injectionText, keyLines, secretsShown, type StdoutAudit } from '../support/hostile.ts';
import { maskReason } from './reliability-doc.ts';
import { appendHostileResult, HOSTILE_REGEN_COMMAND, hostileResultsPath, hostileStaleness, resetHostileResults, type HostileRow } from './hostile-doc.ts';

const OUTPUTS = ['verdict', 'reason', 'handoff-id', 'release', 'blue-pid', 'green-pid', 'dark-window-ms', 'duration-ms', 'timeline', 'checks', 'report'];
const DOC = join(import.meta.dirname, '..', '..', 'docs', 'reliability.md');

const out = hostileResultsPath();
resetHostileResults(out);
const measured: HostileRow[] = [];
let attacks = 0;

/** The action's inputs for a promote on the world's host. */
function inputs(w: SshWorld, extra: Record<string, string>): Record<string, string> {
  return {
    mode: 'promote',
    host: '127.0.0.1',
    port: String(w.sshd.port),
    username: w.sshd.username,
    'private-key': w.sshd.clientKey,
    'host-fingerprint': w.sshd.hostFingerprint,
    'hermes-home': w.home,
    'green-command': w.greenCommand('none'),
    release: 'r2',
    runtime: 'claw',
    'bake-seconds': '1',
    'max-heartbeat-age-seconds': '1',
    'rollback-grace-seconds': '1',
    'timeout-seconds': '300',
    'target-name': 'staging',
    ...extra,
  };
}

/** The run's own secrets: the client key's lines and the socket token. */
function runSecrets(w: SshWorld): Record<string, string> {
  const token = readFileSync(join(w.home, 'run', 'handoff.token'), 'utf8').trim();
  return { ...Object.fromEntries(keyLines(w.sshd.clientKey).map((l, i) => [`private-key line ${i + 1}`, l])), 'socket token': token };
}

/** GITHUB_OUTPUT's names in the order written, from the raw file (heredoc blocks and name=value lines). */
function outputNames(raw: string): string[] {
  const names: string[] = [];
  const lines = raw.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      names.push(m[1]!);
      while (i + 1 < lines.length && lines[i + 1] !== m[2]) i++;
      i++;
    } else if (lines[i]!.includes('=')) names.push(lines[i]!.slice(0, lines[i]!.indexOf('=')));
  }
  return names;
}

interface Measured {
  what: string;
  stdout: string;
  stderr: string;
  code: number | null;
  outputs: Record<string, string>;
  outputFile: string | null;
  summary: string;
}

/** Judges one run: the audit, the secrets, a crash; records the row; then asserts. `check` adds the attack's own assertions. */
async function judge(
  attack: string,
  via: string,
  m: Measured,
  secrets: Record<string, string>,
  expect: { verdict: string; reason: RegExp },
  check?: (a: StdoutAudit) => void,
): Promise<void> {
  attacks++;
  const audit = auditRunnerStdout(m.stdout);
  const errAudit = auditRunnerStdout(m.stderr);
  const shown = secretsShown({ stdout: m.stdout, stderr: m.stderr, GITHUB_OUTPUT: m.outputFile ?? JSON.stringify(m.outputs), 'job summary': m.summary }, secrets);
  // A crash: a stack trace, an unhandled rejection, an exit code that is no verdict's, or no verdict at all.
  const crashed = /UnhandledPromiseRejection|\n\s+at .+:\d+:\d+\)?\n|Uncaught|node:internal/.test(m.stderr + m.stdout) || (m.code !== 0 && m.code !== 1) || m.outputs.verdict === undefined;
  const own = [...new Set(audit.commands.filter((c) => !audit.foreign.includes(c)).map((c) => c.name))].join(', ');
  const verdict = m.outputs.verdict ?? '(none)';
  const reason = m.outputs.reason ?? '';
  const row: HostileRow = {
    attack,
    via,
    verdict,
    reason: maskReason(reason).slice(0, 240),
    host_commands: audit.foreign.length + errAudit.foreign.length,
    control_chars: audit.controls + errAudit.controls,
    secrets_shown: shown.length,
    crashed,
    own_commands: own || '(none)',
    pass: false,
  };
  try {
    const all = `--- stdout\n${m.stdout.slice(-6_000)}\n--- stderr\n${m.stderr.slice(-3_000)}`;
    assert.equal(crashed, false, `${m.what}: nothing unhandled, exit 0 or 1 (exit ${m.code})\n${all}`);
    assert.deepEqual([...audit.foreign, ...errAudit.foreign], [], `${m.what}: a runner would execute these host lines as workflow commands\n${all}`);
    assert.equal(audit.controls + errAudit.controls, 0, `${m.what}: raw control characters reach stdout/stderr\n${JSON.stringify(m.stdout.slice(-3_000))}`);
    assert.deepEqual(shown, [], `${m.what}: secrets shown`);
    assert.equal(verdict, expect.verdict, `${m.what}: verdict\n${all}`);
    assert.match(reason, expect.reason, `${m.what}: reason`);
    assert.ok(!/[\r\n\u2028\u2029\u0085]/.test(reason), `${m.what}: the reason output is one line: ${JSON.stringify(reason)}`);
    if (m.outputFile !== null) {
      const names = outputNames(m.outputFile);
      assert.deepEqual([...names].sort(), [...OUTPUTS].sort(), `${m.what}: every output exactly once, nothing else:\n${m.outputFile.slice(0, 2_000)}`);
    }
    check?.(audit);
    row.pass = true;
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
    throw e;
  } finally {
    appendHostileResult(out, row);
    measured.push(row);
  }
}

/** Runs dist/index.js as a runner does, and keeps the raw GITHUB_OUTPUT file. */
async function actionRun(what: string, ins: Record<string, string>): Promise<Measured> {
  const run = await runActionAsRunner(ins, { timeoutMs: 120_000 });
  return { what, stdout: run.stdout, stderr: run.stderr, code: run.code, outputs: run.outputs, outputFile: run.outputFile, summary: run.summary };
}

/** Runs `dist/cli.js promote` as an operator would in a terminal (or a CI shell step). */
async function cliRun(w: SshWorld, greenCommand: string): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'hh-cli-'));
  try {
    const key = join(dir, 'key');
    writeFileSync(key, w.sshd.clientKey, { mode: 0o600 });
    const argv = [
      join(builtDist(), 'cli.js'),
      'promote',
      '--host',
      '127.0.0.1',
      '--port',
      String(w.sshd.port),
      '--username',
      w.sshd.username,
      '--private-key-file',
      key,
      '--host-fingerprint',
      w.sshd.hostFingerprint,
      '--hermes-home',
      w.home,
      '--green-command',
      greenCommand,
      '--release',
      'r2',
      '--runtime',
      'claw',
      '--bake-seconds',
      '1',
      '--max-heartbeat-age-seconds',
      '1',
      '--rollback-grace-seconds',
      '1',
      '--timeout-seconds',
      '300',
      '--target-name',
      'staging',
      '--json',
    ];
    const child = spawn(process.execPath, argv, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    clearTimeout(timer);
    let outputs: Record<string, string> = {};
    try {
      outputs = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    } catch {
      outputs = {};
    }
    return { what: 'hermes-handoff promote', stdout, stderr, code, outputs, outputFile: null, summary: '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A gap a reader can see: the injected lines are there, as data. */
const showsInjectionAsData = (m: Measured) => () => {
  assert.ok(m.stdout.includes(INJECT_MARK), `${m.what}: the host's text is shown (as data), not dropped`);
};

test('hostile host: what comes back from the host reaches the runner as data', { timeout: 600_000 }, async (t: TestContext) => {
  const w = await sshWorld(t);
  if (!w) return;

  await t.test("green's rollback reason and its log tail are full of workflow commands, ANSI escapes and credentials", async () => {
    const reason = injectionText('rolled back by policy');
    assert.ok(reason.length < 4_096, 'the reason fits a protocol Text');
    const green = hostileGreen(w.dir, { reason, tail: `${injectionText('green starting')}${credentialText()}\n` });
    const m = await actionRun('hostile green (action)', inputs(w, { 'green-command': green }));
    await judge(
      'green answers HANDOFF_INIT with HANDOFF_ROLLBACK: a reason of workflow commands after LF, CR, CRLF, NEL and U+2028, ANSI and C1 escapes; its log holds the same and credentials',
      'handoff socket -> blue\'s verdict -> sshd -> dist/index.js; green\'s log via tail over sshd',
      m,
      { ...runSecrets(w), ...HOST_CREDENTIALS },
      { verdict: 'failed', reason: /^green rolled back: rolled back by policy\\n::set-env name=BASH_ENV::HH-INJECT/ },
      (a) => {
        showsInjectionAsData(m)();
        assert.ok(a.commands.some((c) => c.name === 'stop-commands'), "green's log is shown inside a stop-commands block");
        assert.ok(m.stdout.includes('[redacted]'), 'the credentials were there, and were redacted');
      },
    );
  });

  await t.test('the CLI in a terminal (or a CI shell step) shows the same green as data', async () => {
    const green = hostileGreen(w.dir, { reason: injectionText('rolled back by policy'), tail: `${injectionText('green starting')}${credentialText()}\n` });
    const m = await cliRun(w, green);
    await judge(
      'the same green, promoted from a terminal',
      'handoff socket -> sshd -> dist/cli.js promote (stderr: log and report; stdout: outputs as JSON)',
      { ...m, stdout: m.stdout, stderr: m.stderr },
      { ...runSecrets(w), ...HOST_CREDENTIALS },
      { verdict: 'failed', reason: /^green rolled back: rolled back by policy\\n/ },
      () => assert.ok(m.stderr.includes(INJECT_MARK), 'the host text is shown on stderr, as data'),
    );
  });

  await t.test('the prepare command prints workflow commands after CR and LF, and a credential URL', async () => {
    const prep = join(w.dir, 'prepare.sh');
    const c = HOST_CREDENTIALS;
    writeFileSync(
      prep,
      [
        '#!/bin/sh',
        `printf 'fetching\\r::add-path::${INJECT_MARK}/tmp/p\\n::set-env name=NODE_OPTIONS::${INJECT_MARK}\\n' >&2`,
        `printf "fatal: could not read from 'https://ci:${c['password in a git remote URL']}@git.example.com/x.git'\\r\\n" >&2`,
        `printf 'token=${c['hex secret (64)']}\\033[0m\\n' >&2`,
        'exit 3',
      ].join('\n'),
    );
    const m = await actionRun('hostile prepare output', inputs(w, { 'prepare-command': `sh ${prep}` }));
    await judge(
      'prepare-command output: workflow commands after CR and LF, a password in a git URL, token=, an ANSI escape',
      'prepare-command stderr over sshd -> the run log and the job summary',
      m,
      { ...runSecrets(w), ...HOST_CREDENTIALS },
      { verdict: 'failed', reason: /^prepare-command failed \(exit 3\)/ },
      showsInjectionAsData(m),
    );
  });

  await t.test('green-env values of 50 KB full of regex metacharacters: a promotion, no secret shown', async () => {
    const meta = '.*+?^${}()|[]\\/-(?<x>a)\\1{99999}[^]';
    // Two: a variable of the environment holds at most 128 KiB (Linux), and the runner passes green-env as one.
    const values = ['A', 'B'].map((k) => `${k}-Zq7-${meta.repeat(Math.ceil(50_000 / meta.length))}`.slice(0, 50_000));
    const env = values.map((v, i) => `BIG_${i}=${v}`).join('\n');
    const m = await actionRun('50 KB secrets', inputs(w, { 'green-env': env }));
    const secrets = Object.fromEntries(values.flatMap((v, i) => [[`green-env value ${i} (head)`, v.slice(0, 40)], [`green-env value ${i} (middle)`, v.slice(20_000, 20_060)]]));
    await judge(
      'two green-env values of 50 KB each, full of regex metacharacters (the old scrubber built one RegExp of them)',
      'action inputs -> masks, the scrubber -> green\'s environment over sshd',
      m,
      { ...runSecrets(w), ...secrets },
      { verdict: 'promoted', reason: /^bake of 1 s passed/ },
    );
    const serving = w.serving();
    if (serving) w.pids.add(serving);
  });

  await t.test('a handoff.token of 100 KB is refused with a clear reason, before it is used or masked', async () => {
    const tokenFile = join(w.home, 'run', 'handoff.token');
    const real = readFileSync(tokenFile, 'utf8');
    const big = `tok(${'[a-f]+?|(x*)*\\d{9}'.repeat(6_000)}`.slice(0, 100 * 1024);
    writeFileSync(tokenFile, big);
    try {
      const m = await actionRun('100 KB token', inputs(w, { release: 'r3' }));
      await judge(
        'the host\'s handoff.token holds 100 KB of regex metacharacters instead of 64 hex digits',
        'cat over sshd -> the token check',
        m,
        { ...runSecrets(w), 'socket token': real.trim(), 'the 100 KB token (head)': big.slice(0, 60), 'the 100 KB token (middle)': big.slice(50_000, 50_060) },
        { verdict: 'failed', reason: /^the handoff token \S+handoff\.token is not a token this protocol writes: expected 64 lowercase hex digits .*but it holds 102400 characters/ },
      );
    } finally {
      writeFileSync(tokenFile, real);
    }
  });
});

test('docs/reliability.md shows what the hostile-host tests measured', (t) => {
  if (process.env.HERMES_RELIABILITY_REGEN === '1') return t.skip(`${HOSTILE_REGEN_COMMAND} rewrites the doc after this run`);
  if (measured.length === 0 || measured.length !== attacks) return t.skip(`only ${measured.length} attacks ran`);
  if (measured.length < 5) return t.skip(`only ${measured.length} of 5 attacks ran`);
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  const diff = hostileStaleness(doc, measured);
  assert.deepEqual(diff, [], `docs/reliability.md's hostile-host section is stale; run \`${HOSTILE_REGEN_COMMAND}\`:\n${diff.join('\n')}`);
});

