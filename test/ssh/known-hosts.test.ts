// Pure parts of the SSH host: fingerprints, known_hosts, the host key policy, options, relay helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HostConnectionError } from '../../src/host/host.ts';
import { backoffDelay } from '../../src/host/ssh/backoff.ts';
import { fingerprintOf, keyTypeOf } from '../../src/host/ssh/fingerprint.ts';
import { hostKeyPolicy } from '../../src/host/ssh/host-key-policy.ts';
import { entryMatchesHost, parseKnownHosts } from '../../src/host/ssh/known-hosts.ts';
import { SshOptions } from '../../src/host/ssh/options.ts';
import { relayArgv, relayFailure, socatSafe } from '../../src/host/ssh/relay.ts';
import { TailBuffer } from '../../src/host/ssh/tail-buffer.ts';

const run = promisify(execFile);

interface Key {
  type: string;
  b64: string;
  blob: Buffer;
  fingerprint: string;
}

/** Generates real public keys with ssh-keygen (ssh-keygen's own fingerprint is the oracle). */
async function keys(): Promise<{ dir: string; ed: Key; ec: Key; rsa: Key; ed2: Key }> {
  const dir = await mkdtemp(join(tmpdir(), 'hermes-kh-'));
  const make = async (name: string, type: string): Promise<Key> => {
    const path = join(dir, name);
    await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', path]);
    const [kt, b64] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/) as [string, string];
    const fp = (await run('ssh-keygen', ['-lf', `${path}.pub`])).stdout.split(/\s+/)[1]!;
    return { type: kt, b64, blob: Buffer.from(b64, 'base64'), fingerprint: fp };
  };
  const [ed, ec, rsa, ed2] = await Promise.all([make('ed', 'ed25519'), make('ec', 'ecdsa'), make('rsa', 'rsa'), make('ed2', 'ed25519')]);
  return { dir, ed, ec, rsa, ed2 };
}

const k = await keys();
test.after(() => rm(k.dir, { recursive: true, force: true }));
const pins = (knownHosts: string[] = [], fingerprints: string[] = []) => ({ knownHosts, fingerprints });

test('fingerprintOf and keyTypeOf agree with ssh-keygen for ed25519, ecdsa and rsa', () => {
  for (const key of [k.ed, k.ec, k.rsa]) {
    assert.equal(fingerprintOf(key.blob), key.fingerprint);
    assert.equal(keyTypeOf(key.blob), key.type);
  }
  assert.equal(keyTypeOf(Buffer.from([0, 0, 0, 200, 1])), null);
});

test('known_hosts: comments, blank lines, [host]:port, plain hosts, wildcards and negation', () => {
  const text = [
    '# a comment',
    '',
    `[db.example]:2222 ${k.ed.type} ${k.ed.b64} root@db`,
    `web.example,10.0.0.5 ${k.ec.type} ${k.ec.b64}`,
    `*.internal,!evil.internal ${k.rsa.type} ${k.rsa.b64}`,
  ].join('\n');
  const { entries, warnings } = parseKnownHosts([text]);
  assert.deepEqual(warnings, []);
  assert.equal(entries.length, 3);
  const [db, web, wild] = entries as [typeof entries[0], typeof entries[0], typeof entries[0]];
  assert.equal(db.line, 3);
  assert.equal(db.fingerprint, k.ed.fingerprint);
  assert.ok(entryMatchesHost(db, 'db.example', 2222));
  assert.ok(entryMatchesHost(db, 'DB.Example', 2222));
  assert.ok(!entryMatchesHost(db, 'db.example', 22));
  assert.ok(entryMatchesHost(web, '10.0.0.5', 22));
  assert.ok(!entryMatchesHost(web, '10.0.0.5', 2200), 'a plain name only matches port 22, as in OpenSSH');
  assert.ok(entryMatchesHost(wild, 'a.internal', 22));
  assert.ok(!entryMatchesHost(wild, 'evil.internal', 22));
  assert.ok(!entryMatchesHost(wild, 'internal', 22));
});

