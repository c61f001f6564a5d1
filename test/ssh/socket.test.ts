import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { requireSshd } from '../support/sshd.ts';
import { captureLog, echoServer, optionsFor, roundTrip, sshdFor, within } from './fixtures.ts';

test('stream-local: a round trip to a Unix echo server on the host, both close directions', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t, { allowStreamLocal: true });
  const path = join(s.dir, 'echo.sock');
  const { conns } = await echoServer(t, path);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());

  const a = await host.openSocket(path, 10_000);
  assert.equal(await roundTrip(a, 'HELLO {"v":1}\n'), 'HELLO {"v":1}\n');
  const big = 'x'.repeat(300_000);
  assert.equal(await roundTrip(a, big), big);
  // the far side closes: we see 'end' then 'close'
  const ended = once(a, 'end');
  const closed = once(a, 'close');
  conns.at(-1)!.end();
  await within(ended, 10_000, "'end' after the server closed");
  await within(closed, 10_000, "'close' after the server closed");

  // destroy() on our side closes the server's connection
  const b = await host.openSocket(path, 10_000);
  assert.equal(await roundTrip(b, 'ping'), 'ping');
  const serverSide = conns.at(-1)!;
  const serverClosed = once(serverSide, 'close');
  b.destroy();
  await within(serverClosed, 10_000, 'server-side close after destroy()');
  assert.equal(host.relayInUse, false);
  assert.equal(log.infos.some((m) => /relay/.test(m)), false);
});

test('stream-local forbidden (AllowStreamLocalForwarding no): the relay works and is logged once', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t, { allowStreamLocal: false });
  const path = join(s.dir, 'echo.sock');
  const { conns } = await echoServer(t, path);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());

  const a = await host.openSocket(path, 10_000);
  assert.equal(host.relayInUse, true);
  assert.equal(await roundTrip(a, 'through the relay\n'), 'through the relay\n');
  const big = 'y'.repeat(200_000);
  assert.equal(await roundTrip(a, big), big);
  const closed = once(a, 'close');
  conns.at(-1)!.end();
  await within(closed, 10_000, "relay 'close' after the server closed");

  const b = await host.openSocket(path, 10_000);
  assert.equal(await roundTrip(b, 'again'), 'again');
  const serverClosed = once(conns.at(-1)!, 'close');
  b.destroy();
  await within(serverClosed, 10_000, 'server-side close after destroying a relayed socket');

  const relayLines = log.infos.filter((m) => /relay/.test(m));
  assert.equal(relayLines.length, 1, JSON.stringify(log.infos));
  assert.match(relayLines[0]!, /socat/);
  assert.match(relayLines[0]!, /AllowStreamLocalForwarding/);
  assert.match(await s.log(), /refused streamlocal|streamlocal/i);
  assert.equal(host.connectionsOpened, 1);
});

test('relay through python3 when the path cannot go into a socat address', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t, { allowStreamLocal: false });
  // a comma and a colon mean something to socat, and a quote to a shell: the path must still arrive intact
  const dir = join(s.dir, "odd, dir: it's");
  await mkdir(dir);
  const path = join(dir, 'echo.sock');
  await echoServer(t, path);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());
  const sock = await host.openSocket(path, 10_000);
  assert.equal(await roundTrip(sock, 'via python\n'), 'via python\n');
  assert.match(log.infos.join('\n'), /python3/);
  sock.destroy();
});

test('nothing listening at the path: a clear error naming the path (stream-local and relay)', async (t) => {
  if (!requireSshd(t)) return;
  for (const allowStreamLocal of [true, false]) {
    const s = await sshdFor(t, { allowStreamLocal });
    const host = await connectSsh(optionsFor(s), captureLog());
    t.after(() => host.close());
    const path = join(s.dir, 'nobody-home.sock');
    await assert.rejects(host.openSocket(path, 10_000), (err: Error) => {
      assert.ok(err.message.includes(path), err.message);
      assert.match(err.message, /nothing accepted the connection/);
      assert.match(err.message, /No such file or directory/);
      return true;
    });
    // the host stays usable
    assert.equal((await host.exec(['echo', 'still here'], { timeoutMs: 10_000 })).stdout, 'still here\n');
  }
});

test('a relative socket path is refused with a clear error', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());
  await assert.rejects(host.openSocket('~/.hermes/run/handoff.sock', 5000), /must be an absolute path/);
});
