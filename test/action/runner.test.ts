// The action as a runner runs it (node dist/index.js, INPUT_* variables, no node_modules), through a
// real OpenSSH sshd on loopback, promoting the reference gateway, on Node 20 and on Node 24.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { realOs } from '../../src/peer/os.ts';
import { requireSshd, startSshd } from '../support/sshd.ts';
import { node24Path, runActionAsRunner } from '../support/action-runner.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import { localState } from '../faults/serving.ts';

function inputs(w: SshWorld, extra: Record<string, string> = {}, fault = 'none'): Record<string, string> {
  return {
    mode: 'promote',
    host: '127.0.0.1',
    port: String(w.sshd.port),
    username: w.sshd.username,
    'private-key': w.sshd.clientKey,
    'host-fingerprint': w.sshd.hostFingerprint,
    'hermes-home': w.home,
    'green-command': w.greenCommand(fault),
    release: 'r2',
    runtime: 'claw',
    'bake-seconds': '1',
    'max-heartbeat-age-seconds': '1',
    'rollback-grace-seconds': '1',
    'timeout-seconds': '300',
    'target-name': 'staging',
    'green-env': 'API_TOKEN=tok-$(touch /tmp/hh-pwned)-`id`-\'q\'"d";x\nOTHER=plain-value-1234',
    ...extra,
  };
}

/** Asserts that no secret of the run shows anywhere a person or a log could read it. */
function assertNoSecrets(w: SshWorld, texts: string[]) {
  const token = readFileSync(join(w.home, 'run', 'handoff.token'), 'utf8').trim();
  const keyLines = w.sshd.clientKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  for (const raw of texts) {
    // `::add-mask::` lines are how the runner learns what to mask; it never shows them.
    const text = raw.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    assert.ok(!text.includes(token), 'the socket token never appears');
    for (const l of keyLines) assert.ok(!text.includes(l), 'no line of the private key appears');
    assert.ok(!text.includes('tok-$(touch'), 'green-env values never appear');
  }
}

