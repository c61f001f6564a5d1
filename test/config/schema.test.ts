import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, readSettings, SCHEMA_INPUTS, type Settings } from '../../src/config/schema.ts';
import { INPUT_NAMES, SECRET_INPUTS } from '../../src/config/inputs.ts';
import { SshOptions, type SshOptionsInput } from '../../src/host/ssh/options.ts';
import { ACTION_WORDS } from '../../src/core/reasons.ts';
import { ENC_KEY, ENC_PASS, ENV, FP, FP2, inputsOf, KEY, KNOWN_HOSTS_LINE, MARK, minimal } from './fixtures.ts';

/** Reads `overrides` over the minimal valid set; returns the InputError it throws (fails when none). */
function errorFor(overrides: Record<string, string>, base: Record<string, string> = minimal(), env: NodeJS.ProcessEnv = ENV): InputError {
  try {
    readSettings(inputsOf({ ...base, ...overrides }), env);
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected an InputError for ${JSON.stringify(Object.keys(overrides))}`);
}

function read(overrides: Record<string, string>, base: Record<string, string> = minimal(), env: NodeJS.ProcessEnv = ENV): Settings {
  return readSettings(inputsOf({ ...base, ...overrides }), env);
}

const named = (e: InputError) => e.problems.map((p) => p.input);

// At least one wrong value for every input. Secret inputs carry MARK, which no message may echo.
const BAD: [string, string][] = [
  ['mode', 'deploy'],
  ['transport', 'telnet'],
  ['host', 'gw.example.com:22'],
  ['host', 'gw example com'],
  ['host', '-oProxyCommand=touch'],
  ['port', 'abc'],
  ['port', '0'],
  ['port', '65536'],
  ['port', '22.5'],
  ['username', '-oProxyCommand=x'],
  ['username', 'de ploy'],
  ['private-key', `not a key ${MARK}`],
  ['private-key', `-----BEGIN OPENSSH PRIVATE KEY-----\\n${MARK}\\n-----END OPENSSH PRIVATE KEY-----`],
  ['private-key', `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ${MARK}`],
  ['passphrase', `${MARK}\u0001`],
  ['known-hosts', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
  ['known-hosts', FP],
  ['known-hosts', 'gw.example.com ssh-ed25519 not*base64'],
  ['host-fingerprint', 'SHA256:tooshort'],
  ['host-fingerprint', 'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48'],
  ['host-fingerprint', `${FP}, junk`],
  ['insecure-skip-host-key-check', 'yes'],
  ['jump-host', 'bastion:99999'],
  ['jump-host', 'a b@bastion'],
  ['jump-host', '[not-ipv6]:22'],
  ['jump-private-key', `garbage ${MARK}`],
  ['jump-passphrase', `${MARK}\u0002`],
  ['jump-known-hosts', 'garbage'],
  ['jump-host-fingerprint', 'nope'],
  ['connect-timeout-seconds', '0'],
  ['connect-timeout-seconds', '1e3'],
  ['hermes-home', 'relative/home'],
  ['hermes-home', '~root/.hermes'],
  ['hermes-home', '/srv/a\nb'],
  ['socket-path', 'run/handoff.sock'],
  ['green-command', 'start\u0000green'],
  ['workdir', 'srv/app'],
  ['runtime', 'claw; rm -rf /'],
  ['release', '$(touch /tmp/pwned)'],
  ['release', 'v1 2'],
  ['green-env', `NO_EQUALS_${MARK}`],
  ['green-env', `1BAD=${MARK}`],
  ['prepare-command', 'x\u0000y'],
  ['launcher', 'docker'],
  ['systemd-unit', 'hermes-gateway'],
  ['systemd-unit', 'a b@'],
  ['bake-seconds', '-5'],
  ['bake-seconds', 'five'],
  ['observe-seconds', '-1'],
  ['max-error-rate', '5'],
  ['max-error-rate', '150%'],
  ['max-error-rate', '-0.1'],
  ['max-latency-factor', '0.5'],
  ['latency-floor-ms', '-1'],
  ['expected-latency-ms', '0'],
  ['expected-latency-ms', '1.5'],
  ['min-messages', '-1'],
  ['max-heartbeat-age-seconds', '0'],
  ['consecutive-breaches', '0'],
  ['consecutive-breaches', '1.5'],
  ['ack-timeout-seconds', 'x'],
  ['claim-timeout-seconds', '0'],
  ['rollback-grace-seconds', '-'],
  ['timeout-seconds', '0'],
  ['handoff-id', '../etc'],
  ['handoff-id', '..'],
  ['target-name', 'prod/eu'],
  ['target-name', 'x'.repeat(65)],
  ['status-context', 'a\u0007b'],
  ['fail-on-rollback', 'maybe'],
  ['github-token', `ghs_${MARK}\nsecond line`],
  ['issue', 'abc'],
  ['issue', '0'],
  ['close-issue-on-success', '1'],
  ['failure-label', 'x'.repeat(51)],
  ['max-issues', '0'],
  ['max-issues', '101'],
  ['max-issues', 'ten'],
  ['host-output-in-comments', 'sometimes'],
];

test('the table has a wrong value for every input', () => {
  const covered = new Set(BAD.map(([n]) => n));
  assert.deepEqual(INPUT_NAMES.filter((n) => !covered.has(n)), []);
});

test('the schema reads exactly INPUT_NAMES', () => {
  assert.deepEqual(SCHEMA_INPUTS, [...INPUT_NAMES]);
});

for (const [input, value] of BAD) {
  test(`input ${input}: ${JSON.stringify(value).slice(0, 50)} is refused, naming the input`, () => {
    // A jump-* input is only checked field by field when there is a jump host to use it with.
    const extra: Record<string, string> = input.startsWith('jump-') && input !== 'jump-host' ? { 'jump-host': 'bastion.example.com', 'jump-host-fingerprint': FP2 } : {};
    const e = errorFor({ ...extra, [input]: value });
    assert.ok(named(e).includes(input as never), `problems: ${e.message}`);
    assert.match(e.message, new RegExp(`input "${input}": `));
    const problem = e.problems.find((p) => p.input === input);
    assert.ok(problem && /expected|required/.test(problem.message), `says what was expected: ${problem?.message}`);
    assert.ok(!e.message.includes(MARK), `the message echoes a secret: ${e.message}`);
    if (!SECRET_INPUTS.has(input as never) && !value.includes('\n') && value.length < 60 && ![...value].some((c) => c < ' ')) {
      assert.ok(e.message.includes(JSON.stringify(value)) || problem?.message.includes('got'), `quotes the value: ${e.message}`);
    }
  });
}

test('the port message has the documented form', () => {
  const e = errorFor({ port: 'abc' });
  assert.ok(e.message.includes('input "port": expected an integer 1-65535, got "abc"'), e.message);
});

test('every bad input is reported at once', () => {
  const e = errorFor({ port: 'abc', mode: 'deploy', 'bake-seconds': 'x', 'green-env': `oops ${MARK}`, 'target-name': 'a/b', passphrase: `${MARK}\u0001` });
  assert.deepEqual(named(e), ['mode', 'port', 'passphrase', 'green-env', 'bake-seconds', 'target-name']);
  assert.match(e.message, /^6 invalid inputs:/);
  assert.ok(!e.message.includes(MARK));
});

test('a full valid set parses into the expected Settings', () => {
  const all: Record<string, string> = {
    mode: 'promote',
    transport: 'ssh',
    host: 'gw.example.com',
    port: '2222',
    username: 'deploy',
    'private-key': ENC_KEY,
    passphrase: ENC_PASS,
    'known-hosts': `# rotation: old and new\n${KNOWN_HOSTS_LINE}\n\n[gw.example.com]:2222 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==`,
    'host-fingerprint': `${FP}, ${FP2}`,
    'insecure-skip-host-key-check': 'false',
    'jump-host': 'jumper@bastion.example.com:2200',
    'jump-private-key': KEY,
    'jump-passphrase': '',
    'jump-known-hosts': 'bastion.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
    'jump-host-fingerprint': `256 ${FP2} bastion.example.com (ED25519)`,
    'connect-timeout-seconds': '7.5',
    'hermes-home': '/srv/hermes',
    'socket-path': '/run/hermes/handoff.sock',
    'green-command': 'uv run hermes gateway --port "$PORT"',
    workdir: '~/releases/next',
    runtime: 'claw',
    release: 'v2.3.1',
    'green-env': 'API_KEY=abc=def\nQUOTED="kept as is"\n# a comment\n\nEMPTY=',
    'prepare-command': 'git fetch && git checkout v2.3.1',
    launcher: 'systemd',
    'systemd-unit': 'hermes@',
    'bake-seconds': '1.5',
    'observe-seconds': '86400',
    'max-error-rate': '2.5%',
    'max-latency-factor': '2',
    'latency-floor-ms': '100',
    'expected-latency-ms': '2000',
    'min-messages': '3',
    'max-heartbeat-age-seconds': '2.5',
    'consecutive-breaches': '4',
    'ack-timeout-seconds': '30',
    'claim-timeout-seconds': '60',
    'rollback-grace-seconds': '0.5',
    'timeout-seconds': '120',
    'handoff-id': '20261123T101010-abc-1a2b3c',
    'target-name': 'eu prod-1',
    'status-context': 'deploy/eu',
    'fail-on-rollback': 'False',
    'github-token': 'ghs_0123456789abcdef',
    issue: '#42',
    'close-issue-on-success': 'FALSE',
    'failure-label': 'deploy failed',
    'max-issues': '10',
    'host-output-in-comments': 'false',
  };
  assert.deepEqual(Object.keys(all).sort(), [...INPUT_NAMES].sort());
  const s = readSettings(inputsOf(all), ENV);
  const expected: Settings = {
    mode: 'promote',
    words: ACTION_WORDS,
    transport: 'ssh',
    handoffId: '20261123T101010-abc-1a2b3c',
    // The SSH host's own schema, its defaults (keepalive, reconnect) filled in.
    ssh: SshOptions.parse({
      host: 'gw.example.com',
      port: 2222,
      username: 'deploy',
      privateKey: ENC_KEY.trim() + '\n',
      passphrase: ENC_PASS,
      pins: {
        knownHosts: [KNOWN_HOSTS_LINE, '[gw.example.com]:2222 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ=='],
        fingerprints: [FP, FP2],
      },
      insecureSkipHostKeyCheck: false,
      jump: {
        host: 'bastion.example.com',
        port: 2200,
        username: 'jumper',
        privateKey: KEY.trim() + '\n',
        pins: {
          knownHosts: ['bastion.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
          fingerprints: [FP2],
        },
      },
      readyTimeoutMs: 7500,
    }),
    gateway: {
      hermesHome: '/srv/hermes',
      socketPath: '/run/hermes/handoff.sock',
      greenCommand: 'uv run hermes gateway --port "$PORT"',
      workdir: '~/releases/next',
      runtime: 'claw',
      release: 'v2.3.1',
      greenEnv: { API_KEY: 'abc=def', QUOTED: '"kept as is"', EMPTY: '' },
      prepareCommand: 'git fetch && git checkout v2.3.1',
      launcher: 'systemd',
      systemdUnit: 'hermes@',
    },
    bake: {
      bakeMs: 1500,
      observeMs: 86_400_000,
      timeoutMs: 120_000,
      thresholds: { max_error_rate: 0.025, max_latency_factor: 2, latency_floor_ms: 100, expected_latency_ms: 2000, min_messages: 3, max_heartbeat_age_ms: 2500, consecutive: 4 },
      deadlines: { ack_ms: 30_000, claim_ms: 60_000, rollback_grace_ms: 500 },
    },
    report: {
      targetName: 'eu prod-1',
      statusContext: 'deploy/eu',
      failOnRollback: false,
      githubToken: 'ghs_0123456789abcdef',
      issue: 42,
      closeIssueOnSuccess: false,
      failureLabel: 'deploy failed',
      maxIssues: 10,
      hostOutputInComments: false,
    },
  };
  assert.deepEqual(s, expected);
});

