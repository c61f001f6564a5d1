import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostConnectionError, HostKeyMismatchError } from '../../src/host/host.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { isPermanent } from '../../src/host/ssh/errors.ts';
import { requireSshd, startSshd } from '../support/sshd.ts';
import { captureLog, echoServer, optionsFor, roundTrip, sshdFor, tcpProxy, within } from './fixtures.ts';

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

test('connection cut (the session sshd killed): onDisconnect fires, in-flight work ends, the next exec reconnects', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const sockPath = join(s.dir, 'echo.sock');
  await echoServer(t, sockPath);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());

  const sock = await host.openSocket(sockPath, 10_000);
  assert.equal(await roundTrip(sock, 'before'), 'before');
  const pidFile = join(s.dir, 'sleeper.pid');
  const inflight = host.exec(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { timeoutMs: 60_000 });
  inflight.catch(() => {}); // asserted below
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the in-flight command to start');
  const sleeper = Number(readFileSync(pidFile, 'utf8'));
  t.after(() => killQuietly(sleeper)); // the killed session leaves its command orphaned

  const dropped = new Promise<HostConnectionError>((resolve) => host.onDisconnect(resolve));
  const sockClosed = once(sock, 'close');
  const sessions = s.sessionPids();
  assert.ok(sessions.length > 0, 'no sshd session process found');
  for (const pid of sessions) killQuietly(pid);

  const err = await within(dropped, 10_000, 'onDisconnect');
  assert.ok(err instanceof HostConnectionError);
  assert.match(err.message, /lost/);
  await assert.rejects(within(inflight, 10_000, 'in-flight exec to settle'), (e: Error) => e instanceof HostConnectionError && /lost/.test(e.message));
  await within(sockClosed, 10_000, 'open socket to close');

  const after = await host.exec(['echo', 'back'], { timeoutMs: 10_000 });
  assert.equal(after.stdout, 'back\n');
  assert.equal(host.connectionsOpened, 2);
  assert.ok(log.warns.some((w) => /reconnecting \(attempt 1\//.test(w)), JSON.stringify(log.warns));
  const again = await host.openSocket(sockPath, 10_000);
  assert.equal(await roundTrip(again, 'after'), 'after');
  again.destroy();
  assert.equal(host.connectionsOpened, 2);
});

test('sshd restarted with the same key on the same port: reconnects with backoff', async (t) => {
  if (!requireSshd(t)) return;
  const keys = await mkdtemp(join(tmpdir(), 'hermes-keys-'));
  t.after(() => rm(keys, { recursive: true, force: true }));
  const first = await startSshd({ hostKeyDir: keys });
  t.after(() => first.stop());
  const log = captureLog();
  const host = await connectSsh(optionsFor(first, { reconnect: { attempts: 8, baseDelayMs: 100, maxDelayMs: 400 } }), log);
  t.after(() => host.close());
  const dropped = new Promise<void>((resolve) => host.onDisconnect(() => resolve()));
  await first.stop();
  await within(dropped, 10_000, 'onDisconnect after sshd stopped');
  // the restart comes while the host is already retrying
  const pending = host.exec(['echo', 'restarted'], { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 150));
  const second = await startSshd({ hostKeyDir: keys, port: first.port });
  t.after(() => second.stop());
  assert.equal((await within(pending, 15_000, 'exec across the restart')).stdout, 'restarted\n');
  assert.equal(host.connectionsOpened, 2);
  assert.ok(log.warns.filter((w) => /reconnecting/.test(w)).length >= 2, JSON.stringify(log.warns));
});

test('commands sent as the connection drops, before it is noticed, run once it is back: a channel that never opened ran nothing', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s, { reconnect: { attempts: 8, baseDelayMs: 50, maxDelayMs: 200 } }), captureLog());
  t.after(() => host.close());
  const sessions = s.sessionPids();
  assert.ok(sessions.length > 0, 'no sshd session process found');
  for (const pid of sessions) killQuietly(pid);
  // Sent while the connection goes away: each lands on the dying connection or waits for the next one.
  const delays = [0, 1, 2, 5, 10, 20, 40];
  const sent = delays.map((ms) => new Promise((r) => setTimeout(r, ms)).then(() => host.exec(['echo', `after ${ms} ms`], { timeoutMs: 15_000 })));
  const out = await within(Promise.all(sent), 20_000, 'every command across the drop');
  assert.deepEqual(
    out.map((r) => r.stdout),
    delays.map((ms) => `after ${ms} ms\n`),
  );
  assert.equal(host.connectionsOpened, 2);
});

