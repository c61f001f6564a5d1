// Messages in the vocabulary of the interface in use, pin hints, the closest name for a mistyped
// input, and pull requests whose secrets the forge withholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_WORDS } from '../../src/cli/words.ts';
import { closestName } from '../../src/config/closest.ts';
import { INPUT_NAMES } from '../../src/config/inputs.ts';
import { InputError, readSettings } from '../../src/config/schema.ts';
import { knownHostsPortHint } from '../../src/config/ssh-fields.ts';
import { unknownInputWarnings } from '../../src/config/unknown-inputs.ts';
import { withheldSecrets } from '../../src/config/withheld-secrets.ts';
import { ACTION_WORDS, cancelledReason, deadlinePassed, RERUN_STATUS, rollbackRequested, stillInPhase, type Words } from '../../src/core/reasons.ts';
import { ENV, FP, inputsOf, KEY, minimal } from './fixtures.ts';

const KH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function errorIn(words: Words, overrides: Record<string, string>): InputError {
  try {
    readSettings(inputsOf({ ...minimal(), ...overrides }), ENV, words);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e;
  }
  assert.fail('expected an InputError');
}

test('the same problem in the words of each interface: inputs and modes, or flags, files and commands', () => {
  const bad = { 'host-fingerprint': '', 'green-command': '', 'green-env': 'HERMES_RELEASE=x' };
  const action = errorIn(ACTION_WORDS, bad).message;
  const cli = errorIn(CLI_WORDS, bad).message;
  assert.match(action, /^3 invalid inputs:\n/);
  assert.match(action, /^ {2}input "green-command": required to promote/m);
  assert.match(action, /input "host-fingerprint": a host key pin is required with transport: ssh \(the default\): set host-fingerprint or known-hosts\./);
  assert.match(action, /insecure-skip-host-key-check: true skips the check/);
  assert.match(action, /input "green-env": line 1: HERMES_RELEASE is set by hermes-handoff itself \(use the runtime and release inputs\)/);
  assert.match(cli, /^3 invalid flags:\n/);
  assert.match(cli, /^ {2}--green-command: required to promote/m);
  assert.match(cli, /--host-fingerprint: a host key pin is required with --transport ssh \(the default\): set --host-fingerprint or --known-hosts\./);
  assert.match(cli, /--insecure-skip-host-key-check true skips the check/);
  assert.match(cli, /--green-env-file: line 1: HERMES_RELEASE is set by hermes-handoff itself \(use the --runtime and --release flags\)/);
  assert.doesNotMatch(cli, /input "|transport: ssh/);
  // One problem reads in the singular.
  assert.match(errorIn(CLI_WORDS, { 'green-command': '' }).message, /^1 invalid flag:\n {2}--green-command: /);
});

test("hints the engine words: rerun, the run's deadline, a requested rollback, a cancelled run", () => {
  assert.equal(RERUN_STATUS, 'rerun with mode: status');
  assert.equal(stillInPhase(ACTION_WORDS, 'h-1', 'baking'), 'handoff h-1 is still in phase baking; rerun with mode: status');
  assert.equal(stillInPhase(CLI_WORDS, 'h-1', 'baking'), 'handoff h-1 is still in phase baking; run hermes-handoff status with the same flags');
  assert.equal(deadlinePassed(ACTION_WORDS, 900_000, 'baking'), "the action's deadline of 900 s passed while the host was in phase baking; rerun with mode: status");
  assert.equal(deadlinePassed(CLI_WORDS, 900_000, null, 'socket closed'), 'the deadline (--timeout-seconds) of 900 s passed: socket closed; run hermes-handoff status with the same flags');
  assert.equal(rollbackRequested(ACTION_WORDS), 'rollback requested by hermes-handoff (mode: rollback)');
  assert.equal(rollbackRequested(CLI_WORDS), 'rollback requested by hermes-handoff rollback');
  assert.match(cancelledReason('SIGINT', CLI_WORDS), /; run hermes-handoff status with the same flags to report it$/);
  assert.match(cancelledReason('SIGTERM'), /; rerun with mode: status to report it$/);
});

test('settings carry the words of the interface that read them, for the engine', () => {
  assert.equal(readSettings(inputsOf(minimal()), ENV).words, ACTION_WORDS);
  assert.equal(readSettings(inputsOf(minimal()), ENV, CLI_WORDS).words, CLI_WORDS);
});

test('a known_hosts line for port 22 when the port is another: OpenSSH writes [host]:port', () => {
  const hint = knownHostsPortHint([`gw.example.com ${KH_KEY}`], 'gw.example.com', 2222);
  assert.equal(hint, 'the known_hosts lines name gw.example.com without a port, which OpenSSH reads as port 22; for port 2222 OpenSSH writes the host as [gw.example.com]:2222 (as ssh-keyscan -p 2222 gw.example.com prints it)');
  assert.ok(knownHostsPortHint([`GW.example.com,10.0.0.1 ${KH_KEY}`, `[gw.example.com]:22 ${KH_KEY}`], 'gw.example.com', 2222));
  // A line that can match, or one this cannot read (hashed, patterns), or another host: no hint.
  assert.equal(knownHostsPortHint([`gw.example.com ${KH_KEY}`, `[gw.example.com]:2222 ${KH_KEY}`], 'gw.example.com', 2222), null);
  assert.equal(knownHostsPortHint([`|1|abc=|def= ${KH_KEY}`], 'gw.example.com', 2222), null);
  assert.equal(knownHostsPortHint([`*.example.com ${KH_KEY}`], 'gw.example.com', 2222), null);
  assert.equal(knownHostsPortHint([`other.example.com ${KH_KEY}`], 'gw.example.com', 2222), null);
  assert.equal(knownHostsPortHint([`gw.example.com ${KH_KEY}`], 'gw.example.com', 22), null);
  assert.equal(knownHostsPortHint([`@revoked gw.example.com ${KH_KEY}`], 'gw.example.com', 2222), null);

  // As an input error, only when no fingerprint pins the host instead; the jump host's pins too.
  const e = errorIn(ACTION_WORDS, { port: '2222', 'host-fingerprint': '', 'known-hosts': `gw.example.com ${KH_KEY}` });
  assert.deepEqual(e.problems.map((p) => p.input), ['known-hosts']);
  assert.match(e.message, /input "known-hosts": no line can match the host: .*\[gw\.example\.com\]:2222/);
  assert.equal(readSettings(inputsOf({ ...minimal(), port: '2222', 'known-hosts': `gw.example.com ${KH_KEY}` }), ENV).ssh?.port, 2222);
  const jump = errorIn(ACTION_WORDS, { 'jump-host': 'bastion.example.com:2200', 'jump-known-hosts': `bastion.example.com ${KH_KEY}` });
  assert.match(jump.message, /input "jump-known-hosts": no line can match the jump host: .*\[bastion\.example\.com\]:2200/);
});

test('a pin pasted into the other input says it belongs there, in the words of the interface', () => {
  const action = errorIn(ACTION_WORDS, { 'host-fingerprint': `gw.example.com ${KH_KEY}` }).message;
  assert.match(action, /input "host-fingerprint": expected SHA256 fingerprints; this is a known_hosts line \(as ssh-keyscan prints it\): it belongs in the other input, known-hosts, got "gw\.example\.com ssh-ed25519/);
  const cli = errorIn(CLI_WORDS, { 'host-fingerprint': '', 'known-hosts': `256 ${FP} gw.example.com (ED25519)` }).message;
  assert.match(cli, /--known-hosts: expected a known_hosts line; this is a fingerprint: it belongs in the other input, --host-fingerprint/);
  assert.match(errorIn(ACTION_WORDS, { 'known-hosts': FP }).message, /this is a fingerprint: it belongs in the other input, host-fingerprint/);
  assert.match(errorIn(ACTION_WORDS, { 'host-fingerprint': KH_KEY }).message, /this is a public key: .*the other input, known-hosts/);
  const jump = errorIn(ACTION_WORDS, { 'jump-host': 'bastion', 'jump-host-fingerprint': `bastion ${KH_KEY}` }).message;
  assert.match(jump, /input "jump-host-fingerprint": .*it belongs in the other input, jump-known-hosts/);
});

test('the closest valid name of a mistyped one', () => {
  const names = [...INPUT_NAMES];
  assert.equal(closestName('bake-second', names), 'bake-seconds');
  assert.equal(closestName('hermes_home', names), 'hermes-home');
  assert.equal(closestName('HERMES_HOME', names), 'hermes-home');
  assert.equal(closestName('knwon-hosts', names), 'known-hosts');
  assert.equal(closestName('timeout', names), 'timeout-seconds');
  assert.equal(closestName('fingerprint', names), null, 'two inputs end in it: no guess');
  assert.equal(closestName('colour', names), null);
});

test('unknown action inputs are warned about, each with the closest valid name; known ones are not', () => {
  const env = { 'INPUT_BAKE-SECOND': '5', INPUT_HERMES_HOME: '/srv/hermes', 'INPUT_BAKE-SECONDS': '5', INPUT_HOST: 'gw', INPUT_WHATEVER: 'x', PATH: '/bin' };
  assert.deepEqual(unknownInputWarnings(env), [
    'input "bake-second" (INPUT_BAKE-SECOND) is not an input of hermes-handoff and is ignored: did you mean bake-seconds?',
    'input "hermes_home" (INPUT_HERMES_HOME) is not an input of hermes-handoff and is ignored: did you mean hermes-home?',
    'input "whatever" (INPUT_WHATEVER) is not an input of hermes-handoff and is ignored (action.yml lists the inputs)',
  ]);
  assert.deepEqual(unknownInputWarnings(Object.fromEntries(INPUT_NAMES.map((n) => [`INPUT_${n.toUpperCase()}`, 'x']))), []);
  // A name that could carry a workflow command is not repeated.
  assert.deepEqual(unknownInputWarnings({ 'INPUT_::SET-OUTPUT NAME=X::Y': '1' }), ['input with an unusual name (INPUT_...) is not an input of hermes-handoff and is ignored (action.yml lists the inputs)']);
});

/** A pull_request event: from `head` into `base`, opened by `user`. */
const pr = (head: string | null, base = 'acme/hermes', user = 'someone') => ({ pull_request: { head: { repo: head === null ? null : { full_name: head } }, base: { repo: { full_name: base } }, user: { login: user, type: user.endsWith('[bot]') ? 'Bot' : 'User' } } });
const noSecrets = inputsOf({ host: '', 'green-command': 'x' });
const PR_ENV = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_ACTOR: 'someone' };

test('a pull_request from a fork or a bot with the secret inputs empty is skipped, saying why in one line', () => {
  const fork = withheldSecrets(noSecrets, PR_ENV, pr('mallory/hermes'));
  assert.ok(fork);
  assert.match(fork, /^skipped: this pull_request comes from a fork \(mallory\/hermes\), and the forge gives such runs no secrets, so private-key and the host key pins are empty; nothing was checked or changed \(no commit status is set\)\. A required hermes-handoff\/\* status cannot be met by such a pull request: see "Pull requests from forks and bots" in the README$/);
  assert.ok(!fork.includes('\n'));
  assert.match(withheldSecrets(noSecrets, PR_ENV, pr(null)) ?? '', /from a fork \(a deleted repository\)/);
  const bot = withheldSecrets(noSecrets, { ...PR_ENV, GITHUB_ACTOR: 'dependabot[bot]' }, pr('acme/hermes', 'acme/hermes', 'dependabot[bot]'));
  assert.match(bot ?? '', /^skipped: this pull_request is from dependabot\[bot\], and the forge gives such runs no repository secrets \(on GitHub, Dependabot gets only Dependabot secrets\)/);
});

test('otherwise empty secrets are a mistake, reported as one: same repository, a push, secrets set, transport local', () => {
  assert.equal(withheldSecrets(noSecrets, PR_ENV, pr('acme/hermes')), null);
  assert.equal(withheldSecrets(noSecrets, { ...PR_ENV, GITHUB_EVENT_NAME: 'push' }, pr('mallory/hermes')), null);
  assert.equal(withheldSecrets(inputsOf({ 'private-key': KEY }), PR_ENV, pr('mallory/hermes')), null);
  assert.equal(withheldSecrets(inputsOf({ 'host-fingerprint': FP }), PR_ENV, pr('mallory/hermes')), null);
  assert.equal(withheldSecrets(inputsOf({ transport: 'local' }), PR_ENV, pr('mallory/hermes')), null);
  assert.equal(withheldSecrets(noSecrets, PR_ENV, { something: 'else' }), null);
  // A repository name that could carry a command is not repeated.
  assert.match(withheldSecrets(noSecrets, PR_ENV, pr('::warning::x')) ?? '', /from a fork \(another repository\)/);
});