test('defaults: the minimal set', () => {
  const s = read({});
  assert.equal(s.mode, 'promote');
  assert.equal(s.transport, 'ssh');
  assert.equal(s.ssh?.port, 22);
  assert.equal(s.ssh?.readyTimeoutMs, 20_000);
  assert.equal(s.ssh?.insecureSkipHostKeyCheck, false);
  assert.equal(s.ssh?.passphrase, undefined);
  assert.equal(s.ssh?.jump, undefined);
  assert.deepEqual(s.ssh?.pins, { knownHosts: [], fingerprints: [FP] });
  assert.deepEqual(s.gateway, {
    hermesHome: '~/.hermes',
    socketPath: null,
    greenCommand: 'uv run hermes gateway',
    workdir: null,
    runtime: 'claw',
    release: ENV.GITHUB_SHA,
    greenEnv: {},
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
  });
  assert.deepEqual(s.bake, {
    bakeMs: 300_000,
    observeMs: 86_400_000,
    timeoutMs: 900_000,
    thresholds: { max_error_rate: 0.05, max_latency_factor: 3, latency_floor_ms: 250, expected_latency_ms: 5000, min_messages: 10, max_heartbeat_age_ms: 5000, consecutive: 3 },
    deadlines: { ack_ms: 120_000, claim_ms: 600_000, rollback_grace_ms: 10_000 },
  });
  assert.deepEqual(s.report, {
    targetName: 'production',
    statusContext: 'hermes-handoff/production',
    failOnRollback: true,
    githubToken: null,
    issue: null,
    closeIssueOnSuccess: true,
    failureLabel: 'handoff-failed',
    maxIssues: 10,
    hostOutputInComments: false,
  });
});

