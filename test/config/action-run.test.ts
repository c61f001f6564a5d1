// The action as a runner starts it (dist/index.js, INPUT_* variables, an event file): a mistyped input
// is warned about with the closest name, and a pull request whose secrets were withheld is skipped
// with one clear line and exit 0, instead of failing with "a host key pin is required".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionAsRunner } from '../support/action-runner.ts';

/** An event file with `event`, removed after the test. */
function eventFile(t: { after(fn: () => void): void }, event: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hh-event-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'event.json');
  writeFileSync(path, JSON.stringify(event));
  return path;
}

// What a workflow passes when the secrets are empty: the host and user may be plain values, the key and pins come from secrets.
const EMPTY_SECRETS = { host: '', username: '', 'private-key': '', 'host-fingerprint': '', 'known-hosts': '', 'green-command': 'hermes/bin/start-gateway', 'github-token': '' };

test('a pull_request from a fork: skipped in one line, exit 0, no verdict and no failure', { timeout: 60_000 }, async (t) => {
  const event = { pull_request: { head: { repo: { full_name: 'mallory/hermes' } }, base: { repo: { full_name: 'acme/hermes' } }, user: { login: 'mallory', type: 'User' } } };
  const run = await runActionAsRunner({ ...EMPTY_SECRETS, mode: 'preflight' }, { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventFile(t, event), GITHUB_ACTOR: 'mallory' }, timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^::warning::skipped: this pull_request comes from a fork \(mallory\/hermes\), and the forge gives such runs no secrets/m);
  assert.doesNotMatch(run.stdout, /host key pin is required|::error::/);
  assert.equal(run.outputs.verdict, undefined);
  assert.match(run.outputs.reason ?? '', /^skipped: /);
});

test('a Dependabot pull_request: skipped the same way, naming Dependabot secrets', { timeout: 60_000 }, async (t) => {
  const event = { pull_request: { head: { repo: { full_name: 'acme/hermes' } }, base: { repo: { full_name: 'acme/hermes' } }, user: { login: 'dependabot[bot]', type: 'Bot' } } };
  const run = await runActionAsRunner({ ...EMPTY_SECRETS, mode: 'preflight' }, { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventFile(t, event), GITHUB_ACTOR: 'dependabot[bot]' }, timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^::warning::skipped: this pull_request is from dependabot\[bot\], .*Dependabot gets only Dependabot secrets/m);
});

test('the same empty secrets on a pull_request from the repository itself are an input error (exit 2)', { timeout: 60_000 }, async (t) => {
  const event = { pull_request: { head: { repo: { full_name: 'acme/hermes' } }, base: { repo: { full_name: 'acme/hermes' } }, user: { login: 'alice', type: 'User' } } };
  const run = await runActionAsRunner({ ...EMPTY_SECRETS, mode: 'preflight' }, { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventFile(t, event), GITHUB_ACTOR: 'alice' }, timeoutMs: 30_000 });
  assert.equal(run.code, 2);
  assert.match(run.stdout, /::error::.*input "host": required with transport: ssh/);
});

test('mistyped inputs are warned about with the closest name, and the run goes on', { timeout: 60_000 }, async () => {
  const run = await runActionAsRunner({ mode: 'status', transport: 'local', 'hermes-home': '/nonexistent/hh', 'bake-second': '5', hermes_home: '/srv/hermes', 'github-token': '' }, { timeoutMs: 30_000 });
  assert.match(run.stdout, /^::warning::input "bake-second" \(INPUT_BAKE-SECOND\) is not an input of hermes-handoff and is ignored: did you mean bake-seconds\?$/m);
  assert.match(run.stdout, /^::warning::input "hermes_home" \(INPUT_HERMES_HOME\) is not an input of hermes-handoff and is ignored: did you mean hermes-home\?$/m);
  assert.equal(run.outputs.verdict, 'failed', 'the run itself went on (and failed: no gateway there)');
});