test('known_hosts: hashed entries (ssh-keygen -H) match only their host and port', async () => {
  const file = join(k.dir, 'hashed');
  await writeFile(file, `gw.example ${k.ed.type} ${k.ed.b64}\n[gw.example]:2022 ${k.ec.type} ${k.ec.b64}\n`);
  await run('ssh-keygen', ['-H', '-f', file]);
  const { entries, warnings } = parseKnownHosts([await readFile(file, 'utf8')]);
  assert.deepEqual(warnings, []);
  assert.equal(entries.length, 2);
  assert.ok(entries.every((e) => e.patterns![0]!.startsWith('|1|')));
  assert.ok(entryMatchesHost(entries[0]!, 'gw.example', 22));
  assert.ok(!entryMatchesHost(entries[0]!, 'gw.example', 2022));
  assert.ok(!entryMatchesHost(entries[0]!, 'other.example', 22));
  assert.ok(entryMatchesHost(entries[1]!, 'gw.example', 2022));
  assert.ok(!entryMatchesHost(entries[1]!, 'gw.example', 22));
});

test('known_hosts: @cert-authority is a warning and not a pin; malformed lines are warnings', () => {
  const { entries, warnings } = parseKnownHosts([
    `@cert-authority *.example ${k.ed.type} ${k.ed.b64}`,
    `host.example ${k.ed.type} not-base64!`,
    `host.example ${k.ec.type} ${k.ed.b64}`,
    'host.example',
    `@weird host.example ${k.ed.type} ${k.ed.b64}`,
    `${k.ed2.type} ${k.ed2.b64} a-bare-pub-file`,
  ]);
  assert.equal(warnings.length, 5, warnings.join('\n'));
  assert.match(warnings[0]!, /@cert-authority is not supported/);
  assert.match(warnings[1]!, /line 2: .*not valid base64/);
  assert.match(warnings[2]!, /line 3: .*says ecdsa-sha2-nistp256 but the key is ssh-ed25519/);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.patterns, null, 'a bare "type key" line pins the key for any host');
  assert.ok(entryMatchesHost(entries[0]!, 'anything', 2222));
});

test('policy: no pin is refused with the ssh-keyscan hint; pins for other hosts do not count', () => {
  assert.throws(
    () => hostKeyPolicy({ host: 'h.example', port: 2200, pins: pins(), insecure: false, role: 'target' }),
    (err: Error) => err instanceof HostConnectionError && err.message.includes('ssh-keyscan -p 2200 -t ed25519 h.example | ssh-keygen -lf -') && /neither known-hosts nor host-fingerprint/.test(err.message),
  );
  assert.throws(
    () => hostKeyPolicy({ host: 'h.example', port: 2200, pins: pins([`h.example ${k.ed.type} ${k.ed.b64}`]), insecure: false, role: 'target' }),
    (err: Error) => /none of the known-hosts lines applies to h.example:2200/.test(err.message),
  );
  // the warning explains the [host]:port form
  const p = hostKeyPolicy({ host: 'h.example', port: 2200, pins: pins([`h.example ${k.ed.type} ${k.ed.b64}`], [k.ec.fingerprint]), insecure: false, role: 'target' });
  assert.ok(p.warnings.some((w) => w.includes('[h.example]:2200')), p.warnings.join('\n'));
});

test('policy: accepts pinned keys, refuses others naming offered and expected fingerprints', () => {
  const p = hostKeyPolicy({ host: 'h', port: 22, pins: pins([`h ${k.ed.type} ${k.ed.b64}`], [k.rsa.fingerprint]), insecure: false, role: 'target' });
  assert.deepEqual(p.verify(k.ed.blob), { ok: true, fingerprint: k.ed.fingerprint, keyType: 'ssh-ed25519', via: 'known-hosts' });
  assert.equal(p.verify(k.rsa.blob).ok, true);
  const no = p.verify(k.ec.blob);
  assert.equal(no.ok, false);
  assert.ok(!no.ok && no.message.includes(`offered ${k.ec.fingerprint}`) && no.message.includes(k.ed.fingerprint) && no.message.includes(k.rsa.fingerprint));
  assert.equal(p.serverHostKey, undefined, 'fingerprint pins may be of any type: no restriction');
  // a fingerprint pasted with base64 padding still matches
  const padded = hostKeyPolicy({ host: 'h', port: 22, pins: pins([], [`${k.ed.fingerprint}=`]), insecure: false, role: 'target' });
  assert.equal(padded.verify(k.ed.blob).ok, true);
});

