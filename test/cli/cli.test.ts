// hermes-handoff as a user runs it (dist/cli.js built from the sources): every command has a line in
// --help and its own --help, --version works, and every message names flags and commands, never the
// action's inputs and modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtDist } from '../support/action-runner.ts';
import { ed25519Key } from '../support/keys.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMANDS = ['promote', 'preflight', 'status', 'rollback', 'demo', 'example-gateway', 'fake-platform'];
const FP = 'SHA256:ah3AGhNCDNbkapvZf4L9UrY2vtXw0aAA/Nqtz/JQGm0';
const KH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** Runs `node dist/cli.js ...args` (a fresh copy of dist/ next to this repo's package.json, so --version finds it). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(builtDist(), 'cli.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temp dir with a throwaway key (and an encrypted one), removed after the test. */
function keys(t: { after(fn: () => void): void }): { key: string; encrypted: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hh-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key');
  const encrypted = join(dir, 'enc');
  writeFileSync(key, ed25519Key(), { mode: 0o600 });
  writeFileSync(encrypted, ed25519Key({ passphrase: 'pw-1234' }), { mode: 0o600 });
  return { key, encrypted, dir };
}

test('--help lists every command with one line each; every command has its own --help; help COMMAND is the same', () => {
  const top = cli(['--help']);
  assert.equal(top.status, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} +\\S.*$`, 'm'), `${c} has a line`);
  assert.equal(cli(['help']).stdout, top.stdout);
  for (const c of COMMANDS) {
    const own = cli([c, '--help']);
    assert.equal(own.status, 0, `${c} --help: ${own.stderr}`);
    assert.match(own.stdout, new RegExp(`usage: (hermes-handoff )?${c}\\b`, 'i'), `${c} --help says how to run it:\n${own.stdout}`);
    assert.equal(cli(['help', c]).stdout, own.stdout, `help ${c}`);
  }
  // No command: the help, on stderr, exit 2.
  const none = cli([]);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, top.stdout);
});

test('--version prints the version in package.json beside dist/', (t) => {
  // Where it sits in a clone and in the npm package: a copy of dist/ with package.json next to it.
  const dir = mkdtempSync(join(tmpdir(), 'hh-cli-version-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(builtDist(), join(dir, 'dist'), { recursive: true });
  const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8');
  writeFileSync(join(dir, 'package.json'), pkg);
  const r = spawnSync(process.execPath, [join(dir, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `hermes-handoff ${(JSON.parse(pkg) as { version: string }).version}\n`);
});

test('a mistyped command or flag gets the closest name', () => {
  const cmd = cli(['promot']);
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /unknown command "promot": did you mean promote\?/);
  const flag = cli(['status', '--bake-second', '3']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /^hermes-handoff status: unknown flag --bake-second: did you mean --bake-seconds\? \(see hermes-handoff status --help\)$/m);
  assert.match(cli(['status', '--timeout', '3']).stderr, /did you mean --timeout-seconds\?/);
  assert.match(cli(['status', '--known-host-file', 'x']).stderr, /did you mean --known-hosts-file\?/);
  assert.doesNotMatch(cli(['status', '--zzzzzz']).stderr, /did you mean/);
});

test("input errors name flags, files and commands, never the action's inputs", (t) => {
  const k = keys(t);
  const r = cli(['promote', '--host', 'gw.example.com', '--username', 'hermes', '--private-key-file', k.encrypted]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const msg = r.stderr;
  assert.match(msg, /^hermes-handoff promote: 4 invalid flags:$/m);
  assert.match(msg, /^ {2}--passphrase-file: expected a passphrase: the private key is encrypted$/m);
  assert.match(msg, /^ {2}--host-fingerprint: a host key pin is required with --transport ssh \(the default\): set --host-fingerprint or --known-hosts\. .*--insecure-skip-host-key-check true skips the check/m);
  assert.match(msg, /^ {2}--green-command: required to promote/m);
  assert.match(msg, /^ {2}--release: required to promote/m);
  assert.doesNotMatch(msg, /input "|mode: |transport: ssh|host-fingerprint or known-hosts/);

  const local = cli(['status', '--transport', 'local', '--host', 'gw']);
  assert.match(local.stderr, /--host: not used with --transport local \(the gateway runs on this machine\); remove it, or set --transport ssh/);
  assert.match(cli(['status', '--host', 'gw:2222']).stderr, /--host: expected a host name or IP address alone; give the port as --port 2222/);
  assert.match(cli(['status', '--jump-known-hosts', `bastion ${KH_KEY}`]).stderr, /--jump-known-hosts: used only with --jump-host; set --jump-host or remove it/);
});

test('promote: --timeout-seconds must hold the whole promotion, and the message says what to set, in flags', (t) => {
  const k = keys(t);
  const base = ['--host', 'gw.example.com', '--username', 'hermes', '--private-key-file', k.key, '--host-fingerprint', FP, '--green-command', 'run', '--release', 'r1'];
  const r = cli(['promote', ...base, '--bake-seconds', '899', '--timeout-seconds', '900']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--timeout-seconds: expected at least 1089 s for a bake of 899 s: .*the bake 899 s \(--bake-seconds\).*\(--ack-timeout-seconds\).*plus --prepare-command and green's launch\. Set --timeout-seconds 1089 or more, or lower --bake-seconds 710 or less$/m);
  assert.doesNotMatch(r.stderr, /timeout-minutes/);
});

test('status: --timeout-seconds is not measured against a bake; the report is plain text on stdout, --json and --format markdown on request', (t) => {
  const k = keys(t);
  const home = join(k.dir, 'no-gateway-here');
  const args = ['status', '--transport', 'local', '--hermes-home', home, '--timeout-seconds', '10', '--target-name', 'lab'];
  const text = cli(args);
  assert.equal(text.status, 1, text.stderr);
  assert.match(text.stdout, /^failed: .+\n {2}target lab, mode status/);
  assert.doesNotMatch(text.stdout, /[|#`]|&#|<details>|^\{/m);

  const json = cli([...args, '--json']);
  assert.equal(json.status, 1);
  const lines = json.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, json.stdout);
  const outputs = JSON.parse(lines[0]!) as Record<string, string>;
  assert.equal(outputs.verdict, 'failed');
  assert.match(json.stderr, /^failed: /m, 'the report goes to stderr with --json');

  const md = cli([...args, '--format', 'markdown']);
  assert.match(md.stdout, /^### ❌ Failed on `lab`\n/);
  assert.match(cli([...args, '--format', 'html']).stderr, /--format: expected text or markdown, got "html"/);
});

