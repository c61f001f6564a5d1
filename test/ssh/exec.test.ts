import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { OUTPUT_CAP_BYTES } from '../../src/host/ssh/exec.ts';
import { requireSshd } from '../support/sshd.ts';
import { captureLog, echoServer, optionsFor, roundTrip, sshdFor } from './fixtures.ts';

test('exec: stdin reaches the command, exit codes, stderr and signals come back', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());

  const cat = await host.exec(['cat'], { stdin: 'line one\nsecret: hunter2\n', timeoutMs: 10_000 });
  assert.deepEqual(cat, { code: 0, signal: null, stdout: 'line one\nsecret: hunter2\n', stderr: '' });

  const fail = await host.exec(['sh', '-c', 'echo out; echo err >&2; exit 7'], { timeoutMs: 10_000 });
  assert.equal(fail.code, 7);
  assert.equal(fail.stdout, 'out\n');
  assert.equal(fail.stderr, 'err\n');

  const killed = await host.exec(['sh', '-c', 'kill -TERM $$'], { timeoutMs: 10_000 });
  assert.equal(killed.code, null);
  assert.equal(killed.signal, 'SIGTERM');

  const missing = await host.exec(['hermes-no-such-command-xyz'], { timeoutMs: 10_000 });
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /not found/);
  assert.equal(host.kind, 'ssh');
});

test('exec: shell metacharacters in words come back literally and nothing runs', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());
  const marker = join(s.dir, 'pwned');
  t.after(() => rm(marker, { force: true }));
  const words = [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'; touch ${marker}; echo '`,
    `"; touch ${marker}; echo "`,
    `a; touch ${marker}`,
    `a && touch ${marker}`,
    `a | touch ${marker}`,
    `line1\ntouch ${marker}\n`,
    '*',
    '$HOME ${PATH} ~ !! #comment',
    "it's \"quoted\" \\ back\\slash",
    '-n',
    '',
  ];
  for (const w of words) {
    const r = await host.exec(['printf', '%s\\n', w], { timeoutMs: 10_000 });
    assert.equal(r.code, 0, `printf ${JSON.stringify(w)} failed: ${r.stderr}`);
    assert.equal(r.stdout, `${w}\n`, `word ${JSON.stringify(w)} did not come back literally`);
  }
  const all = await host.exec(['printf', '%s|', ...words], { timeoutMs: 10_000 });
  assert.equal(all.stdout, words.map((w) => `${w}|`).join(''));
  assert.equal(existsSync(marker), false, 'an injected command ran on the host');
});

test('exec: a command past its timeout rejects naming the command and the timeout', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());
  await assert.rejects(host.exec(['sleep', '7'], { timeoutMs: 300 }), (err: Error) => {
    assert.match(err.message, /sleep/);
    assert.match(err.message, /300 ms/);
    return true;
  });
  // the connection is still usable afterwards
  assert.equal((await host.exec(['echo', 'ok'], { timeoutMs: 10_000 })).stdout, 'ok\n');
});

test('exec: output beyond the cap keeps the tail', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());
  // 2 MiB of 'a' then a last line: only the last 1 MiB survives, ending with the last line
  const r = await host.exec(['sh', '-c', 'head -c 2097152 /dev/zero | tr "\\0" a; echo; echo THE-END'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0);
  assert.equal(Buffer.byteLength(r.stdout), OUTPUT_CAP_BYTES);
  assert.ok(r.stdout.endsWith('a\nTHE-END\n'));
});

test('many execs and sockets, some at once, share exactly one SSH connection', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const sockPath = join(s.dir, 'echo.sock');
  await echoServer(t, sockPath);
  const host = await connectSsh(optionsFor(s), captureLog());
  t.after(() => host.close());
  // more at once than sshd's default MaxSessions (10): the host queues them instead of failing
  const results = await Promise.all(Array.from({ length: 14 }, (_, i) => host.exec(['sh', '-c', `sleep 0.2; echo ${i}`], { timeoutMs: 30_000 })));
  results.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
  const sockets = await Promise.all(Array.from({ length: 5 }, () => host.openSocket(sockPath, 10_000)));
  for (const [i, sock] of sockets.entries()) assert.equal(await roundTrip(sock, `hello ${i}\n`), `hello ${i}\n`);
  for (const sock of sockets) sock.destroy();
  for (let i = 0; i < 5; i++) await host.exec(['true'], { timeoutMs: 10_000 });
  assert.equal(host.connectionsOpened, 1);
  const log = await s.log();
  assert.equal(log.match(/Accepted publickey/g)?.length, 1, 'sshd saw more than one login');
});
