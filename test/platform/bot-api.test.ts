import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { TG_TOKEN, bot, ids, raw, updates } from './helpers.ts';

test('the token is checked for shape: anything but <digits>:<letters> gets 401 "Unauthorized: invalid token specified"', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  for (const token of ['X', 'hermes-demo', ':abc', '123:', '123:a b', '12a:abc', '']) {
    const r = await raw(`${p.url}/bot${encodeURIComponent(token)}/getMe`);
    assert.equal(r.status, 401, token);
    assert.deepEqual(r.body, { ok: false, error_code: 401, description: 'Unauthorized: invalid token specified' });
  }
  // A URL-encoded colon (as some clients send the token) is the same token.
  assert.equal((await raw(`${p.url}/bot${encodeURIComponent(TG_TOKEN)}/getMe`)).status, 200);
});

test('getMe answers the bot whose id is the number before the colon', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const r = await raw(`${p.url}/bot987654321:abcDEF_ghi-jkl/getMe`);
  assert.equal(r.status, 200);
  const me = (r.body as { ok: boolean; result: { id: number; is_bot: boolean; username: string; first_name: string } }).result;
  assert.equal(me.id, 987654321);
  assert.equal(me.is_bot, true);
  assert.ok(me.username.endsWith('bot'));
});

test('deleteWebhook succeeds (with drop_pending_updates confirming everything), getWebhookInfo reports no webhook', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 0 });
  t.after(() => p.close());
  p.produce(3);
  let info = (await bot(p.url, 'getWebhookInfo', {})).body as { ok: boolean; result: { url: string; has_custom_certificate: boolean; pending_update_count: number } };
  assert.deepEqual(info, { ok: true, result: { url: '', has_custom_certificate: false, pending_update_count: 3 } });
  const del = await bot(p.url, 'deleteWebhook', {});
  assert.deepEqual(del.body, { ok: true, result: true, description: 'Webhook is already deleted' });
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [1, 2, 3], 'without drop_pending_updates nothing is dropped');
  assert.equal((await bot(p.url, 'deleteWebhook', { drop_pending_updates: true })).status, 200);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), []);
  info = (await bot(p.url, 'getWebhookInfo', {})).body as typeof info;
  assert.equal(info.result.pending_update_count, 0);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(p.stats().lost, 3, 'dropped updates nobody answered are lost');
});

test('sendChatAction takes Telegram\'s actions in a known chat', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(1);
  const [u] = updates(await bot(p.url, 'getUpdates', {}));
  assert.deepEqual((await bot(p.url, 'sendChatAction', { chat_id: u!.message.chat.id, action: 'typing' })).body, { ok: true, result: true });
  const bad = await bot(p.url, 'sendChatAction', { chat_id: u!.message.chat.id, action: 'dancing' });
  assert.equal(bad.status, 400);
  assert.equal((await bot(p.url, 'sendChatAction', { chat_id: 1, action: 'typing' })).status, 400);
  assert.equal(p.stats().replied, 0, 'a chat action answers nothing');
});

test('method names are case-insensitive, GET works with a query string, unknown methods get 404', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(1);
  assert.deepEqual(ids(await raw(`${p.url}/bot${TG_TOKEN}/GETUPDATES?timeout=0`)), [1]);
  for (const method of ['setWebhook', 'sendPhoto', 'editMessageText', '']) {
    const r = await bot(p.url, method, {});
    assert.equal(r.status, 404, method);
    assert.match((r.body as { description: string }).description, /^Not Found/);
  }
});
