import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { PlatformStats, TelegramStats } from '../../examples/gateway/platform/schemas.ts';
import { TG_TOKEN, answer, bot, ids, raw, updates } from './helpers.ts';

const tg = (s: PlatformStats) => s.platforms.telegram as TelegramStats;

test('sendMessage with reply_parameters answers the message it names, returns a complete Message; a second answer is a duplicate', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(3);
  const [u1, u2] = updates(await bot(p.url, 'getUpdates', {}));
  const r = await answer(p.url, u1!, 'hello');
  assert.equal(r.status, 200);
  const sent = (r.body as { ok: boolean; result: { message_id: number; from: { is_bot: boolean; id: number }; chat: { id: number; type: string }; text: string; reply_to_message: { message_id: number } } }).result;
  assert.equal(sent.text, 'hello');
  assert.deepEqual(sent.chat, u1!.message.chat);
  assert.equal(sent.from.is_bot, true);
  assert.equal(sent.from.id, 123456, "the bot's id is the number before the token's colon");
  assert.equal(sent.message_id, u1!.message.message_id + 1, 'message ids count per chat, the bot included');
  assert.equal(sent.reply_to_message.message_id, u1!.message.message_id);
  assert.equal((await answer(p.url, u1!)).status, 200);
  // The older parameter names the message too.
  assert.equal((await bot(p.url, 'sendMessage', { chat_id: u2!.message.chat.id, text: 'x', reply_to_message_id: u2!.message.message_id })).status, 200);
  const s = p.stats();
  assert.deepEqual([s.produced, s.replied, s.pending, s.duplicated], [3, 2, 1, 1]);
  assert.deepEqual(tg(s).matched, { reference: 3, oldest: 0, unmatched: 0 });
  assert.ok(s.latency_ms.p50 > 0 && s.latency_ms.p99 >= s.latency_ms.p50);
});

test('an answer without a reference counts for the oldest delivered, unanswered message of its chat, or for nothing', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(32); // two messages in each of the 16 chats
  const us = updates(await bot(p.url, 'getUpdates', {}));
  const chat = us[0]!.message.chat.id;
  const mine = us.filter((u) => u.message.chat.id === chat);
  assert.equal(mine.length, 2);
  await answer(p.url, mine[0]!); // by reference
  const plain = await bot(p.url, 'sendMessage', { chat_id: chat, text: 'no reference' });
  assert.equal(plain.status, 200);
  assert.equal((plain.body as { result: { reply_to_message?: unknown } }).result.reply_to_message, undefined);
  // Nothing left to answer in that chat: the next one matches nothing, and is no duplicate.
  await bot(p.url, 'sendMessage', { chat_id: chat, text: 'again' });
  // A reply to the bot's own message answers no user message.
  const own = (plain.body as { result: { message_id: number } }).result.message_id;
  assert.equal((await bot(p.url, 'sendMessage', { chat_id: chat, text: 'x', reply_parameters: { message_id: own } })).status, 200);
  const s = p.stats();
  assert.deepEqual([s.replied, s.duplicated], [2, 0]);
  assert.deepEqual(tg(s).matched, { reference: 1, oldest: 1, unmatched: 2 });
  p.produce(16); // undelivered messages are never matched by an unreferenced answer
  await bot(p.url, 'sendMessage', { chat_id: chat, text: 'too early' });
  assert.equal(tg(p.stats()).matched.unmatched, 3);
});

test('sendMessage errors are Telegram\'s: chat not found, empty or too long text, message to be replied not found', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(1);
  const [u] = updates(await bot(p.url, 'getUpdates', {}));
  const chat = u!.message.chat.id;
  const cases: [object, RegExp][] = [
    [{ chat_id: 42, text: 'x' }, /^Bad Request: chat not found$/],
    [{ chat_id: '@nobody', text: 'x' }, /^Bad Request: chat not found$/],
    [{ chat_id: chat, text: '  ' }, /^Bad Request: message text is empty$/],
    [{ chat_id: chat, text: 'x'.repeat(4097) }, /^Bad Request: message is too long$/],
    [{ chat_id: chat, text: 'x', reply_parameters: { message_id: 99 } }, /^Bad Request: message to be replied not found$/],
    [{ chat_id: chat, text: 'x', reply_to_message_id: 0 }, /^Bad Request: message to be replied not found$/],
    [{ chat_id: chat }, /text/],
  ];
  for (const [params, description] of cases) {
    const r = await bot(p.url, 'sendMessage', params);
    assert.equal(r.status, 400, JSON.stringify(params));
    assert.match((r.body as { description: string }).description, description);
  }
  // update_id is no Telegram parameter: ignored, so the answer names nothing and matches the oldest.
  assert.equal((await bot(p.url, 'sendMessage', { chat_id: chat, text: 'x', update_id: 1 })).status, 200);
  // allow_sending_without_reply sends it anyway, as an answer with no reference.
  assert.equal((await bot(p.url, 'sendMessage', { chat_id: '@hermes_users', text: 'x', reply_parameters: { message_id: 99, allow_sending_without_reply: true } })).status, 200);
  assert.deepEqual(tg(p.stats()).matched, { reference: 0, oldest: 1, unmatched: 1 });
});

