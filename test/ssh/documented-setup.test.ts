// docs/host-setup.md's sshd_config block and authorized_keys lines, read out of the document and used verbatim
// (user, paths and key material aside) with a real sshd and a real blue: the direct stream-local channel must be
// used, and the keys must get nothing more than the document says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { agentArgv } from '../../src/host/agent.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { agentWorld, Frames, rawClient } from './documented.ts';
import { captureLog, echoServer } from './fixtures.ts';

test('documented set-up, verbatim: the agent is detected and the handoff socket opens over the direct stream-local channel', async (t) => {
  const a = await agentWorld(t);
  if (!a) return;
  const log = captureLog();
  const host = await connectSsh(a.full(), log);
  t.after(() => host.close());

  assert.ok(host.agent, `no agent detected: ${JSON.stringify(log)}`);
  assert.equal(host.agent.mode, 'full');
  assert.equal(host.agent.forced, true);
  assert.equal(host.agent.configError, null);
  assert.equal(host.agent.hermesHome, a.w.home);
  assert.equal(host.agent.socket, a.socket);
  assert.ok(log.infos.some((m) => /the host runs hermes-handoff-agent 1\.0\.0 \(full key, forced by authorized_keys/.test(m)), JSON.stringify(log.infos));

  const token = (await host.exec(agentArgv('token'), { timeoutMs: 10_000 })).stdout.trim();
  assert.match(token, /^[0-9a-f]{64}$/);
  const sock = await host.openSocket(a.socket, 10_000);
  const frames = new Frames(sock);
  const welcome = await frames.hello(token);
  frames.send({ type: 'STATUS' });
  const state = await frames.next('STATE');
  frames.close();
  assert.equal(welcome.server_pid, a.w.blue.pid);
  assert.equal(state.phase, 'idle');
  assert.equal(state.release, 'r1');

  assert.equal(host.relayInUse, false, 'the socket was relayed: the documented set-up denied the direct channel');
  assert.equal(log.infos.some((m) => /relay/.test(m)), false, JSON.stringify(log.infos));
  const sshdLog = await a.w.sshd.log();
  assert.doesNotMatch(sshdLog, /refused streamlocal port forward/);
  assert.doesNotMatch(sshdLog, /to connect to path .* but the request was denied/);
});

test('documented set-up, verbatim: the full key forwards nothing but the handoff socket, and the read-only key not even that', async (t) => {
  const a = await agentWorld(t);
  if (!a) return;
  const raw = await rawClient(t, a.w.sshd, a.w.sshd.clientKey);

  // a TCP service on the host that a forwarding key could reach
  const tcp = createServer((s) => s.end('reached'));
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  t.after(() => new Promise<void>((r) => tcp.close(() => r())));
  const tcpPort = (tcp.address() as { port: number }).port;
  await assert.rejects(
    new Promise((res, rej) => raw.forwardOut('127.0.0.1', 0, '127.0.0.1', tcpPort, (err, ch) => (err ? rej(err) : res(ch)))),
    /open failed/,
  );
  // another Unix socket on the host
  const other = join(a.w.dir, 'other.sock');
  await echoServer(t, other);
  await assert.rejects(
    new Promise((res, rej) => raw.openssh_forwardOutStreamLocal(other, (err, ch) => (err ? rej(err) : res(ch)))),
    /open failed/,
  );
  // the other direction: listening on the host
  await assert.rejects(new Promise((res, rej) => raw.forwardIn('127.0.0.1', 0, (err, port) => (err ? rej(err) : res(port)))), /Unable to bind/);
  const planted = join(a.w.dir, 'planted.sock');
  await assert.rejects(new Promise((res, rej) => raw.openssh_forwardInStreamLocal(planted, (err) => (err ? rej(err) : res(null)))), /Unable to bind/);
  assert.equal(existsSync(planted), false);
  // while the handoff socket itself is reachable over the same kind of channel
  const ok = await new Promise<string>((res, rej) =>
    raw.openssh_forwardOutStreamLocal(a.socket, (err, ch) => {
      if (err) return rej(err);
      ch.end();
      res('open');
    }),
  );
  assert.equal(ok, 'open');
  const sshdLog = await a.w.sshd.log();
  assert.match(sshdLog, new RegExp(`to connect to host 127\\.0\\.0\\.1 port ${tcpPort}, but the request was denied`));
  assert.match(sshdLog, new RegExp(`Received request to connect to path ${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, but the request was denied`));

  // the read-only key: detected as such, and no channel to the socket at all
  const log = captureLog();
  const ro = await connectSsh(a.readOnly(), log);
  t.after(() => ro.close());
  assert.equal(ro.agent?.mode, 'read-only');
  assert.deepEqual(ro.agent?.ops, ['hello', 'preflight', 'status', 'verdict', 'verdicts']);
  await assert.rejects(ro.openSocket(a.socket, 10_000), (e: Error) => {
    assert.match(e.message, /this key is read-only/);
    assert.match(e.message, /stream-local channel refused/);
    return true;
  });
  assert.match(await a.w.sshd.log(), /refused streamlocal port forward: .*target .*handoff\.sock/);
});

test('documented fallback (no sshd_config change, key without port-forwarding): the socket is relayed through the agent, and the log names the sshd lines to look for', async (t) => {
  const a = await agentWorld(t, { keys: 'restrict-only' });
  if (!a) return;
  const log = captureLog();
  const host = await connectSsh(a.full(), log);
  t.after(() => host.close());
  const token = (await host.exec(agentArgv('token'), { timeoutMs: 10_000 })).stdout.trim();
  const sock = await host.openSocket(a.socket, 10_000);
  assert.equal(host.relayInUse, true);
  const frames = new Frames(sock);
  await frames.hello(token);
  frames.send({ type: 'STATUS' });
  assert.equal((await frames.next('STATE')).phase, 'idle');
  frames.close();
  const relayLines = log.infos.filter((m) => /relayed/.test(m));
  assert.equal(relayLines.length, 1, JSON.stringify(log.infos));
  const line = relayLines[0]!;
  assert.match(line, /relayed through agent on the host/);
  assert.match(line, /"refused streamlocal port forward" \(AllowStreamLocalForwarding is no or remote, DisableForwarding yes, or the key has restrict/);
  assert.ok(line.includes(`"Received request to connect to path ${a.socket}, but the request was denied" (AllowTcpForwarding is no or remote`), line);
  assert.match(await a.w.sshd.log(), /refused streamlocal port forward/);

  // the relay is a real byte pipe: a second connection works while the first is open, and a large frame survives
  const again = await host.openSocket(a.socket, 10_000);
  const f2 = new Frames(again);
  await f2.hello(token);
  f2.send({ type: 'STATUS', padding: 'p'.repeat(60_000) });
  assert.equal((await f2.next('STATE')).server_pid, a.w.blue.pid);
  f2.close();
});
