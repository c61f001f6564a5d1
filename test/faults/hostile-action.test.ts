// Hostile input to the action, through dist/index.js as a runner runs it: a wrong value in any input
// stops it before it connects anywhere, a host that shows another key is refused, shell syntax in
// every field that reaches the host is never executed, and no secret shows in what it leaves behind.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { runActionAsRunner, type ActionRun } from '../support/action-runner.ts';
import { startFakeForge } from '../forge/fake-forge.ts';
import { requireSshd, startSshd } from '../support/sshd.ts';
import { assertNoSecrets, assertPayloadRuns, hostileWorld, keyLines, markerPath, recordConnections, shellPayload, type ConnectionRecorder } from '../support/hostile.ts';
import { ed25519Key } from '../support/keys.ts';

/** A recognisable string carried by every secret value, so a leak of any part of one is found. */
const MARK = 'Zq7-SECRET-MARK-41c9';
const PASSPHRASE = `pw-${MARK}`;
const KEY = ed25519Key({ passphrase: PASSPHRASE });
const GITHUB_TOKEN = `ghs_${MARK}_token`;
const GREEN_SECRET = `green-${MARK}-value`;
const FP = 'SHA256:ah3AGhNCDNbkapvZf4L9UrY2vtXw0aAA/Nqtz/JQGm0';
const M = markerPath();
// A failing run may have created it: never leave it behind.
after(() => rmSync(M, { force: true }));