test('blank and whitespace-only inputs take the default', () => {
  assert.equal(read({ port: '  ', 'bake-seconds': '\n' }).ssh?.port, 22);
  assert.equal(read({ 'bake-seconds': '\n' }).bake.bakeMs, 300_000);
});

test('status-context follows target-name', () => {
  assert.equal(read({ 'target-name': 'staging' }).report.statusContext, 'hermes-handoff/staging');
});

test('seconds take decimals and become whole milliseconds', () => {
  const s = read({ mode: 'status', 'bake-seconds': '1.5', 'timeout-seconds': '2', 'ack-timeout-seconds': '0.25' });
  assert.equal(s.bake.bakeMs, 1500);
  assert.equal(s.bake.timeoutMs, 2000);
  assert.equal(s.bake.deadlines.ack_ms, 250);
  assert.equal(read({ 'bake-seconds': '0' }).bake.bakeMs, 0);
});

test('max-error-rate: 5% and 0.05 are the same', () => {
  assert.equal(read({ 'max-error-rate': '5%' }).bake.thresholds.max_error_rate, 0.05);
  assert.equal(read({ 'max-error-rate': '0.05' }).bake.thresholds.max_error_rate, 0.05);
  assert.equal(read({ 'max-error-rate': '100%' }).bake.thresholds.max_error_rate, 1);
  assert.equal(read({ 'max-error-rate': '0%' }).bake.thresholds.max_error_rate, 0);
  assert.match(errorFor({ 'max-error-rate': '5' }).message, /like 5%/);
});

