// The engine over one real SSH connection, once with a plain shell key and once through the documented
// forced-command host agent: stream-local and its relay fallback, a connection cut mid-bake, a status run after a
// timed-out run, two promotions at once (the host is the queue), green's faults with nothing of green left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runMode } from '../../src/handoff/run.ts';
import { AGENT_PROGRAM } from '../../src/host/agent.ts';
import { sshWorld } from '../support/ssh-world.ts';
import { engineWorld, ioFor, leftRunning, track, type Via } from '../engine/ssh-worlds.ts';
import { optionsFor, sshdFor, tcpProxy } from '../ssh/fixtures.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { runActionAsRunner } from '../support/action-runner.ts';

const VIAS: Via[] = ['plain', 'agent'];

for (const via of VIAS) {
  test(`${via}: stream-local forbidden: the socket is reached through the relay, and the promotion completes`, { timeout: 120_000 }, async (t) => {
    const e = await engineWorld(t, via, { relay: true });
    if (!e) return;
    const logs: string[] = [];
    const host = await e.connect(t, logs);
    assert.equal(host.agent !== null, via === 'agent');
    const o = await runMode(e.params(), ioFor(host, logs));
    track(e.w, o);
    assert.equal(o.verdict, 'promoted', `${o.reason}\n${logs.join('\n')}`);
    assert.ok(host.relayInUse);
    assert.ok(logs.some((l) => (via === 'agent' ? /relayed through agent on the host/ : /relay/i).test(l)), 'the fallback is logged');
    const s = await e.w.settle();
    assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
  });

  test(`${via}: the connection is cut mid-bake: the action reconnects, re-attaches and reports the host verdict`, { timeout: 120_000 }, async (t) => {
    const e = await engineWorld(t, via);
    if (!e) return;
    const logs: string[] = [];
    const host = await e.connect(t, logs);
    let cut = false;
    const o = await runMode(
      e.params({ bakeMs: 3_000 }),
      ioFor(host, logs, {
        onPhase: (phase) => {
          if (phase === 'baking' && !cut) {
            cut = true;
            // Kill the sshd processes serving this session: the listener stays, the session dies.
            setTimeout(() => {
              for (const pid of e.w.sshd.sessionPids()) process.kill(pid, 'SIGKILL');
            }, 300);
          }
        },
      }),
    );
    track(e.w, o);
    assert.ok(cut);
    assert.equal(o.verdict, 'promoted', `${o.reason}\n${logs.join('\n')}`);
    assert.equal(host.connectionsOpened, 2, 'one reconnect');
    assert.ok(logs.some((l) => /re-attach|reconnect/i.test(l)));
    const s = await e.w.settle();
    assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
  });

  test(`${via}: a run that times out says timed-out and leaves green to the host; a later status run reports the host verdict`, { timeout: 120_000 }, async (t) => {
    const e = await engineWorld(t, via);
    if (!e) return;
    const host = await e.connect(t);
    const first = await runMode(e.params({ bakeMs: 8_000, timeoutMs: 6_000 }), ioFor(host));
    track(e.w, first);
    assert.equal(first.verdict, 'timed-out', first.reason);
    assert.match(first.reason, /rerun with mode: status/);
    const id = first.handoff_id!;
    assert.ok(id);
    const later = await runMode(e.params({ mode: 'status', handoffId: id }), ioFor(host));
    track(e.w, later);
    assert.equal(later.verdict, 'promoted', later.reason);
    assert.equal(later.handoff_id, id);
    // Without an id, status finds the last handoff on the socket.
    const last = await runMode(e.params({ mode: 'status' }), ioFor(host));
    assert.equal(last.verdict, 'promoted');
    assert.equal(last.handoff_id, id);
    // An id the host does not know is answered at once.
    const t0 = Date.now();
    const unknown = await runMode(e.params({ mode: 'status', handoffId: 'no-such-handoff' }), ioFor(host));
    assert.equal(unknown.reason, `no handoff no-such-handoff on this host; the last one was ${id} (promoted)`);
    assert.ok(Date.now() - t0 < 10_000);
    if (via === 'agent') {
      // The read-only key: status through the agent's own status and verdict operations, no socket, no token.
      const roLogs: string[] = [];
      const ro = await e.connect(t, roLogs, true);
      assert.equal(ro.agent?.mode, 'read-only');
      const seen = await runMode(e.params({ mode: 'status', handoffId: id }), ioFor(ro, roLogs));
      assert.equal(seen.verdict, 'promoted', seen.reason);
      const refused = await runMode(e.params({ release: 'r3' }), ioFor(ro, roLogs));
      assert.match(refused.reason, /^this SSH key is the host agent's read-only key, for preflight and status only: mode: promote needs the deploy key/);
      const pre = await runMode(e.params({ mode: 'preflight' }), ioFor(ro, roLogs));
      assert.equal(pre.verdict, 'ready', pre.reason);
    }
  });

  test(`${via}: two promotions at once: the host is the queue, the second waits for the first and promotes after it`, { timeout: 120_000 }, async (t) => {
    const e = await engineWorld(t, via);
    if (!e) return;
    const [h1, h2] = [await e.connect(t), await e.connect(t)];
    const logs: string[] = [];
    const [a, b] = await Promise.all([runMode(e.params({ release: 'r2' }), ioFor(h1, logs)), runMode(e.params({ release: 'r3' }), ioFor(h2, logs))]);
    track(e.w, a);
    track(e.w, b);
    assert.deepEqual([a.verdict, b.verdict], ['promoted', 'promoted'], `${a.reason} / ${b.reason}`);
    assert.ok(logs.some((l) => /^the host is busy with handoff \S+ \(release r[23], phase [a-z-]+\); waiting for it to end/.test(l)), logs.join('\n'));
    const greens = readdirSync(join(e.w.home, 'logs')).filter((f) => f.startsWith('green-'));
    assert.equal(greens.length, 2, 'one green per reservation');
    const s = await e.w.settle();
    assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
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
    test(`${via}: green fault ${fault} over SSH: ${verdict}, blue serves, nothing lost, nothing of green left running`, { timeout: 120_000 }, async (t) => {
      const e = await engineWorld(t, via);
      if (!e) return;
      const host = await e.connect(t);
      const o = await runMode(e.params({}, fault), ioFor(host));
      track(e.w, o);
      assert.equal(o.verdict, verdict, o.reason);
      assert.match(o.reason, reason);
      assert.ok(o.green_log_tail !== null, "green's log tail is read for the report");
      assert.equal(e.w.serving(), e.w.blue.pid, 'blue serves again');
      assert.deepEqual(await leftRunning(o.handoff_id!), [], 'a process started for the handoff survived its verdict');
      const s = await e.w.settle();
      assert.deepEqual([s.lost, s.duplicated, s.conflicts], [0, 0, 0]);
    });
  }
}

test('plain: hostile characters in hermes-home, workdir and green-env run literally or are refused; nothing is executed', { timeout: 120_000 }, async (t) => {
  const name = `h $(touch PWNED) \`id\` 'q' "d";x`;
  const w = await sshWorld(t, { homeName: name });
  if (!w) return;
  const host = await connectSsh(optionsFor(w.sshd), { info: () => {}, warn: () => {} });
  t.after(() => host.close());
  const workdir = join(w.dir, `wd $(touch PWNED);'x'`);
  mkdirSync(workdir);
  const value = `v $(touch PWNED) \`touch PWNED\` 'q' "d"; touch PWNED\nline2`;
  const params = {
    mode: 'promote' as const,
    targetName: 'staging',
    hermesHome: w.home,
    socketPath: null,
    greenCommand: w.greenCommand('none'),
    workdir,
    runtime: 'claw',
    release: 'r2',
    greenEnv: { HOSTILE: value },
    prepareCommand: 'test -d .',
    launcher: 'process' as const,
    systemdUnit: 'hermes-green@',
    bakeMs: 1_000,
    timeoutMs: 60_000,
    thresholds: { max_heartbeat_age_ms: 1_000 },
    deadlines: { rollback_grace_ms: 1_000, ack_ms: 20_000 },
  };
  const o = await runMode(params, ioFor(host));
  track(w, o);
  assert.equal(o.verdict, 'promoted', o.reason);
  const environ = readFileSync(`/proc/${w.serving()}/environ`, 'utf8').split('\0');
  assert.deepEqual(environ.filter((e) => e.startsWith('HOSTILE=')), [`HOSTILE=${value}`], `the value arrives literally (pid ${w.serving()}, blue ${w.blue.pid})`);
  assert.ok(environ.includes(`HERMES_HOME=${w.home}`));
  assert.equal(readlinkSync(`/proc/${w.serving()}/cwd`), workdir);
  for (const where of [w.dir, w.home, workdir, process.cwd(), '/root', '/']) assert.equal(existsSync(join(where, 'PWNED')), false, `nothing ran in ${where}`);
});

test('agent: a hostile green-env value reaches green literally as JSON on stdin; no shell line and no green command is ever sent', { timeout: 120_000 }, async (t) => {
  const e = await engineWorld(t, 'agent');
  if (!e) return;
  const logs: string[] = [];
  const host = await e.connect(t, logs);
  const sent: string[][] = [];
  const exec = host.exec.bind(host);
  host.exec = (argv, opts) => {
    sent.push([...argv]);
    return exec(argv, opts);
  };
  const value = `v $(touch PWNED) \`touch PWNED\` 'q' "d"; touch PWNED\nline2`;
  const o = await runMode(e.params({ greenEnv: { HOSTILE: value }, greenCommand: 'touch PWNED' }), ioFor(host, logs));
  track(e.w, o);
  assert.equal(o.verdict, 'promoted', `${o.reason}\n${logs.join('\n')}`);
  const environ = readFileSync(`/proc/${e.w.serving()}/environ`, 'utf8').split('\0');
  assert.deepEqual(environ.filter((x) => x.startsWith('HOSTILE=')), [`HOSTILE=${value}`]);
  assert.ok(sent.length > 0 && sent.every((a) => a[0] === AGENT_PROGRAM), JSON.stringify(sent));
  const ops = new Set(sent.map((a) => a[1]));
  for (const op of ['token', 'prepare', 'launch']) assert.ok(ops.has(op), `${op} was not used: ${[...ops].join(' ')}`);
  assert.deepEqual([...ops].filter((op) => !['token', 'prepare', 'launch', 'pid-runs'].includes(op!)), [], 'only the operations a promotion needs');
  assert.ok(!JSON.stringify(sent).includes('touch PWNED'), 'the run sent a command');
  assert.ok(existsSync(join(e.w.home, 'prepared')), "the host's own prepare command ran");
  for (const where of [e.w.dir, e.w.home, process.cwd()]) assert.equal(existsSync(join(where, 'PWNED')), false, `nothing ran in ${where}`);
});

test('agent: dist/index.js as a runner starts it: the run chooses the agent from the host and promotes through it', { timeout: 120_000 }, async (t) => {
  const e = await engineWorld(t, 'agent');
  if (!e) return;
  const run = await runActionAsRunner({
    mode: 'promote',
    host: '127.0.0.1',
    port: String(e.w.sshd.port),
    username: e.w.sshd.username,
    'private-key': e.w.sshd.clientKey,
    'host-fingerprint': e.w.sshd.hostFingerprint,
    // The agent's config decides these; the inputs are not sent.
    'hermes-home': '~/.elsewhere',
    'green-command': 'touch PWNED',
    release: 'r2',
    runtime: 'claw',
    'bake-seconds': '1',
    'max-heartbeat-age-seconds': '1',
    'rollback-grace-seconds': '10',
    'ack-timeout-seconds': '20',
    'timeout-seconds': '120',
    'target-name': 'staging',
    'green-env': 'API_TOKEN=tok-agent-1234',
  });
  const serving = e.w.serving();
  if (serving) e.w.pids.add(serving);
  assert.equal(run.outputs.verdict, 'promoted', run.stdout + run.stderr);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /the host runs hermes-handoff-agent 1\.0\.0 \(full key, forced by authorized_keys/);
  assert.match(run.stdout, /come from the host agent's config/);
  assert.equal(Number(run.outputs['green-pid']), serving);
  assert.ok(readFileSync(`/proc/${serving}/environ`, 'utf8').split('\0').includes('API_TOKEN=tok-agent-1234'));
  assert.ok(existsSync(join(e.w.home, 'prepared')), "the host's own prepare command ran");
  for (const where of [e.w.dir, e.w.home, process.cwd()]) assert.equal(existsSync(join(where, 'PWNED')), false);
});

test('plain: a host key mismatch on reconnect mid-bake is a decided failed with the connect-time message, at once, never "rerun"', { timeout: 120_000 }, async (t) => {
  const e = await engineWorld(t, 'plain');
  if (!e) return;
  const mitm = await sshdFor(t); // another host key on the same path
  const proxy = await tcpProxy(t, e.w.sshd.port);
  const logs: string[] = [];
  const opts = { ...optionsFor(e.w.sshd), port: proxy.port, pins: { knownHosts: [], fingerprints: [e.w.sshd.hostFingerprint] }, reconnect: { attempts: 6, baseDelayMs: 50, maxDelayMs: 200 } };
  const host = await connectSsh(opts, { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) });
  t.after(() => host.close());
  let cutAt = 0;
  const o = await runMode(
    e.params({ bakeMs: 30_000, timeoutMs: 90_000 }),
    ioFor(host, logs, {
      onPhase: (phase) => {
        if (phase !== 'baking' || cutAt) return;
        cutAt = Date.now();
        proxy.retarget(mitm.port);
        proxy.cutAll();
      },
    }),
  );
  track(e.w, o);
  assert.ok(cutAt > 0, 'the bake began');
  assert.equal(o.verdict, 'failed', o.reason);
  const atConnect = await connectSsh(opts, { info: () => {}, warn: () => {} }).then(
    async (h) => {
      await h.close();
      return 'connected';
    },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  assert.equal(o.reason, `cannot connect to staging: ${atConnect}`, 'the same message as a first connection to that host');
  assert.doesNotMatch(o.reason, /rerun|mode: status|timed out/);
  assert.ok(Date.now() - cutAt < 20_000, `decided ${Date.now() - cutAt} ms after the cut, not at the deadline`);
  assert.equal(proxy.accepted.filter((p) => p === mitm.port).length, 2, 'one dial of the MITM by the run (no retry), one by the check above');
  assert.doesNotMatch(await mitm.log(), /Accepted publickey/);
});
