import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STORE_SCHEMA, openStore } from '../examples/gateway/store.ts';

const WRITER = fileURLToPath(new URL('./platform/fixtures/store-writer.ts', import.meta.url));

function tempHome(t: { after: (fn: () => void) => void }): string {
  const home = mkdtempSync(join(tmpdir(), 'hermes-store-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

async function runWriter(home: string, platform: string, first: number, count: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, home, platform, String(first), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `store writer failed: ${err}`);
}

test('record, has and nextOffset; the log starts with the schema line and survives reopening', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  assert.equal(store.has('telegram', 1), false);
  assert.equal(store.nextOffset('telegram'), null);
  store.record('telegram', 7, { pid: 42, text: 'hello' });
  store.record('telegram', 5, { pid: 42, text: 'older' });
  store.record('discord', 100, { pid: 42, text: 'elsewhere' });
  store.flush();
  assert.equal(store.has('telegram', 7), true);
  assert.equal(store.has('telegram', 5), true);
  assert.equal(store.has('telegram', 100), false);
  assert.equal(store.nextOffset('telegram'), 8);
  assert.equal(store.nextOffset('discord'), 101);
  store.close();
  assert.throws(() => store.record('telegram', 9, { pid: 1, text: 'x' }), /closed/);

  const lines = readFileSync(join(home, 'store', 'transcript.log'), 'utf8').split('\n');
  assert.equal(lines[0], JSON.stringify({ schema: STORE_SCHEMA }));
  assert.equal(STORE_SCHEMA, 1);
  assert.deepEqual(JSON.parse(lines[1] as string), { ...JSON.parse(lines[1] as string), platform: 'telegram', update_id: 7, pid: 42, text: 'hello' });
  assert.equal(statSync(join(home, 'store', 'transcript.log')).mode & 0o777, 0o600);

  const again = openStore(home);
  t.after(() => again.close());
  assert.equal(again.has('telegram', 7), true);
  assert.equal(again.nextOffset('telegram'), 8);
  assert.equal(again.corruptLines(), 0);
});

test('reload sees the records another process appended', async (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  store.record('telegram', 1, { pid: process.pid, text: 'mine' });
  store.flush();
  await runWriter(home, 'telegram', 2, 50);
  assert.equal(store.nextOffset('telegram'), 2, 'not seen before reload');
  assert.equal(store.reload(), 50);
  assert.equal(store.nextOffset('telegram'), 52);
  for (let id = 1; id <= 51; id++) assert.equal(store.has('telegram', id), true, `update ${id}`);
  assert.equal(store.reload(), 0, 'nothing new');
});

test('has() finds a record another process made since the last read, without an explicit reload', async (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  await runWriter(home, 'telegram', 10, 1);
  assert.equal(store.has('telegram', 10), true);
  assert.equal(store.nextOffset('telegram'), 11);
});

test('two processes appending at once never interleave within a line', async (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  await Promise.all([runWriter(home, 'telegram', 1, 3000), runWriter(home, 'telegram', 3001, 3000), runWriter(home, 'discord', 1, 3000)]);
  assert.equal(store.reload(), 9000);
  assert.equal(store.corruptLines(), 0);
  assert.equal(store.nextOffset('telegram'), 6001);
  assert.equal(store.nextOffset('discord'), 3001);
  const lines = readFileSync(store.path, 'utf8').split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 9001);
  for (const l of lines) JSON.parse(l);
});

test('a final line without its newline is left unread until completed', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  store.record('telegram', 1, { pid: 1, text: 'whole' });
  const line = JSON.stringify({ platform: 'telegram', update_id: 2, pid: 2, text: 'torn', at: Date.now() });
  appendFileSync(store.path, line.slice(0, 20));
  assert.equal(store.reload(), 0);
  assert.equal(store.has('telegram', 2), false);
  assert.equal(store.corruptLines(), 0, 'an incomplete line is not corrupt yet');
  appendFileSync(store.path, `${line.slice(20)}\n`);
  assert.equal(store.reload(), 1);
  assert.equal(store.has('telegram', 2), true);
  assert.equal(store.corruptLines(), 0);
});

test('a record appended after a torn line from a killed writer starts on its own line; the torn one is skipped', (t) => {
  const home = tempHome(t);
  const writer = openStore(home);
  const reader = openStore(home);
  t.after(() => {
    writer.close();
    reader.close();
  });
  appendFileSync(writer.path, '{"platform":"telegram","upd'); // a process killed mid-write
  writer.record('telegram', 3, { pid: 3, text: 'after the crash' });
  writer.flush();
  assert.equal(reader.reload(), 1);
  assert.equal(reader.has('telegram', 3), true);
  assert.equal(reader.corruptLines(), 1);
});