test('policy: known_hosts-only pins restrict the host key algorithms to the pinned types', () => {
  const p = hostKeyPolicy({ host: 'h', port: 22, pins: pins([`h ${k.rsa.type} ${k.rsa.b64}`, `h ${k.ec.type} ${k.ec.b64}`]), insecure: false, role: 'target' });
  assert.deepEqual(p.serverHostKey, ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
});

test('policy: @revoked wins over every pin, and over the insecure flag', () => {
  const revoked = `@revoked * ${k.ed.type} ${k.ed.b64}`;
  const p = hostKeyPolicy({ host: 'h', port: 22, pins: pins([`h ${k.ed.type} ${k.ed.b64}`, revoked], [k.ed.fingerprint]), insecure: false, role: 'target' });
  const d = p.verify(k.ed.blob);
  assert.ok(!d.ok && /@revoked/.test(d.message) && d.message.includes(k.ed.fingerprint));
  const insecure = hostKeyPolicy({ host: 'h', port: 22, pins: pins([revoked]), insecure: true, role: 'target' });
  assert.equal(insecure.insecure, true);
  assert.equal(insecure.verify(k.ed.blob).ok, false);
  assert.deepEqual(insecure.verify(k.ec.blob), { ok: true, fingerprint: k.ec.fingerprint, keyType: k.ec.type, via: 'insecure' });
});

test('options: defaults, and a bad fingerprint names the field and the expected form', () => {
  const o = SshOptions.parse({ host: 'h', username: 'u', privateKey: 'k' });
  assert.equal(o.port, 22);
  assert.equal(o.insecureSkipHostKeyCheck, false);
  assert.deepEqual(o.pins, { knownHosts: [], fingerprints: [] });
  assert.deepEqual(o.reconnect, { attempts: 6, baseDelayMs: 500, maxDelayMs: 8000 });
  assert.equal(o.readyTimeoutMs, 20_000);
  assert.equal(o.keepaliveIntervalMs, 10_000);
  assert.equal(o.keepaliveCountMax, 3);
  const bad = SshOptions.safeParse({ host: 'h', username: 'u', privateKey: 'k', pins: { fingerprints: ['MD5:aa:bb'] } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path, ['pins', 'fingerprints', 0]);
  assert.match(bad.error!.issues[0]!.message, /SHA256:/);
});

test('relay helpers: socat only for plain paths, the path is an argument, failures are summarised', () => {
  assert.equal(socatSafe('/home/hermes/.hermes/run/handoff.sock'), true);
  assert.equal(socatSafe('/tmp/a,b'), false);
  assert.equal(socatSafe('/tmp/a:b'), false);
  const argv = relayArgv("/tmp/it's $(x)");
  assert.equal(argv[4], "/tmp/it's $(x)");
  assert.equal(argv[6], 'python-only');
  assert.ok(!argv[2]!.includes('/tmp/'), 'the script text never contains the path');
  assert.equal(relayFailure('hermes-relay: using socat\n2024/01/01 00:00:00 socat[12] E connect(5, AF=1 "/x", 4): No such file or directory\n'), 'socat: connect(5, AF=1 "/x", 4): No such file or directory');
  assert.equal(relayFailure('hermes-relay: using python3\nhermes-relay: cannot connect to /x: Connection refused\n'), 'hermes-relay: cannot connect to /x: Connection refused');
});

test('tail buffer keeps the last bytes; backoff doubles up to the cap', () => {
  const b = new TailBuffer(5);
  b.push(Buffer.from('abc'));
  b.push(Buffer.from('defg'));
  assert.equal(b.text(), 'cdefg');
  assert.equal(b.dropped, 2);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 500, 3000)), [0, 500, 1000, 2000, 3000, 3000]);
});
