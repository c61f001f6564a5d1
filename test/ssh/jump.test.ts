import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HostConnectionError } from '../../src/host/host.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import type { Sshd } from '../support/sshd.ts';
import { requireSshd } from '../support/sshd.ts';
import { captureLog, echoServer, optionsFor, roundTrip, sshdFor } from './fixtures.ts';

function jumpOf(j: Sshd, pins = { knownHosts: [j.knownHostsLine], fingerprints: [] as string[] }) {
  return { host: '127.0.0.1', port: j.port, username: j.username, privateKey: j.clientKey, pins };
}

test('jump host: exec and sockets on the target through the bastion, one target connection', async (t) => {
  if (!requireSshd(t)) return;
  const jump = await sshdFor(t);
  // the target forbids stream-local, so the relay also runs through the jump
  const target = await sshdFor(t, { allowStreamLocal: false });
  const sockPath = join(target.dir, 'echo.sock');
  await echoServer(t, sockPath);
  const log = captureLog();
  const host = await connectSsh(optionsFor(target, { jump: jumpOf(jump) }), log);
  t.after(() => host.close());

  const r = await host.exec(['sh', '-c', 'echo "$SSH_CONNECTION"'], { timeoutMs: 10_000 });
  // the target sees the connection coming from the jump host's forwarding, on its own port
  assert.match(r.stdout, new RegExp(` ${target.port}\\n$`));
  const sock = await host.openSocket(sockPath, 10_000);
  assert.equal(await roundTrip(sock, 'over two hops\n'), 'over two hops\n');
  sock.destroy();
  assert.equal(host.connectionsOpened, 1);
  assert.match(await jump.log(), /Accepted publickey/);
  assert.match(await target.log(), /Accepted publickey/);
  assert.ok(log.infos.some((m) => m.includes(`through ${jump.username}@127.0.0.1:${jump.port}`)));
});

test('jump host without a pin: refused before any connection, naming the jump inputs', async (t) => {
  if (!requireSshd(t)) return;
  const jump = await sshdFor(t);
  const target = await sshdFor(t);
  await assert.rejects(connectSsh(optionsFor(target, { jump: jumpOf(jump, { knownHosts: [], fingerprints: [] }) }), captureLog()), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /jump-known-hosts/);
    assert.match(err.message, /jump-host-fingerprint/);
    assert.ok(err.message.includes(`ssh-keyscan -p ${jump.port} -t ed25519 127.0.0.1`));
    return true;
  });
  assert.doesNotMatch(await jump.log(), /Connection from/);
  assert.doesNotMatch(await target.log(), /Connection from/);
});

test('jump host with the wrong key: refused, and the target is never reached', async (t) => {
  if (!requireSshd(t)) return;
  const jump = await sshdFor(t);
  const target = await sshdFor(t);
  const other = await sshdFor(t);
  await assert.rejects(
    connectSsh(optionsFor(target, { jump: jumpOf(jump, { knownHosts: [], fingerprints: [other.hostFingerprint] }) }), captureLog()),
    (err: Error) => {
      assert.ok(err.message.includes(`offered ${jump.hostFingerprint}`), err.message);
      assert.ok(err.message.includes(other.hostFingerprint));
      return true;
    },
  );
  assert.doesNotMatch(await target.log(), /Connection from/);
});

test('target behind the jump with the wrong key: refused naming the target', async (t) => {
  if (!requireSshd(t)) return;
  const jump = await sshdFor(t);
  const target = await sshdFor(t);
  const other = await sshdFor(t);
  await assert.rejects(
    connectSsh(optionsFor(target, { pins: { knownHosts: [], fingerprints: [other.hostFingerprint] }, jump: jumpOf(jump) }), captureLog()),
    (err: Error) => {
      assert.ok(err.message.includes(`127.0.0.1:${target.port}`), err.message);
      assert.ok(err.message.includes(`offered ${target.hostFingerprint}`), err.message);
      return true;
    },
  );
});
