import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { bot, ids, raw, until } from './helpers.ts';

test('an offset confirms every lower update for good; later polls never see them again', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(5);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [1, 2, 3, 4, 5]);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 3 })), [3, 4, 5]);
  assert.equal(p.stats().confirmed, 2);
  // A lower offset cannot bring confirmed updates back.
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 1 })), [3, 4, 5]);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 6 })), []);
  assert.equal(p.stats().confirmed, 5);
  p.produce(1);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [6]);
});

test('updates are Telegram-shaped messages with ids from 1 up by one', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(3);
  const r = await bot(p.url, 'getUpdates', {});
  const body = r.body as { ok: boolean; result: { update_id: number; message: { message_id: number; date: number; chat: { id: number }; text: string } }[] };
  assert.equal(body.ok, true);
  assert.deepEqual(body.result.map((u) => u.update_id), [1, 2, 3]);
  for (const u of body.result) {
    assert.equal(typeof u.message.message_id, 'number');
    assert.equal(typeof u.message.chat.id, 'number');
    assert.equal(typeof u.message.text, 'string');
    assert.ok(Math.abs(u.message.date - Date.now() / 1000) < 60);
  }
});

test('limit caps a batch (default 100, 1..100) and works from the query string and forms too', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(150);
  assert.equal(ids(await bot(p.url, 'getUpdates', {})).length, 100);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { limit: 3 })), [1, 2, 3]);
  assert.equal(ids(await bot(p.url, 'getUpdates', { limit: 1000 })).length, 100);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { limit: 0 })), [1]);
  assert.deepEqual(ids(await raw(`${p.url}/botX/getUpdates?offset=10&limit=2`)), [10, 11]);
  const form = await raw(`${p.url}/botX/getUpdates`, { body: 'offset=20&limit=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual(ids(form), [20, 21]);
  assert.equal(p.stats().confirmed, 19);
});

test('a long poll is held while nothing is pending and wakes with the next update', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const pending = bot(p.url, 'getUpdates', { timeout: 30 });
  await until(() => p.stats().in_flight === 1, 'the poll to arrive');
  await delay(20);
  assert.equal(p.stats().in_flight, 1, 'still held');
  p.produce(1);
  assert.deepEqual(ids(await pending), [1]);
  assert.equal(p.stats().in_flight, 0);
});

test('a long poll wakes for updates at or past its offset only', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(2);
  const pending = bot(p.url, 'getUpdates', { offset: 3, timeout: 30 });
  await until(() => p.stats().in_flight === 1, 'the poll to arrive');
  p.produce(1);
  assert.deepEqual(ids(await pending), [3]);
});

test('a long poll with nothing to deliver ends with an empty result after its timeout', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { timeout: 0.1 })), []);
  assert.deepEqual(ids(await raw(`${p.url}/botX/getUpdates?timeout=0`)), []);
});

test('the producer makes updates at the set rate with consecutive ids', async (t) => {
  const p = await startFakePlatform({ rate: 500 });
  t.after(() => p.close());
  await until(() => p.stats().produced >= 50, '50 updates at 500/s');
  p.setRate(0);
  const n = p.stats().produced;
  await delay(50);
  assert.equal(p.stats().produced, n, 'rate 0 stops production');
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { limit: 100 })), Array.from({ length: Math.min(n, 100) }, (_, i) => i + 1));
});