test('pin hints in flags: a known_hosts line for port 22 on another port, and a pin in the other flag', (t) => {
  const k = keys(t);
  const base = ['status', '--host', 'gw.example.com', '--port', '2222', '--username', 'hermes', '--private-key-file', k.key];
  const port = cli([...base, '--known-hosts', `gw.example.com ${KH_KEY}`]);
  assert.match(port.stderr, /--known-hosts: no line can match the host: the known_hosts lines name gw\.example\.com without a port, which OpenSSH reads as port 22; for port 2222 OpenSSH writes the host as \[gw\.example\.com\]:2222/);
  assert.equal(cli([...base, '--known-hosts', `[gw.example.com]:2222 ${KH_KEY}`, '--timeout-seconds', '1', '--connect-timeout-seconds', '0.5']).stderr.includes('invalid'), false);
  assert.match(cli([...base, '--host-fingerprint', `gw.example.com ${KH_KEY}`]).stderr, /--host-fingerprint: expected SHA256 fingerprints; this is a known_hosts line \(as ssh-keyscan prints it\): it belongs in the other input, --known-hosts/);
  assert.match(cli([...base, '--known-hosts', FP]).stderr, /--known-hosts: expected a known_hosts line; this is a fingerprint: it belongs in the other input, --host-fingerprint/);
});
