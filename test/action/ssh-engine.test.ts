// The engine over one real SSH connection: stream-local and its relay fallback, a connection cut
// mid-bake, a status run after a timed-out run, two promotions at once, and green's faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { connectSsh, type SshHost } from '../../src/host/ssh/connect.ts';
import { runMode } from '../../src/handoff/run.ts';
import type { EngineParams } from '../../src/core/params.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import type { TestContext } from 'node:test';

function params(w: SshWorld, over: Partial<EngineParams> = {}, fault = 'none'): EngineParams {
  return {
    mode: 'promote',
    targetName: 'staging',
    hermesHome: w.home,
    socketPath: null,
    greenCommand: w.greenCommand(fault),
    workdir: null,
    runtime: 'claw',
    release: 'r2',
    greenEnv: {},
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
    bakeMs: 1_000,
    timeoutMs: 60_000,
    thresholds: { max_heartbeat_age_ms: 1_000 },
    deadlines: { rollback_grace_ms: 1_000, ack_ms: 20_000 },
    ...over,
  };
}

async function connect(t: TestContext, w: SshWorld, logs: string[] = []): Promise<SshHost> {
  const host = await connectSsh(
    { host: '127.0.0.1', port: w.sshd.port, username: w.sshd.username, privateKey: w.sshd.clientKey, pins: { knownHosts: [w.sshd.knownHostsLine], fingerprints: [] }, reconnect: { attempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 } },
    { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) },
  );
  t.after(() => host.close());
  return host;
}

function track(w: SshWorld, o: Outcome) {
  for (const pid of [o.green_pid, o.launcher_pid]) if (pid) w.pids.add(pid);
  const s = w.serving();
  if (s) w.pids.add(s);
}

const quiet = { info: () => {}, warn: () => {} };

test('stream-local forbidden: the socket is reached through the relay, and the promotion completes', { timeout: 120_000 }, async (t) => {
  const w = await sshWorld(t, { sshd: { allowStreamLocal: false } });
  if (!w) return;
  const logs: string[] = [];
  const host = await connect(t, w, logs);
  const o = await runMode(params(w), { host, log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) } });
  track(w, o);
  assert.equal(o.verdict, 'promoted', o.reason);
  assert.ok(host.relayInUse);
  assert.ok(logs.some((l) => /relay/i.test(l)), 'the fallback is logged');
  const s = await w.settle();
  assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
});

test('the connection is cut mid-bake: the action reconnects, re-attaches and reports the host verdict', { timeout: 120_000 }, async (t) => {
  const w = await sshWorld(t);
  if (!w) return;
  const logs: string[] = [];
  const host = await connect(t, w, logs);
  let cut = false;
  const o = await runMode(params(w, { bakeMs: 3_000 }), {
    host,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    onPhase: (phase) => {
      if (phase === 'baking' && !cut) {
        cut = true;
        // Kill the sshd processes serving this session: the listener stays, the session dies.
        setTimeout(() => {
          for (const pid of w.sshd.sessionPids()) process.kill(pid, 'SIGKILL');
        }, 300);
      }
    },
  });
  track(w, o);
  assert.ok(cut);
  assert.equal(o.verdict, 'promoted', `${o.reason}\n${logs.join('\n')}`);
  assert.equal(host.connectionsOpened, 2, 'one reconnect');
  assert.ok(logs.some((l) => /re-attach|reconnect/i.test(l)));
  const s = await w.settle();
  assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
});

test('a run that times out says timed-out; a later status run reports the host verdict', { timeout: 120_000 }, async (t) => {
  const w = await sshWorld(t);
  if (!w) return;
  const host = await connect(t, w);
  const first = await runMode(params(w, { bakeMs: 3_000, timeoutMs: 2_000 }), { host, log: quiet });
  track(w, first);
  assert.equal(first.verdict, 'timed-out');
  assert.match(first.reason, /rerun with mode: status/);
  const id = first.handoff_id!;
  assert.ok(id);
  const later = await runMode(params(w, { mode: 'status', handoffId: id }), { host, log: quiet });
  track(w, later);
  assert.equal(later.verdict, 'promoted', later.reason);
  assert.equal(later.handoff_id, id);
  // Without an id, status finds the last handoff on the socket.
  const last = await runMode(params(w, { mode: 'status' }), { host, log: quiet });
  assert.equal(last.verdict, 'promoted');
  assert.equal(last.handoff_id, id);
});