test('booleans take the YAML 1.2 core spellings', () => {
  for (const v of ['true', 'True', 'TRUE']) assert.equal(read({ 'fail-on-rollback': v }).report.failOnRollback, true);
  for (const v of ['false', 'False', 'FALSE']) assert.equal(read({ 'fail-on-rollback': v }).report.failOnRollback, false);
});

test('ssh transport needs host, username and private-key (all reported together)', () => {
  const e = errorFor({}, { 'host-fingerprint': FP, 'green-command': 'x' });
  assert.deepEqual(named(e), ['host', 'username', 'private-key']);
  for (const p of e.problems) assert.match(p.message, /required with transport: ssh \(the default\)/);
});

test('ssh without a pin is refused, saying how to get one', () => {
  const e = errorFor({ 'host-fingerprint': '', port: '2222' });
  assert.deepEqual(named(e), ['host-fingerprint']);
  assert.ok(e.message.includes('ssh-keyscan -p 2222 -t ed25519 gw.example.com | ssh-keygen -lf -'), e.message);
});

test('a known_hosts line alone is a pin; insecure-skip-host-key-check replaces a pin', () => {
  assert.deepEqual(read({ 'host-fingerprint': '', 'known-hosts': KNOWN_HOSTS_LINE }).ssh?.pins, { knownHosts: [KNOWN_HOSTS_LINE], fingerprints: [] });
  const s = read({ 'host-fingerprint': '', 'insecure-skip-host-key-check': 'true' });
  assert.equal(s.ssh?.insecureSkipHostKeyCheck, true);
});