test('reconnecting re-verifies the host key: a different key after the drop is refused at once', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s, { reconnect: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200 } }), log);
  t.after(() => host.close());
  const port = s.port;
  const expected = s.hostFingerprint;
  await s.stop();
  const impostor = await startSshd({ port }); // fresh keys, same address
  t.after(() => impostor.stop());
  await assert.rejects(host.exec(['true'], { timeoutMs: 10_000 }), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.ok(err.message.includes(impostor.hostFingerprint) && err.message.includes(expected), err.message);
    return true;
  });
  // a host key mismatch is not retried
  assert.equal(log.warns.filter((w) => /reconnect attempt \d+\/5 .* failed/.test(w)).length, 0, JSON.stringify(log.warns));
  assert.equal(host.connectionsOpened, 1);
});

test('MITM on reconnect: the path now leads to another host key; a decided HostKeyMismatchError with the connect-time message, no retry, and no more dialling', async (t) => {
  if (!requireSshd(t)) return;
  const real = await sshdFor(t);
  const mitm = await sshdFor(t); // its own fresh host key
  const proxy = await tcpProxy(t, real.port);
  const opts = optionsFor(real, { port: proxy.port, pins: { knownHosts: [], fingerprints: [real.hostFingerprint] }, reconnect: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200 } });
  const log = captureLog();
  const host = await connectSsh(opts, log);
  t.after(() => host.close());
  assert.equal((await host.exec(['echo', 'real host'], { timeoutMs: 10_000 })).stdout, 'real host\n');
  const sockPath = join(real.dir, 'echo.sock');
  await echoServer(t, sockPath);

  // the interception: the link drops, and whatever answers next on that address is the MITM
  const dropped = new Promise<void>((resolve) => host.onDisconnect(() => resolve()));
  proxy.retarget(mitm.port);
  proxy.cutAll();
  await within(dropped, 10_000, 'onDisconnect after the cut');
  const err = await host.exec(['true'], { timeoutMs: 10_000 }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HostKeyMismatchError, `expected HostKeyMismatchError, got ${String(err)}`);
  assert.ok(err instanceof HostConnectionError);
  assert.ok(isPermanent(err));
  assert.ok(err.message.includes(mitm.hostFingerprint) && err.message.includes(real.hostFingerprint), err.message);
  assert.doesNotMatch(err.message, /rerun|mode: status|timed out/);
  const toMitm = proxy.accepted.filter((p) => p === mitm.port).length;
  assert.equal(toMitm, 1, 'the MITM was dialled more than once: a mismatch must not be retried');
  assert.equal(log.warns.filter((w) => /reconnect attempt \d+\/5 .* failed/.test(w)).length, 0, JSON.stringify(log.warns));

  // every later call fails at once with the same error and dials nothing, even once the path is honest again
  const dialled = proxy.accepted.length;
  await assert.rejects(host.exec(['true'], { timeoutMs: 10_000 }), (e) => e === err);
  await assert.rejects(host.openSocket(sockPath, 10_000), (e) => e === err);
  proxy.retarget(real.port);
  await assert.rejects(host.exec(['true'], { timeoutMs: 10_000 }), (e) => e === err);
  assert.equal(proxy.accepted.length, dialled);
  assert.equal(host.connectionsOpened, 1);
  assert.doesNotMatch(await mitm.log(), /Accepted publickey/);

  // the same message as a first connection to the MITM
  proxy.retarget(mitm.port);
  const atConnect = await connectSsh(opts, captureLog()).then(
    (h) => h.close().then(() => null),
    (e: unknown) => e,
  );
  assert.ok(atConnect instanceof HostKeyMismatchError, String(atConnect));
  assert.equal(err.message, atConnect.message);
});