test('two promotions at once: one is refused at RESERVE before any green starts', { timeout: 120_000 }, async (t) => {
  const w = await sshWorld(t);
  if (!w) return;
  const [h1, h2] = [await connect(t, w), await connect(t, w)];
  const [a, b] = await Promise.all([runMode(params(w, { release: 'r2' }), { host: h1, log: quiet }), runMode(params(w, { release: 'r3' }), { host: h2, log: quiet })]);
  track(w, a);
  track(w, b);
  const verdicts = [a.verdict, b.verdict].sort();
  assert.deepEqual(verdicts, ['failed', 'promoted']);
  const refused = a.verdict === 'failed' ? a : b;
  assert.match(refused.reason, /refused the handoff: .*one handoff at a time/);
  const logs = readdirSync(join(w.home, 'logs')).filter((f) => f.startsWith('green-'));
  assert.equal(logs.length, 1, 'only one green was ever started');
});

const FAULTS: Array<[string, string, RegExp]> = [
  ['crash-before-ack', 'failed', /exited before HANDOFF_ACK/],
  ['crash-during-bake', 'rolled-back', /exited during the bake/],
  ['hang', 'rolled-back', /no HEALTH from green/],
  ['error-burst', 'rolled-back', /^error rate 100(\.0)?% > 5(\.0)?% in 3 consecutive samples/],
  ['wrong-release', 'failed', /green reports release r2-not, expected r2/],
  ['exit-at-start', 'failed', /green exited before connecting/],
];
for (const [fault, verdict, reason] of FAULTS) {
  test(`green fault ${fault} over SSH: ${verdict}, blue serves, nothing lost`, { timeout: 120_000 }, async (t) => {
    const w = await sshWorld(t);
    if (!w) return;
    const host = await connect(t, w);
    const o = await runMode(params(w, {}, fault), { host, log: quiet });
    track(w, o);
    assert.equal(o.verdict, verdict, o.reason);
    assert.match(o.reason, reason);
    if (o.verdict !== 'promoted') assert.ok(o.green_log_tail !== null, "green's log tail is read for the report");
    assert.equal(w.serving(), w.blue.pid, 'blue serves again');
    const s = await w.settle();
    assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
  });
}

test('hostile characters in hermes-home, workdir and green-env run literally or are refused; nothing is executed', { timeout: 120_000 }, async (t) => {
  const name = `h $(touch PWNED) \`id\` 'q' "d";x`;
  const w = await sshWorld(t, { homeName: name });
  if (!w) return;
  const host = await connect(t, w);
  const workdir = join(w.dir, `wd $(touch PWNED);'x'`);
  mkdirSync(workdir);
  const value = `v $(touch PWNED) \`touch PWNED\` 'q' "d"; touch PWNED\nline2`;
  const o = await runMode(params(w, { workdir, greenEnv: { HOSTILE: value }, prepareCommand: 'test -d .' }), { host, log: quiet });
  track(w, o);
  assert.equal(o.verdict, 'promoted', o.reason);
  const environ = readFileSync(`/proc/${w.serving()}/environ`, 'utf8').split('\0');
  assert.deepEqual(environ.filter((e) => e.startsWith('HOSTILE=')), [`HOSTILE=${value}`], `the value arrives literally (pid ${w.serving()}, blue ${w.blue.pid}): ${environ.filter((e) => e.startsWith('HERMES')).join(' ')}`);
  assert.ok(environ.includes(`HERMES_HOME=${w.home}`));
  assert.equal(readlinkSync(`/proc/${w.serving()}/cwd`), workdir);
  for (const where of [w.dir, w.home, workdir, process.cwd(), '/root', '/']) assert.equal(existsSync(join(where, 'PWNED')), false, `nothing ran in ${where}`);
});
