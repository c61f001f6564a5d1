import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { HostConnectionError } from '../../src/host/host.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { requireSshd } from '../support/sshd.ts';
import { captureLog, optionsFor, sshdFor } from './fixtures.ts';

const run = promisify(execFile);
const noPins = { knownHosts: [], fingerprints: [] };

async function execWorks(host: { exec: (a: string[], o: { timeoutMs: number }) => Promise<{ stdout: string }> }): Promise<void> {
  assert.equal((await host.exec(['echo', 'pinned'], { timeoutMs: 10_000 })).stdout, 'pinned\n');
}

test('pinned by fingerprint (as ssh-keygen -lf prints it): connects', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s, { pins: { knownHosts: [], fingerprints: [s.hostFingerprint] } }), log);
  t.after(() => host.close());
  await execWorks(host);
  assert.deepEqual(log.warns, []);
});

test('pinned by a known_hosts line from ssh-keyscan: connects', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const scanned = (await run('ssh-keyscan', ['-p', String(s.port), '-t', 'ed25519', '127.0.0.1'])).stdout;
  const host = await connectSsh(optionsFor(s, { pins: { knownHosts: [`# from ssh-keyscan\n\n${scanned}`], fingerprints: [] } }), captureLog());
  t.after(() => host.close());
  await execWorks(host);
});

test('pinned by a hashed known_hosts entry (ssh-keygen -H): connects', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const file = join(s.dir, 'known_hosts');
  await writeFile(file, `${s.knownHostsLine}\n`);
  await run('ssh-keygen', ['-H', '-f', file]);
  const hashed = await readFile(file, 'utf8');
  assert.match(hashed, /^\|1\|/);
  const host = await connectSsh(optionsFor(s, { pins: { knownHosts: [hashed], fingerprints: [] } }), captureLog());
  t.after(() => host.close());
  await execWorks(host);
});

test('several pins (key rotation), one of which matches: connects', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const other = await sshdFor(t);
  const otherLine = other.knownHostsLine.replace(`:${other.port} `, `:${s.port} `);
  const host = await connectSsh(
    optionsFor(s, { pins: { knownHosts: [otherLine, s.knownHostsLine], fingerprints: [other.hostFingerprint] } }),
    captureLog(),
  );
  t.after(() => host.close());
  await execWorks(host);
});

test('known_hosts pins of one type make the server present that type', async (t) => {
  if (!requireSshd(t)) return;
  // the server offers ed25519 (which ssh2 prefers) and ecdsa; only the ecdsa key is pinned
  const s = await sshdFor(t, { hostKeyType: 'ed25519', extraHostKeyTypes: ['ecdsa'] });
  const host = await connectSsh(optionsFor(s, { pins: { knownHosts: [s.extraKnownHostsLines[0]!], fingerprints: [] } }), captureLog());
  t.after(() => host.close());
  await execWorks(host);
});

test('no pin: refused before any TCP connection, with the ssh-keyscan hint', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const accepted: number[] = [];
  // a listener that records any connection: nothing may reach it
  const trap = createServer((c) => {
    accepted.push(1);
    c.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => trap.close(() => r())));
  const trapPort = (trap.address() as { port: number }).port;

  for (const port of [trapPort, s.port]) {
    await assert.rejects(connectSsh(optionsFor(s, { port, pins: noPins }), captureLog()), (err: Error) => {
      assert.ok(err instanceof HostConnectionError);
      assert.match(err.message, /no pinned host key/);
      assert.ok(err.message.includes(`ssh-keyscan -p ${port} -t ed25519 127.0.0.1 | ssh-keygen -lf -`), err.message);
      assert.match(err.message, /known-hosts/);
      assert.match(err.message, /host-fingerprint/);
      return true;
    });
  }
  assert.equal(accepted.length, 0);
  // sshd logs connections in order: after one real login, exactly one more connection must be in its log
  const before = connectionsIn(await s.log());
  const host = await connectSsh(optionsFor(s), captureLog());
  await host.close();
  assert.equal(connectionsIn(await s.log()), before + 1);
});

function connectionsIn(log: string): number {
  return log.match(/Connection from/g)?.length ?? 0;
}