test('pins together with insecure-skip-host-key-check are refused', () => {
  assert.deepEqual(named(errorFor({ 'insecure-skip-host-key-check': 'true' })), ['insecure-skip-host-key-check']);
});

test('fingerprints: commas, newlines, a whole ssh-keygen line, padding', () => {
  const s = read({ 'host-fingerprint': `${FP},${FP2}=\n\n256 ${FP} [gw]:22,gw2 (ED25519)` });
  assert.deepEqual(s.ssh?.pins.fingerprints, [FP, FP2, FP]);
});

test('promote needs green-command; other modes do not', () => {
  assert.deepEqual(named(errorFor({ 'green-command': '' })), ['green-command']);
  for (const mode of ['preflight', 'status', 'rollback']) {
    assert.equal(read({ mode, 'green-command': '' }).gateway.greenCommand, null);
  }
});

test('release defaults to GITHUB_SHA and is required for promote only', () => {
  assert.equal(read({}).gateway.release, ENV.GITHUB_SHA);
  assert.equal(read({ release: 'v9' }).gateway.release, 'v9');
  const e = errorFor({}, minimal(), {});
  assert.deepEqual(named(e), ['release']);
  assert.match(e.message, /GITHUB_SHA/);
  assert.equal(read({ mode: 'preflight' }, minimal(), {}).gateway.release, '');
});