test('reconnect gives up after the configured attempts, naming the last error', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s, { reconnect: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 } }), log);
  t.after(() => host.close());
  await s.stop();
  await assert.rejects(host.exec(['true'], { timeoutMs: 10_000 }), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /after 3 attempts/);
    assert.match(err.message, /refused/);
    return true;
  });
  assert.equal(log.warns.filter((w) => /reconnecting \(attempt/.test(w)).length, 3);
});

test('close() is idempotent, ends open sockets, does not count as a drop, and later calls reject', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const sockPath = join(s.dir, 'echo.sock');
  await echoServer(t, sockPath);
  const host = await connectSsh(optionsFor(s), captureLog());
  let drops = 0;
  host.onDisconnect(() => drops++);
  const sock = await host.openSocket(sockPath, 10_000);
  const closed = once(sock, 'close');
  await Promise.all([host.close(), host.close()]);
  await host.close();
  await within(closed, 10_000, 'socket close on host.close()');
  await assert.rejects(host.exec(['true'], { timeoutMs: 1000 }), /closed/);
  await assert.rejects(host.openSocket(sockPath, 1000), /closed/);
  assert.equal(drops, 0);
  // sshd sees the session end
  await within(
    (async () => {
      while (s.sessionPids().length > 0) await new Promise((r) => setTimeout(r, 20));
    })(),
    10_000,
    'sshd session to end',
  );
});

test('a stalled connection (session sshd stopped) is detected by keepalive and reported', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s, { keepaliveIntervalMs: 150, keepaliveCountMax: 2 }), log);
  t.after(() => host.close());
  const dropped = new Promise<HostConnectionError>((resolve) => host.onDisconnect(resolve));
  const sessions = s.sessionPids();
  // SIGSTOP freezes the session without closing its TCP connection: only keepalives can notice
  let stopped = 0;
  for (const pid of sessions) {
    try {
      process.kill(pid, 'SIGSTOP');
      stopped++;
    } catch {
      // a pre-auth helper that exited just now
    }
  }
  assert.ok(stopped > 0, 'no sshd session process to stop');
  t.after(() => {
    for (const pid of sessions) killQuietly(pid);
  });
  const err = await within(dropped, 10_000, 'keepalive to detect the stall');
  assert.match(err.message, /keepalives sent every 150 ms went unanswered/);
  for (const pid of sessions) killQuietly(pid);
  assert.equal((await host.exec(['echo', 'fresh'], { timeoutMs: 10_000 })).stdout, 'fresh\n');
  assert.equal(host.connectionsOpened, 2);
});

test('while the host is unreachable, exec rejects within its own timeout and reconnecting carries on', async (t) => {
  if (!requireSshd(t)) return;
  const keys = await mkdtemp(join(tmpdir(), 'hermes-keys-'));
  t.after(() => rm(keys, { recursive: true, force: true }));
  const first = await startSshd({ hostKeyDir: keys });
  t.after(() => first.stop());
  const host = await connectSsh(optionsFor(first, { reconnect: { attempts: 40, baseDelayMs: 50, maxDelayMs: 100 } }), captureLog());
  t.after(() => host.close());
  const dropped = new Promise<void>((resolve) => host.onDisconnect(() => resolve()));
  await first.stop();
  await within(dropped, 10_000, 'onDisconnect');
  await assert.rejects(host.exec(['true'], { timeoutMs: 300 }), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /not re-established within 300 ms to run true/);
    return true;
  });
  const second = await startSshd({ hostKeyDir: keys, port: first.port });
  t.after(() => second.stop());
  assert.equal((await host.exec(['echo', 'up'], { timeoutMs: 10_000 })).stdout, 'up\n');
  assert.equal(host.connectionsOpened, 2);
});