const ActionInputs = z.object({ inputs: z.record(z.string(), z.object({ description: z.string() })) });
const ACTION_INPUTS = Object.keys(ActionInputs.parse(parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8'))).inputs);

/** The secrets of the base inputs: none may appear in what a run leaves. */
const SECRETS: Record<string, string> = {
  ...Object.fromEntries(keyLines(KEY).map((l, i) => [`private-key line ${i + 1}`, l])),
  passphrase: PASSPHRASE,
  'github-token': GITHUB_TOKEN,
  'green-env value': GREEN_SECRET,
  'the mark every secret carries': MARK,
};

/** A valid promote over ssh, every address pointing at `rec`, every secret input set. */
function baseInputs(rec: ConnectionRecorder): Record<string, string> {
  return {
    mode: 'promote',
    host: '127.0.0.1',
    port: String(rec.port),
    username: 'deploy',
    'private-key': KEY,
    passphrase: PASSPHRASE,
    'host-fingerprint': FP,
    'green-command': 'true',
    release: 'r2',
    'green-env': `SECRET_ONE=${GREEN_SECRET}`,
    'github-token': GITHUB_TOKEN,
  };
}

interface Row {
  value: string;
  /** Inputs this row needs besides the base (the jump-* inputs are checked only with a jump host). */
  extra?: (rec: ConnectionRecorder) => Record<string, string>;
}
const viaJump = (rec: ConnectionRecorder) => ({ 'jump-host': `deploy@127.0.0.1:${rec.port}`, 'jump-host-fingerprint': FP });

// One wrong value for every input in action.yml (the unit tests in test/config try many more per input).
const ROWS: Record<string, Row> = {
  mode: { value: 'deploy' },
  transport: { value: 'telnet' },
  host: { value: `-oProxyCommand=touch ${M}` },
  port: { value: '0' },
  username: { value: '-oProxyCommand=x' },
  'private-key': { value: `not a key ${MARK}` },
  passphrase: { value: `wrong-${MARK}` },
  'known-hosts': { value: 'garbage line' },
  'host-fingerprint': { value: 'SHA256:short' },
  'insecure-skip-host-key-check': { value: 'yes' },
  'jump-host': { value: 'a b@bastion' },
  'jump-private-key': { value: `garbage ${MARK}`, extra: viaJump },
  'jump-passphrase': { value: `wrong-${MARK}`, extra: (rec) => ({ ...viaJump(rec), 'jump-private-key': KEY }) },
  'jump-known-hosts': { value: 'garbage', extra: viaJump },
  'jump-host-fingerprint': { value: 'nope', extra: viaJump },
  'connect-timeout-seconds': { value: '0' },
  'hermes-home': { value: 'relative/home' },
  'socket-path': { value: 'run/handoff.sock' },
  'green-command': { value: 'x'.repeat(16_385) },
  workdir: { value: 'srv/app' },
  runtime: { value: `claw;touch ${M}` },
  release: { value: `$(touch ${M})` },
  'green-env': { value: `1BAD=${MARK}` },
  'prepare-command': { value: 'y'.repeat(16_385) },
  launcher: { value: 'docker' },
  'systemd-unit': { value: 'hermes-gateway' },
  'bake-seconds': { value: 'five' },
  'max-error-rate': { value: '150%' },
  'max-latency-factor': { value: '0.5' },
  'latency-floor-ms': { value: '-1' },
  'expected-latency-ms': { value: '0' },
  'min-messages': { value: '-1' },
  'max-heartbeat-age-seconds': { value: '0' },
  'consecutive-breaches': { value: '101' },
  'ack-timeout-seconds': { value: 'x' },
  'claim-timeout-seconds': { value: '0' },
  'rollback-grace-seconds': { value: '-' },
  'timeout-seconds': { value: '0' },
  'observe-seconds': { value: '-1' },
  'handoff-id': { value: '../etc' },
  'target-name': { value: 'prod/eu' },
  'status-context': { value: 'a\u0007b' },
  'fail-on-rollback': { value: 'maybe' },
  'github-token': { value: `ghs_${MARK}\u0001` },
  issue: { value: 'abc' },
  'close-issue-on-success': { value: '1' },
  'failure-label': { value: 'x'.repeat(51) },
  'max-issues': { value: '0' },
  'host-output-in-comments': { value: 'sometimes' },
};

/** Runs `jobs` with at most `n` at a time; resolves with their results in order. */
async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

/** Everything a run leaves that a person or a log could read. */
function leftBehind(run: ActionRun): Record<string, string> {
  return { stdout: run.stdout, stderr: run.stderr, GITHUB_OUTPUT: JSON.stringify(run.outputs), GITHUB_STEP_SUMMARY: run.summary };
}

/** Runs the action with `inputs` over the base, every address (ssh, jump, forge API) pointing at a fresh recorder. */
async function refusedRun(input: string, inputs: (rec: ConnectionRecorder) => Record<string, string>): Promise<{ input: string; run: ActionRun; connections: number }> {
  const rec = await recordConnections();
  try {
    const run = await runActionAsRunner({ ...baseInputs(rec), ...inputs(rec) }, { env: { GITHUB_API_URL: rec.url, GITHUB_SERVER_URL: rec.url }, timeoutMs: 60_000 });
    return { input, run, connections: rec.connections };
  } finally {
    await rec.close();
  }
}

/** Exit 2, the input named, nothing connected, no output, no secret anywhere. */
function assertRefusedBeforeConnecting(r: { input: string; run: ActionRun; connections: number }, what: string): void {
  const { run } = r;
  const all = run.stdout + run.stderr;
  assert.equal(run.code, 2, `${what}: exit ${run.code}\n${all}`);
  assert.ok(all.includes(`input "${r.input}"`), `${what}: the error names input "${r.input}":\n${all}`);
  assert.equal(r.connections, 0, `${what}: something connected before the inputs were checked`);
  assert.deepEqual(run.outputs, {}, `${what}: no outputs when nothing ran`);
  assertNoSecrets(leftBehind(run), SECRETS);
  assert.ok(!existsSync(M), `${what}: a value was executed`);
}

test('every input of action.yml has a row in the table', () => {
  assert.deepEqual(Object.keys(ROWS).sort(), [...ACTION_INPUTS].sort(), 'add a row for each new input (and remove the rows of removed ones)');
});

test('a wrong value in any input exits 2 before connecting, names the input, prints no secret', { timeout: 180_000 }, async () => {
  // The base itself is valid: with the recorder behind every address, it gets as far as connecting.
  // (Without a forge token and with a short connect timeout, so its retries end soon.)
  const base = await refusedRun('(none)', () => ({ 'github-token': '', 'connect-timeout-seconds': '2' }));
  assert.notEqual(base.run.code, 2, `the base inputs are valid:\n${base.run.stdout}`);
  assert.ok(base.connections > 0, 'the base inputs reach the host, so a refusal below is the input check');
  assertNoSecrets(leftBehind(base.run), SECRETS);

  const results = await pool(
    4,
    ACTION_INPUTS.map((input) => () => {
      const row = ROWS[input];
      assert.ok(row, `no row for input ${input}`);
      return refusedRun(input, (rec) => ({ ...row.extra?.(rec), [input]: row.value }));
    }),
  );
  for (const r of results) assertRefusedBeforeConnecting(r, `input ${r.input}`);
});

test('shell syntax in release, runtime and the host paths is refused by validation, before connecting', { timeout: 120_000 }, async () => {
  const cases: Array<[string, string]> = [
    ['release', shellPayload(M)],
    ['runtime', shellPayload(M)],
    ['release', `$(touch ${M})`],
    ['release', `r2;touch ${M}`],
    ['release', `\`touch ${M}\``],
    ['release', `r2'"`],
    ['release', `r2\ntouch ${M}`],
    ['runtime', `claw;touch ${M}`],
    ['runtime', `$(touch ${M})`],
    ['runtime', `\`touch ${M}\``],
    ['runtime', `claw'"`],
    ['runtime', `claw\ntouch ${M}`],
    ['hermes-home', `/srv/h\n$(touch ${M})`],
    ['socket-path', `/srv/s\n;touch ${M}`],
    ['workdir', `/srv/w\n\`touch ${M}\``],
    ['green-env', `A=x\n$(touch ${M})`],
  ];
  const results = await pool(
    4,
    cases.map(([input, value]) => () => refusedRun(input, () => ({ [input]: value }))),
  );
  results.forEach((r, i) => assertRefusedBeforeConnecting(r, `${r.input} = ${JSON.stringify(cases[i]![1])}`));
});

test('a host showing another key on the pinned address (MITM) is refused, naming both fingerprints; nothing authenticates', { timeout: 120_000 }, async (t) => {
  if (!requireSshd(t)) return;
  const real = await startSshd();
  const port = real.port;
  const pinned = { fp: real.hostFingerprint, line: real.knownHostsLine };
  // The impostor accepts the same client key, so only the host key check stands between it and a login.
  const keyDir = mkdtempSync(join(tmpdir(), 'hh-mitm-'));
  t.after(() => rmSync(keyDir, { recursive: true, force: true }));
  for (const f of ['client_ed25519', 'client_ed25519.pub']) copyFileSync(join(real.dir, f), join(keyDir, f));
  const clientKey = real.clientKey;
  await real.stop();
  const impostor = await startSshd({ port, hostKeyDir: keyDir });
  t.after(() => impostor.stop());
  assert.notEqual(impostor.hostFingerprint, pinned.fp);

  const inputs = {
    host: '127.0.0.1',
    port: String(port),
    username: impostor.username,
    'private-key': clientKey,
    'green-command': 'true',
    release: 'r2',
    'green-env': `SECRET_ONE=${GREEN_SECRET}`,
  };
  const pins: Array<Record<string, string>> = [{ 'host-fingerprint': pinned.fp }, { 'known-hosts': pinned.line }];
  for (const pin of pins) {
    const run = await runActionAsRunner({ ...inputs, ...pin }, { timeoutMs: 60_000 });
    const what = Object.keys(pin)[0]!;
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.equal(run.outputs.verdict, 'failed', what);
    assert.ok(run.stdout.includes(impostor.hostFingerprint), `${what}: names the offered fingerprint:\n${run.stdout}`);
    assert.ok(run.stdout.includes(pinned.fp), `${what}: names the expected fingerprint:\n${run.stdout}`);
    assertNoSecrets(leftBehind(run), { ...Object.fromEntries(keyLines(clientKey).map((l, i) => [`private-key line ${i + 1}`, l])), 'green-env value': GREEN_SECRET });
  }
  const log = await impostor.log();
  assert.ok(/Connection from 127\.0\.0\.1/.test(log), `the action did reach the impostor:\n${log}`);
  assert.ok(!/Accepted publickey|Accepted key/.test(log), `nothing authenticated to the impostor:\n${log}`);

  // Control: without the check the impostor would have let this key in, so the pin is what stopped it.
  const insecure = await runActionAsRunner({ ...inputs, 'insecure-skip-host-key-check': 'true', 'hermes-home': join(keyDir, 'nowhere') }, { timeoutMs: 60_000 });
  assert.ok(insecure.stdout.includes(impostor.hostFingerprint), `the insecure run warns with the offered key:\n${insecure.stdout}`);
  assert.match(await impostor.log(), /Accepted publickey/, 'the impostor accepts this client key');
});

test('shell syntax in every field that reaches the host is never executed, in a full promotion', { timeout: 180_000 }, async (t) => {
  // Each value creates marker M if any shell ever reads it as code, however it was pasted.
  const evil = shellPayload(M);
  assertPayloadRuns(evil, M);
  assertPayloadRuns(shellPayload(M, { short: true }), M);
  const w = await hostileWorld(t, {
    home: (dir) => join(dir, `h${evil}`),
    socket: (dir) => join(dir, `s${shellPayload(M, { short: true })}`, 'handoff.sock'),
  });
  if (!w) return;
  // Blue binds `.hs.<pid>.<6 hex>` beside it first: that name must fit a sockaddr_un (107 bytes).
  assert.ok(Buffer.byteLength(join(dirname(w.socketPath), '.hs.4194304.abcdef')) <= 107, `the socket path is too long for the test: ${w.socketPath}`);
  const workdir = join(w.dir, `w${evil}`);
  mkdirSync(workdir, { recursive: true });
  writeFileSync(join(workdir, 'workdir-ok'), '');
  const forge = await startFakeForge();
  t.after(() => forge.stop());
  forge.state.seedIssue(12, 'open');

  const greenEnv: Record<string, string> = {
    // Green must listen where blue does: a deployment with socket-path tells its gateway the same way.
    HERMES_SOCKET: w.socketPath,
    E1: `e1-${MARK}-${evil}`,
    E2: `e2-${MARK}-\\${evil}\\`,
    E3: `e3-${MARK}-$HOME\${IFS}$((1+1))`,
  };
  const run = await runActionAsRunner(
    {
      mode: 'promote',
      host: '127.0.0.1',
      port: String(w.sshd.port),
      username: w.sshd.username,
      'private-key': w.sshd.clientKey,
      'host-fingerprint': w.sshd.hostFingerprint,
      'hermes-home': w.home,
      'socket-path': w.socketPath,
      workdir,
      'green-command': w.greenCommand,
      // The user's own command (not ours to quote): it runs in workdir, so it proves workdir got there intact.
      'prepare-command': 'test -f ./workdir-ok',
      release: 'r2',
      runtime: 'claw',
      'green-env': Object.entries(greenEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      'bake-seconds': '1',
      'max-heartbeat-age-seconds': '1',
      'rollback-grace-seconds': '1',
      'timeout-seconds': '300',
      'target-name': 'staging',
      'github-token': GITHUB_TOKEN,
      issue: '12',
    },
    { env: { GITHUB_API_URL: forge.url, GITHUB_SERVER_URL: forge.url }, timeoutMs: 120_000 },
  );
  const serving = w.serving();
  if (serving) w.pids.add(serving);
  const greenLogs = readdirSync(join(w.home, 'logs')).map((f) => join(w.home, 'logs', f));
  const hostLogs = () => [w.blueLog(), ...greenLogs.map((f) => readFileSync(f, 'utf8'))].join('\n');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\n${hostLogs()}`);
  assert.equal(run.outputs.verdict, 'promoted', run.stdout);
  assert.ok(!existsSync(M), 'no value was executed anywhere');

  // Green got every value literally: its environment, its socket, its working directory.
  assert.ok(serving && serving !== w.bluePid, `green serves: gateway.pid ${serving}`);
  assert.equal(Number(run.outputs['green-pid']), serving);
  const environ = readFileSync(`/proc/${serving}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes(`HERMES_HOME=${w.home}`), 'HERMES_HOME arrives literally');
  for (const [k, v] of Object.entries(greenEnv)) assert.ok(environ.includes(`${k}=${v}`), `green-env ${k} arrives literally`);
  assert.equal(readlinkSync(`/proc/${serving}/cwd`), workdir, 'green runs in workdir');
  assert.equal(greenLogs.length, 1, `green's log is under the hostile hermes-home: ${greenLogs.join(', ')}`);

  // No secret in the action's logs, outputs, summary, or what it sent the forge; no token or key on the host's logs.
  const token = readFileSync(join(dirname(w.socketPath), 'handoff.token'), 'utf8').trim();
  const keys = Object.fromEntries(keyLines(w.sshd.clientKey).map((l, i) => [`private-key line ${i + 1}`, l]));
  assert.equal(forge.state.commentsOn(12).length, 1, 'the run commented on issue 12');
  const sent = JSON.stringify(forge.requests.map((r) => ({ path: r.path, query: r.query, body: r.body })));
  assertNoSecrets({ ...leftBehind(run), 'forge requests': sent }, { ...keys, token, 'github-token': GITHUB_TOKEN, 'green-env values': MARK });
  assertNoSecrets({ 'host logs': hostLogs() }, { ...keys, token });

  const stats = await w.settle();
  assert.equal(stats.lost, 0);
  assert.equal(stats.duplicated, 0);
  assert.equal(stats.conflicts, 0);
});