test('promote: timeout-seconds must hold the whole promotion, and the message says what to set instead', () => {
  // 899 s of bake + 120 s ack + 10 s drain + 10 s confirm + 5 s last heartbeat + 10 s takeover + 35 s of the engine's own waits.
  const e = errorFor({ 'bake-seconds': '899', 'timeout-seconds': '900' });
  assert.deepEqual(named(e), ['timeout-seconds']);
  const msg = e.problems[0]?.message ?? '';
  assert.match(msg, /^expected at least 1089 s for a bake of 899 s: once green has connected, a promotion may take up to 1089 s \(/);
  for (const part of ['the bake 899 s (bake-seconds)', "green's start-up to ready 120 s (ack-timeout-seconds)", 'the drain 10 s', "green's confirm 10 s", 'the last heartbeat 5 s (max-heartbeat-age-seconds)', 'the takeover 10 s']) {
    assert.ok(msg.includes(part), `${part} in: ${msg}`);
  }
  assert.match(msg, /Set timeout-seconds: 1089 or more \(and the job's timeout-minutes above it\), or lower bake-seconds: 710 or less$/);
  // Exactly enough is enough; the figures follow the deadlines the run sets.
  assert.equal(read({ 'bake-seconds': '899', 'timeout-seconds': '1089' }).bake.timeoutMs, 1_089_000);
  assert.equal(read({ 'bake-seconds': '899', 'timeout-seconds': '1000', 'ack-timeout-seconds': '30' }).bake.bakeMs, 899_000);
  assert.match(errorFor({ 'bake-seconds': '10', 'timeout-seconds': '60' }).message, /at least 200 s/);
  assert.match(errorFor({ 'bake-seconds': '10', 'timeout-seconds': '60', 'max-heartbeat-age-seconds': '30' }).message, /at least 225 s/);
  // Nothing else to lower when even no bake fits.
  assert.doesNotMatch(errorFor({ 'bake-seconds': '0', 'timeout-seconds': '5' }).message, /lower bake-seconds/);
  assert.equal(read({ 'bake-seconds': '899.9', 'timeout-seconds': '1090' }).bake.bakeMs, 899_900);
});

test('status, rollback and preflight plan no bake: timeout-seconds is not measured against bake-seconds', () => {
  for (const mode of ['status', 'rollback', 'preflight']) {
    assert.equal(read({ mode, 'timeout-seconds': '10' }).bake.timeoutMs, 10_000, mode);
    assert.equal(read({ mode, 'timeout-seconds': '10', 'bake-seconds': '600' }).bake.timeoutMs, 10_000, mode);
  }
});

test('local transport needs no ssh inputs, and refuses a host', () => {
  const s = readSettings(inputsOf({ transport: 'local', 'green-command': 'run' }), ENV);
  assert.equal(s.ssh, null);
  assert.equal(s.transport, 'local');
  assert.deepEqual(named(errorFor({ transport: 'local' })), ['host']);
});

test('an encrypted key needs its passphrase; a wrong one is refused without echo', () => {
  assert.equal(read({ 'private-key': ENC_KEY, passphrase: ENC_PASS }).ssh?.passphrase, ENC_PASS);
  const missing = errorFor({ 'private-key': ENC_KEY });
  assert.deepEqual(named(missing), ['passphrase']);
  assert.match(missing.message, /encrypted/);
  const wrong = errorFor({ 'private-key': ENC_KEY, passphrase: `wrong-${MARK}` });
  assert.deepEqual(named(wrong), ['passphrase']);
  assert.ok(!wrong.message.includes(MARK));
});

test('CRLF keys are read', () => {
  const s = read({ 'private-key': KEY.replace(/\n/g, '\r\n') });
  assert.equal(s.ssh?.privateKey, KEY.trim() + '\n');
});

test('a private key pasted into a public input is not echoed', () => {
  const e = errorFor({ 'host-fingerprint': KEY });
  assert.ok(!e.message.includes(KEY.split('\n')[1] as string), e.message);
  assert.match(e.message, /looks like a private key/);
});

test('jump host: defaults to the main key and user, needs its own pin', () => {
  const s = read({ 'jump-host': 'bastion.example.com', 'jump-host-fingerprint': FP2 });
  assert.deepEqual(s.ssh?.jump, {
    host: 'bastion.example.com',
    port: 22,
    username: 'deploy',
    privateKey: KEY.trim() + '\n',
    pins: { knownHosts: [], fingerprints: [FP2] },
  });
  const enc = read({ 'private-key': ENC_KEY, passphrase: ENC_PASS, 'jump-host': 'b', 'jump-host-fingerprint': FP2 });
  assert.equal(enc.ssh?.jump?.passphrase, ENC_PASS);
  const e = errorFor({ 'jump-host': 'bastion.example.com:2200' });
  assert.deepEqual(named(e), ['jump-host-fingerprint']);
  assert.ok(e.message.includes('ssh-keyscan -p 2200 -t ed25519 bastion.example.com'), e.message);
  assert.equal(read({ 'jump-host': '[2001:db8::1]:2200', 'jump-host-fingerprint': FP2 }).ssh?.jump?.host, '2001:db8::1');
});

test('jump inputs without jump-host are refused', () => {
  const e = errorFor({ 'jump-host-fingerprint': FP2, 'jump-private-key': KEY });
  assert.deepEqual(named(e), ['jump-private-key', 'jump-host-fingerprint']);
  for (const p of e.problems) assert.match(p.message, /jump-host/);
});

test('green-env: values kept literally, = in values, comments, CRLF', () => {
  const env = read({ 'green-env': `A="quoted value"\r\nB='single'\n# comment\n   \nC=x=y==\n  D=$(not run) \`nor this\`\nE=` }).gateway.greenEnv;
  assert.deepEqual(env, { A: '"quoted value"', B: "'single'", C: 'x=y==', D: '$(not run) `nor this`', E: '' });
});

test('green-env: bad keys, reserved keys and duplicates name the line, never the value', () => {
  const e = errorFor({ 'green-env': `OK=1\n1BAD=${MARK}\nBAD KEY=${MARK}\nHERMES_RUNTIME=${MARK}\nOK=${MARK}\n${MARK}` });
  const msg = e.problems.find((p) => p.input === 'green-env')?.message ?? '';
  assert.match(msg, /line 2: expected a KEY/);
  assert.match(msg, /line 3: expected a KEY/);
  assert.match(msg, /line 4: HERMES_RUNTIME is set by hermes-handoff itself \(use the runtime and release inputs\)/);
  assert.match(msg, /line 5: OK is set twice/);
  assert.match(msg, /line 6: expected KEY=VALUE/);
  assert.ok(!e.message.includes(MARK));
});

test('green-env: __proto__ is refused, not turned into a prototype', () => {
  const e = errorFor({ 'green-env': '__proto__=x' });
  assert.match(e.message, /line 1: __proto__ cannot be used/);
  assert.equal(Object.getPrototypeOf(read({ 'green-env': 'constructor=x' }).gateway.greenEnv), Object.prototype);
});

test('paths are validated, not rewritten', () => {
  const s = read({ 'hermes-home': '~/hermes dir/with $dollar', workdir: '/srv/a;b', 'socket-path': '~/x/../y.sock' });
  assert.equal(s.gateway.hermesHome, '~/hermes dir/with $dollar');
  assert.equal(s.gateway.workdir, '/srv/a;b');
  assert.equal(s.gateway.socketPath, '~/x/../y.sock');
});

test('host forms: names, IPv4, IPv6', () => {
  assert.equal(read({ host: '10.0.0.5' }).ssh?.host, '10.0.0.5');
  assert.equal(read({ host: '2001:db8::5' }).ssh?.host, '2001:db8::5');
  assert.match(errorFor({ host: 'gw:2222' }).message, /port/);
});

test('a secret pasted into another input is not echoed in its message', () => {
  const e = errorFor({ 'github-token': `ghs_${MARK}`, 'status-context': `ghs_${MARK}\u0007` });
  assert.deepEqual(named(e), ['status-context']);
  assert.ok(!e.message.includes(MARK), e.message);
  assert.match(e.message, /got "\*\*\*/);
});

test('settings.ssh is what the SSH host takes (SshOptions)', () => {
  const s = read({ 'private-key': ENC_KEY, passphrase: ENC_PASS, 'jump-host': 'j@bastion:2200', 'jump-known-hosts': KNOWN_HOSTS_LINE });
  const ssh: SshOptionsInput | null = s.ssh;
  assert.ok(ssh);
  assert.deepEqual(SshOptions.parse(ssh), ssh, 'already parsed: nothing to fill in or change');
  assert.equal(s.ssh?.readyTimeoutMs, 20_000);
  assert.equal(s.ssh?.jump?.username, 'j');
});