test('corrupt complete lines are skipped and counted, never fatal', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  store.record('telegram', 1, { pid: 1, text: 'ok' });
  appendFileSync(store.path, 'garbage\n{"platform":"telegram"}\n[1,2,3]\n\u0000\u00ff\n{"schema":99}\n');
  store.record('telegram', 2, { pid: 1, text: 'ok too' });
  const other = openStore(home);
  t.after(() => {
    store.close();
    other.close();
  });
  assert.equal(other.has('telegram', 1), true);
  assert.equal(other.has('telegram', 2), true);
  assert.equal(other.corruptLines(), 5, 'a header of another schema after the first counts as corrupt');
  assert.equal(store.reload(), 0);
  assert.equal(store.corruptLines(), 5);
});

test('a line longer than the read chunk is skipped as one corrupt line', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  appendFileSync(store.path, `${'x'.repeat(9 << 20)}\n`);
  store.record('telegram', 4, { pid: 1, text: 'after a huge line' });
  const other = openStore(home);
  t.after(() => other.close());
  assert.equal(other.has('telegram', 4), true);
  assert.equal(other.corruptLines(), 1);
});

test('a store of another schema, or with no header, is refused with a clear error', (t) => {
  const home = tempHome(t);
  mkdirSync(join(home, 'store'));
  const path = join(home, 'store', 'transcript.log');
  writeFileSync(path, '{"schema":2}\n');
  assert.throws(() => openStore(home), /has schema 2; this gateway reads schema 1 only/);
  writeFileSync(path, '{"platform":"telegram","update_id":1,"pid":1,"text":"x","at":1}\n');
  assert.throws(() => openStore(home), /no \{"schema":N\} header/);
});

test('Discord answers (snowflake ids) and session positions: dedupe per adapter; the position is the latest recorded, never raised by an answer', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  assert.equal(store.sessionOf('discord'), null);
  store.recordSession('discord', { session_id: 's1', seq: 1, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  store.record('discord', '1234567890123456789', { pid: 1, text: 'a', dispatch: { session_id: 's1', seq: 4 } });
  store.record('discord', '1234567890123456790', { pid: 1, text: 'b', dispatch: { session_id: 's1', seq: 9 } });
  store.record('discord', '1234567890123456791', { pid: 1, text: 'c', dispatch: { session_id: 'old', seq: 50 } });
  // Answers are recorded out of order when processed side by side: only a position line moves the position.
  assert.deepEqual(store.sessionOf('discord'), { session_id: 's1', seq: 1, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  store.recordSession('discord', { session_id: 's1', seq: 9, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  store.record('telegram', 7, { pid: 1, text: 'tg' });
  store.flush();
  assert.equal(store.has('discord', '1234567890123456789'), true);
  store.record('discord', '42', { pid: 1, text: 'd', dispatch: { session_id: 's1', seq: 2 } });
  assert.equal(store.has('discord', 42), false, 'a number is not the snowflake string');
  assert.equal(store.has('telegram', '7'), false);
  assert.deepEqual(store.sessionOf('discord'), { session_id: 's1', seq: 9, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  assert.equal(store.nextOffset('discord'), null, 'Discord ids are not offsets');
  assert.throws(() => store.record('discord', '1', { pid: 1, text: 'x' }), /needs the dispatch/);

  // Another process reads the same, and a new session line (a fresh IDENTIFY) starts over.
  const other = openStore(home);
  t.after(() => other.close());
  assert.deepEqual(other.sessionOf('discord'), { session_id: 's1', seq: 9, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  assert.equal(other.corruptLines(), 0);
  store.recordSession('discord', { session_id: 's2', seq: 1, resume_gateway_url: 'ws://127.0.0.1:1/discord/resume' });
  store.flush();
  assert.deepEqual(other.sessionOf('discord')?.session_id, 's2');
  assert.equal(other.sessionOf('discord')?.seq, 1);
  // The Telegram line keeps the shape the Python reference gateway shares.
  const tg = readFileSync(store.path, 'utf8').split('\n').find((l) => l.includes('"update_id"'));
  assert.deepEqual(Object.keys(JSON.parse(tg!)), ['platform', 'update_id', 'pid', 'text', 'at']);
});