for (const runtime of ['node20', 'node24'] as const) {
  test(`promote through a real sshd as a runner runs it (${runtime})`, { timeout: 300_000 }, async (t) => {
    const nodeBin = runtime === 'node24' ? node24Path() : process.execPath;
    if (!nodeBin) {
      if (process.env.CI === 'true') throw new Error('node@24 could not be fetched from the npm registry');
      return t.skip('node@24 not available');
    }
    const w = await sshWorld(t);
    if (!w) return;
    const run = await runActionAsRunner(inputs(w), { node: nodeBin });
    const serving = w.serving();
    if (serving) w.pids.add(serving);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.verdict, 'promoted', run.stdout);
    assert.match(run.outputs.reason ?? '', /bake of 1 s passed/);
    assert.equal(run.outputs.release, 'r2');
    assert.match(run.outputs['handoff-id'] ?? '', /^[A-Za-z0-9._-]{1,64}$/);
    assert.ok(Number(run.outputs['green-pid']) > 0);
    assert.equal(Number(run.outputs['green-pid']), serving, 'the green the action reports is the process that serves');
    assert.equal(run.outputs['blue-pid'], String(w.blue.pid));
    // A whole number of milliseconds: '' (no figure) must fail here, and Number('') would be 0.
    assert.match(run.outputs['dark-window-ms'] ?? '', /^\d+$/, 'the dark window is measured');
    const timeline = JSON.parse(run.outputs.timeline ?? '[]') as Array<{ phase: string }>;
    assert.deepEqual(
      timeline.map((x) => x.phase).filter((p) => ['reserved', 'init', 'draining', 'active', 'baking', 'complete'].includes(p)),
      ['reserved', 'init', 'draining', 'active', 'baking', 'complete'],
    );
    assert.match(run.summary, /promoted/);
    assert.match(run.summary, /staging/);
    assert.match(run.summary, /```mermaid/);
    assert.ok(!existsSync('/tmp/hh-pwned'), 'no green-env value was executed');
    // Green got the value literally.
    const envOfGreen = readFileSync(`/proc/${serving}/environ`, 'utf8').split('\0');
    assert.ok(envOfGreen.includes('API_TOKEN=tok-$(touch /tmp/hh-pwned)-`id`-\'q\'"d";x'));
    assert.ok(envOfGreen.includes('HERMES_RUNTIME=claw'));
    assertNoSecrets(w, [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)]);
    const stats = await w.settle();
    assert.equal(stats.lost, 0);
    assert.equal(stats.duplicated, 0);
    assert.equal(stats.conflicts, 0);
    // The default window (observe-seconds 86400): blue stands by, alive but serving nothing, as the socket says.
    const st = await localState(w);
    assert.equal(st?.server_pid, serving, 'green owns the socket');
    assert.equal(st?.standby?.pid, w.blue.pid, `blue stands by: ${JSON.stringify(st?.standby)}`);
    assert.ok(realOs.isAlive(w.blue.pid!), 'the standby is alive');
    // Exactly one SSH connection for the whole run.
    const accepted = (await w.sshd.log()).split('\n').filter((l) => l.includes('Accepted publickey'));
    assert.equal(accepted.length, 1, 'one SSH connection per run');
  });
}

test('a rollback fails the step; fail-on-rollback false keeps it green; the host verdict is reported', { timeout: 300_000 }, async (t) => {
  const w = await sshWorld(t);
  if (!w) return;
  const run = await runActionAsRunner(inputs(w, { 'fail-on-rollback': 'false' }, 'error-burst'));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.outputs.verdict, 'rolled-back');
  assert.match(run.outputs.reason ?? '', /^error rate 100(\.0)?% > 5(\.0)?% in 3 consecutive samples/);
  const stats = await w.settle();
  assert.equal(stats.lost, 0);
  assert.equal(stats.duplicated, 0);
  assert.equal(stats.conflicts, 0);
  assert.equal(w.serving(), w.blue.pid, 'blue serves again');
  assert.ok(realOs.isAlive(w.blue.pid!));
  const again = await runActionAsRunner(inputs(w, {}, 'crash-during-bake'));
  assert.equal(again.code, 1, 'a rollback fails the step by default');
  assert.equal(again.outputs.verdict, 'rolled-back');
  assert.match(again.outputs.reason ?? '', /exited during the bake/);
});

test('bad inputs exit 2 before connecting, name every input, print no secret', async (t) => {
  if (!requireSshd(t)) return;
  const run = await runActionAsRunner({
    host: '127.0.0.1',
    port: 'abc',
    username: 'root',
    'private-key': 'not a key SECRETSECRET',
    'host-fingerprint': 'SHA256:short',
    'green-command': 'true',
    release: 'r2',
    'bake-seconds': 'soon',
    'green-env': 'BAD-KEY=SECRETVALUE',
  });
  assert.equal(run.code, 2);
  for (const name of ['port', 'private-key', 'host-fingerprint', 'bake-seconds', 'green-env']) assert.match(run.stdout, new RegExp(`input "${name}"`));
  assert.ok(!run.stdout.includes('SECRETSECRET') && !run.stdout.includes('SECRETVALUE'));
  assert.equal(run.outputs.verdict, undefined, 'no outputs: nothing ran');
});

test("a wrong host key pin (another sshd's key) is refused before authenticating, naming both fingerprints", { timeout: 120_000 }, async (t) => {
  const w = await sshWorld(t);
  if (!w) return;
  const other = await startSshd();
  t.after(() => other.stop());
  const run = await runActionAsRunner(inputs(w, { 'host-fingerprint': other.hostFingerprint }));
  assert.equal(run.code, 1);
  assert.equal(run.outputs.verdict, 'failed');
  assert.ok(run.stdout.includes(w.sshd.hostFingerprint), 'names the offered fingerprint');
  assert.ok(run.stdout.includes(other.hostFingerprint), 'names the expected one');
  const accepted = (await w.sshd.log()).split('\n').filter((l) => l.includes('Accepted publickey'));
  assert.equal(accepted.length, 0, 'nothing authenticated');
});