test('wrong key (another sshd with another key on the pinned port): refused, naming offered and expected', async (t) => {
  if (!requireSshd(t)) return;
  const pinned = await sshdFor(t);
  const impostor = await sshdFor(t);
  const log = captureLog();
  // the pin names the impostor's address but the key of the real server: what a MITM on that address looks like
  const line = pinned.knownHostsLine.replace(`:${pinned.port} `, `:${impostor.port} `);
  await assert.rejects(connectSsh(optionsFor(impostor, { pins: { knownHosts: [line], fingerprints: [] } }), log), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.ok(err.message.includes(`offered ${impostor.hostFingerprint}`), err.message);
    assert.ok(err.message.includes(pinned.hostFingerprint), err.message);
    assert.match(err.message, /does not match/);
    return true;
  });
  await assert.rejects(connectSsh(optionsFor(impostor, { pins: { knownHosts: [], fingerprints: [pinned.hostFingerprint] } }), log), (err: Error) => {
    assert.ok(err.message.includes(impostor.hostFingerprint) && err.message.includes(pinned.hostFingerprint), err.message);
    return true;
  });
  // the impostor never saw a login attempt: the key check comes before authentication
  assert.doesNotMatch(await impostor.log(), /Accepted publickey|Failed publickey/);
});

test('a key marked @revoked is refused even when another line pins it', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const revoked = `@revoked * ${s.knownHostsLine.split(' ').slice(1).join(' ')}`;
  await assert.rejects(
    connectSsh(optionsFor(s, { pins: { knownHosts: [s.knownHostsLine, revoked], fingerprints: [s.hostFingerprint] } }), captureLog()),
    (err: Error) => {
      assert.match(err.message, /@revoked/);
      assert.ok(err.message.includes(s.hostFingerprint));
      return true;
    },
  );
});

test('insecure mode connects and warns loudly with the offered fingerprint', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s, { pins: noPins, insecureSkipHostKeyCheck: true }), log);
  t.after(() => host.close());
  await execWorks(host);
  const warning = log.warns.find((w) => /INSECURE/.test(w));
  assert.ok(warning, `no insecure warning in ${JSON.stringify(log.warns)}`);
  assert.ok(warning.includes(s.hostFingerprint));
});

test('insecure flag with pins: the pins still apply', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const other = await sshdFor(t);
  const log = captureLog();
  await assert.rejects(
    connectSsh(optionsFor(s, { pins: { knownHosts: [], fingerprints: [other.hostFingerprint] }, insecureSkipHostKeyCheck: true }), log),
    /does not match/,
  );
  assert.ok(log.warns.some((w) => /insecure-skip-host-key-check is ignored/.test(w)));
});

test('failed authentication names the user and host, never the key', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const other = await sshdFor(t); // a different client key, not in s's authorized_keys
  await assert.rejects(connectSsh(optionsFor(s, { privateKey: other.clientKey }), captureLog()), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /authentication failed/);
    assert.ok(err.message.includes(`${s.username}@127.0.0.1:${s.port}`), err.message);
    const keyBody = other.clientKey.split('\n').slice(1, -2).join('');
    assert.ok(!err.message.includes(keyBody.slice(0, 20)));
    assert.ok(!String(err.stack).includes(keyBody.slice(0, 20)));
    return true;
  });
});

test('an unreadable private key is refused before connecting, without echoing it', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const bogus = '-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5\n-----END OPENSSH PRIVATE KEY-----\n';
  await assert.rejects(connectSsh(optionsFor(s, { privateKey: bogus }), captureLog()), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /private key for root@|private key for \S+@127\.0\.0\.1/);
    assert.ok(!err.message.includes('c2VjcmV0LWtleS1ib2R5'));
    return true;
  });
  const before = connectionsIn(await s.log());
  const host = await connectSsh(optionsFor(s), captureLog());
  await host.close();
  assert.equal(connectionsIn(await s.log()), before + 1);
});

test('connection refused is reported as such', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const port = s.port;
  await s.stop();
  await assert.rejects(connectSsh(optionsFor(s, { port, pins: { knownHosts: [], fingerprints: [s.hostFingerprint] } }), captureLog()), (err: Error) => {
    assert.ok(err instanceof HostConnectionError);
    assert.match(err.message, /refused/);
    return true;
  });
});

test('a server that never speaks SSH: the ready timeout ends the attempt with a clear error', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const held: import('node:net').Socket[] = [];
  const silent = createServer((c) => held.push(c)); // accepts and says nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const c of held) c.destroy();
    return new Promise<void>((r) => silent.close(() => r()));
  });
  const port = (silent.address() as { port: number }).port;
  await assert.rejects(
    connectSsh(optionsFor(s, { port, readyTimeoutMs: 300, pins: { knownHosts: [], fingerprints: [s.hostFingerprint] } }), captureLog()),
    (err: Error) => {
      assert.ok(err instanceof HostConnectionError);
      assert.match(err.message, /timed out after 300 ms waiting for the handshake/);
      return true;
    },
  );
});
