import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { PlatformStats } from '../../examples/gateway/platform/schemas.ts';
import { bot, ids, raw } from './helpers.ts';

const reply = (base: string, update_id: unknown, text = 'hi') => bot(base, 'sendMessage', { chat_id: 1001, text, update_id });

test('sendMessage records a reply; every extra reply to the same update is a duplicate', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(3);
  const r = await reply(p.url, 1);
  assert.equal(r.status, 200);
  const body = r.body as { ok: boolean; result: { message_id: number; chat: { id: number }; text: string } };
  assert.equal(body.ok, true);
  assert.equal(body.result.text, 'hi');
  assert.equal(body.result.chat.id, 1001);
  assert.equal((await reply(p.url, 1)).status, 200);
  assert.equal((await reply(p.url, 1)).status, 200);
  assert.equal((await reply(p.url, 2)).status, 200);
  const s = p.stats();
  assert.equal(s.produced, 3);
  assert.equal(s.replied, 2);
  assert.equal(s.pending, 1);
  assert.equal(s.duplicated, 2);
  assert.ok(s.latency_ms.p50 > 0 && s.latency_ms.p99 >= s.latency_ms.p50);
});

test('sendMessage refuses an update that was never produced, and one without update_id', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(1);
  for (const id of [0, 2, -1, 99]) {
    const r = await reply(p.url, id);
    assert.equal(r.status, 400);
    assert.match((r.body as { description: string }).description, new RegExp(`update_id ${id} was never produced`));
  }
  const missing = await bot(p.url, 'sendMessage', { chat_id: 1, text: 'x' });
  assert.equal(missing.status, 400);
  assert.match((missing.body as { description: string }).description, /update_id/);
  const wrongType = await reply(p.url, 'one');
  assert.equal(wrongType.status, 400);
  assert.equal(p.stats().replied, 0);
});

test('a confirmed update unanswered after the grace is lost, even when a late reply comes', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 200 });
  t.after(() => p.close());
  p.produce(3);
  await reply(p.url, 1); // answered before its confirmation: never lost
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 3 })), [3]);
  await delay(300);
  let s = p.stats();
  assert.equal(s.confirmed, 2);
  assert.equal(s.lost, 1, 'update 2 was confirmed and never answered');
  await reply(p.url, 2);
  s = p.stats();
  assert.equal(s.lost, 1, 'a reply after the grace does not undo the loss');
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

test('POST /stats/reset starts a new window; replies to older updates are accepted but not counted', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 0 });
  t.after(() => p.close());
  p.produce(3);
  await reply(p.url, 1);
  await reply(p.url, 1);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 3 })), [3]); // confirms 1 and 2; 2 is lost
  await delay(5);
  assert.equal(p.stats().lost, 1);
  const r = await raw(`${p.url}/stats/reset`, { method: 'POST' });
  assert.equal(r.status, 200);
  let s = p.stats();
  assert.deepEqual([s.produced, s.replied, s.pending, s.lost, s.duplicated, s.confirmed, s.polls, s.conflicts], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(s.gaps_ms.count, 0);
  assert.equal((await reply(p.url, 1)).status, 200);
  assert.equal((await reply(p.url, 3)).status, 200);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 4 })), []);
  p.produce(1);
  await reply(p.url, 4);
  await delay(5);
  s = p.stats();
  assert.deepEqual([s.produced, s.replied, s.pending, s.lost, s.duplicated, s.confirmed, s.polls], [1, 1, 0, 0, 0, 0, 1]);
});

test('GET /stats is the documented shape', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const r = await raw(`${p.url}/stats`);
  assert.equal(r.status, 200);
  const s = PlatformStats.parse(r.body);
  assert.equal(s.produced, 0);
  assert.deepEqual(Object.keys(r.body as object).sort(), Object.keys(PlatformStats.shape).sort());
});

test('control endpoints set the rate and produce on demand', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const made = await raw(`${p.url}/control/produce`, { body: '{"count":4}' });
  assert.equal(made.status, 200);
  assert.equal(p.stats().produced, 4);
  assert.equal((await raw(`${p.url}/control/rate`, { body: '{"rate":1000}' })).status, 200);
  assert.equal(p.stats().rate, 1000);
  const deadline = Date.now() + 10_000;
  while (p.stats().produced < 20 && Date.now() < deadline) await delay(5);
  assert.ok(p.stats().produced >= 20);
  assert.equal((await raw(`${p.url}/control/rate`, { body: '{"rate":0}' })).status, 200);
  const n = p.stats().produced;
  await delay(30);
  assert.equal(p.stats().produced, n);
  for (const [path, body] of [
    ['/control/rate', '{"rate":-1}'],
    ['/control/rate', '{"rate":"fast"}'],
    ['/control/produce', '{"count":1.5}'],
    ['/control/produce', '{}'],
  ] as const) {
    const r = await raw(`${p.url}${path}`, { body });
    assert.equal(r.status, 400, `${path} ${body}`);
  }
});

test('bad input gets a 400/404/413 and never stops the server', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  const cases: [string, { method?: string; body?: string; headers?: Record<string, string> }, number, RegExp][] = [
    ['/botX/getUpdates', { body: '{not json' }, 400, /not valid JSON/],
    ['/botX/getUpdates', { body: '[1,2]' }, 400, /JSON object/],
    ['/botX/getUpdates', { body: 'null' }, 400, /JSON object/],
    ['/botX/getUpdates', { body: '{"offset":"abc"}' }, 400, /offset/],
    ['/botX/getUpdates', { body: '{"timeout":-5}' }, 400, /timeout/],
    ['/botX/getUpdates?limit=1e9', {}, 400, /limit/],
    ['/botX/sendMessage', { body: '\u0000\u00ff garbage' }, 400, /not valid JSON/],
    ['/botX/sendMessage', { body: '{"chat_id":1,"text":"","update_id":1}' }, 400, /text/],
    ['/botX/getUpdates', { body: 'x', headers: { 'content-type': 'text/plain' } }, 400, /content type/],
    ['/botX/deleteWebhook', {}, 404, /deleteWebhook/],
    ['/bot/getUpdates', {}, 404, /Not Found/],
    ['/nothing', {}, 404, /Not Found/],
    ['/stats', { method: 'DELETE' }, 404, /Not Found/],
    ['/stats/reset', { method: 'GET' }, 404, /Not Found/],
    ['/botX/getUpdates', { body: JSON.stringify({ pad: 'x'.repeat(2 << 20) }) }, 413, /Too Large/],
  ];
  for (const [path, opts, status, description] of cases) {
    const r = await raw(`${p.url}${path}`, opts);
    assert.equal(r.status, status, `${path} ${opts.body?.slice(0, 40) ?? ''}: ${JSON.stringify(r.body)}`);
    const body = r.body as { ok: boolean; error_code: number; description: string };
    assert.equal(body.ok, false);
    assert.equal(body.error_code, status);
    assert.match(body.description, description);
  }
  const s = p.stats();
  assert.equal(s.in_flight, 0, 'refused polls are not left in flight');
  assert.equal(s.conflicts, 0);
  p.produce(1);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {})), [1]);
});
