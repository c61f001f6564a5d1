import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { TelegramUpdate } from '../../examples/gateway/platform/telegram-types.ts';
import { TG_TOKEN, bot, ids, raw, until, updates } from './helpers.ts';

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

test('a negative offset keeps only the last updates and forgets the rest', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(5);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: -2 })), [4, 5]);
  assert.equal(p.stats().confirmed, 3);
});

test('updates are complete Telegram objects: Update, Message with from, Chat with type, User', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(16);
  const us = updates(await bot(p.url, 'getUpdates', {}));
  assert.deepEqual(us.map((u) => u.update_id), Array.from({ length: 16 }, (_, i) => i + 1));
  for (const u of us) {
    const parsed = TelegramUpdate.strict().safeParse(u);
    assert.ok(parsed.success, JSON.stringify(u));
    const m = (u as unknown as { message: { date: number; from: { is_bot: boolean; first_name: string }; chat: { type: string; id: number } } }).message;
    assert.ok(Math.abs(m.date - Date.now() / 1000) < 60);
    assert.equal(m.from.is_bot, false);
    assert.ok(m.from.first_name.length > 0);
    // Private chats have the user's id; groups and supergroups negative ids.
    if (m.chat.type === 'private') assert.ok(m.chat.id > 0);
    else assert.ok(m.chat.id < 0 && ['group', 'supergroup'].includes(m.chat.type));
  }
  assert.deepEqual(new Set(us.map((u) => u.message.chat.type)), new Set(['private', 'group', 'supergroup']));
  // message_id counts per chat: the first message of each of the 16 chats is number 1.
  assert.ok(us.every((u) => u.message.message_id === 1));
  p.produce(16);
  assert.ok(updates(await bot(p.url, 'getUpdates', { offset: 17 })).every((u) => u.message.message_id === 2));
});

test('limit caps a batch (default 100, 1..100) and parameters work from the query string and forms too', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(150);
  assert.equal(ids(await bot(p.url, 'getUpdates', {})).length, 100);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { limit: 3 })), [1, 2, 3]);
  assert.equal(ids(await bot(p.url, 'getUpdates', { limit: 1000 })).length, 100);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { limit: 0 })), [1]);
  assert.deepEqual(ids(await raw(`${p.url}/bot${TG_TOKEN}/getUpdates?offset=10&limit=2`)), [10, 11]);
  const form = await raw(`${p.url}/bot${TG_TOKEN}/getUpdates`, { body: 'offset=20&limit=2&allowed_updates=%5B%22message%22%5D', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual(ids(form), [20, 21]);
  assert.equal(p.stats().confirmed, 19);
});

test('allowed_updates is remembered: without "message" no message update is delivered, [] brings the default back', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(2);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { allowed_updates: ['callback_query'] })), []);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [], 'the setting stays until changed');
  const info = (await bot(p.url, 'getWebhookInfo', {})).body as { result: { allowed_updates: string[]; pending_update_count: number } };
  assert.deepEqual(info.result.allowed_updates, ['callback_query']);
  assert.equal(info.result.pending_update_count, 2);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { allowed_updates: [] })), [1, 2]);
  assert.equal((await bot(p.url, 'getUpdates', { allowed_updates: 'not json' })).status, 400);
});

test('a long poll is held while nothing is pending and wakes with the next update at or past its offset', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(2);
  const pending = bot(p.url, 'getUpdates', { offset: 3, timeout: 30 });
  await until(() => p.stats().in_flight === 1, 'the poll to arrive');
  await delay(20);
  assert.equal(p.stats().in_flight, 1, 'still held');
  p.produce(1);
  assert.deepEqual(ids(await pending), [3]);
  assert.equal(p.stats().in_flight, 0);
});

test('a long poll with nothing to deliver ends with an empty result after its timeout', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { timeout: 0.1 })), []);
  assert.deepEqual(ids(await raw(`${p.url}/bot${TG_TOKEN}/getUpdates?timeout=0`)), []);
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