test('reply_parameters also arrives JSON-encoded in a form or a query string, as form-posting clients send it', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(2);
  const [u1, u2] = updates(await bot(p.url, 'getUpdates', {}));
  const form = new URLSearchParams({ chat_id: String(u1!.message.chat.id), text: 'form', reply_parameters: JSON.stringify({ message_id: u1!.message.message_id }) }).toString();
  assert.equal((await raw(`${p.url}/bot${TG_TOKEN}/sendMessage`, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 200);
  const q = new URLSearchParams({ chat_id: String(u2!.message.chat.id), text: 'query', reply_to_message_id: String(u2!.message.message_id) });
  assert.equal((await raw(`${p.url}/bot${TG_TOKEN}/sendMessage?${q}`)).status, 200);
  assert.deepEqual(tg(p.stats()).matched, { reference: 2, oldest: 0, unmatched: 0 });
});

test('a confirmed update unanswered after the grace is lost, even when a late answer comes', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 200 });
  t.after(() => p.close());
  p.produce(3);
  const [u1, u2] = updates(await bot(p.url, 'getUpdates', {}));
  await answer(p.url, u1!); // answered before its confirmation: never lost
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 3 })), [3]);
  await delay(300);
  let s = p.stats();
  assert.equal(s.confirmed, 2);
  assert.equal(s.lost, 1, 'update 2 was confirmed and never answered');
  await answer(p.url, u2!);
  s = p.stats();
  assert.equal(s.lost, 1, 'an answer after the grace does not undo the loss');
  assert.equal(s.replied, 2);
  assert.equal(s.pending, 1, 'update 3 is pending but not confirmed, so not lost');
});

test('an unconfirmed update is pending, never lost, however long it waits', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 0 });
  t.after(() => p.close());
  p.produce(2);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [1, 2]);
  await delay(20);
  const s = p.stats();
  assert.equal(s.lost, 0);
  assert.equal(s.pending, 2);
});

test('POST /stats/reset starts a new window; answers to older updates are accepted but not counted', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 0 });
  t.after(() => p.close());
  p.produce(3);
  const [u1, , u3] = updates(await bot(p.url, 'getUpdates', {}));
  await answer(p.url, u1!);
  await answer(p.url, u1!);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 3 })), [3]); // confirms 1 and 2; 2 is lost
  await delay(5);
  assert.equal(p.stats().lost, 1);
  const r = await raw(`${p.url}/stats/reset`, { method: 'POST' });
  assert.equal(r.status, 200);
  let s = p.stats();
  assert.deepEqual([s.produced, s.replied, s.pending, s.lost, s.duplicated, s.confirmed, s.polls, s.conflicts, s.takeovers], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(s.gaps_ms.count, 0);
  assert.equal((await answer(p.url, u1!)).status, 200);
  assert.equal((await answer(p.url, u3!)).status, 200);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 4 })), []);
  p.produce(1);
  const [u4] = updates(await bot(p.url, 'getUpdates', { offset: 4 }));
  await answer(p.url, u4!);
  await delay(5);
  s = p.stats();
  assert.deepEqual([s.produced, s.replied, s.pending, s.lost, s.duplicated, s.confirmed, s.polls], [1, 1, 0, 0, 0, 0, 2]);
  assert.deepEqual(tg(s).matched, { reference: 1, oldest: 0, unmatched: 0 });
});

test('GET /stats is the documented shape, with the per-kind figures under platforms', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const r = await raw(`${p.url}/stats`);
  assert.equal(r.status, 200);
  const s = PlatformStats.strict().parse(r.body);
  assert.deepEqual(Object.keys(r.body as object).sort(), Object.keys(PlatformStats.shape).sort());
  assert.deepEqual(Object.keys(s.platforms), ['telegram']);
  TelegramStats.strict().parse((r.body as { platforms: { telegram: unknown } }).platforms.telegram);
});

test('control endpoints set the rate and produce on demand; a kind not served is refused', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const made = await raw(`${p.url}/control/produce`, { body: '{"count":4}' });
  assert.equal(made.status, 200);
  assert.equal(p.stats().produced, 4);
  assert.equal((await raw(`${p.url}/control/rate`, { body: '{"rate":1000,"kind":"telegram"}' })).status, 200);
  assert.equal(p.stats().rate, 1000);
  const deadline = Date.now() + 10_000;
  while (p.stats().produced < 20 && Date.now() < deadline) await delay(5);
  assert.ok(p.stats().produced >= 20);
  assert.equal((await raw(`${p.url}/control/rate`, { body: '{"rate":0}' })).status, 200);
  const n = p.stats().produced;
  await delay(30);
  assert.equal(p.stats().produced, n);
  for (const [path, body, status] of [
    ['/control/rate', '{"rate":-1}', 400],
    ['/control/rate', '{"rate":"fast"}', 400],
    ['/control/produce', '{"count":1.5}', 400],
    ['/control/produce', '{}', 400],
    ['/control/produce', '{"count":1,"kind":"irc"}', 400],
    ['/control/produce', '{"count":1,"kind":"discord"}', 404],
    ['/control/discord/drop', '{}', 404],
    ['/control/nothing', '{}', 404],
  ] as const) {
    const r = await raw(`${p.url}${path}`, { body });
    assert.equal(r.status, status, `${path} ${body}: ${JSON.stringify(r.body)}`);
  }
});

test('a throttle answers the next calls 429 with Telegram\'s words and parameters.retry_after', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  assert.equal((await raw(`${p.url}/control/telegram/throttle`, { body: '{"count":2,"retry_after":3,"method":"sendMessage"}' })).status, 200);
  p.produce(1);
  const [u] = updates(await bot(p.url, 'getUpdates', {})); // other methods are not throttled
  for (let i = 0; i < 2; i++) {
    const r = await answer(p.url, u!);
    assert.equal(r.status, 429);
    assert.deepEqual(r.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
  }
  assert.equal((await answer(p.url, u!)).status, 200);
  const s = p.stats();
  assert.equal(tg(s).throttled, 2);
  assert.equal(s.replied, 1);
  assert.equal((await raw(`${p.url}/control/telegram/throttle`, { body: '{"count":0,"retry_after":3}' })).status, 400);
});
