// telegraf, unmodified, against the fake Telegram; and an offset handed from telegraf to grammY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Bot } from 'grammy';
import { Telegraf } from 'telegraf';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import type { TelegramStats } from '../../examples/gateway/platform/schemas.ts';
import { TG_TOKEN, until } from './helpers.ts';

test('telegraf runs unmodified: launch, answers with reply_parameters, stop; grammY carries on from its offset', async (t) => {
  const p = await startFakePlatform({ rate: 100, graceMs: 300 });
  t.after(() => p.close());
  const tf = new Telegraf(TG_TOKEN, { telegram: { apiRoot: p.url } });
  let handled = 0;
  tf.on('message', async (ctx) => {
    await ctx.reply(`echo: ${'text' in ctx.message ? ctx.message.text : ''}`, { reply_parameters: { message_id: ctx.message.message_id } });
    handled = Math.max(handled, ctx.update.update_id);
  });
  const tfDone = tf.launch().then(
    () => null,
    (e: unknown) => e,
  );
  await until(() => p.stats().replied >= 50, 'telegraf to answer fifty');
  tf.stop('handover');
  assert.equal(await tfDone, null, 'launch() resolves once polling has stopped and the offset is synced');
  const offset = handled + 1;

  const gy = new Bot(TG_TOKEN, { client: { apiRoot: p.url } });
  gy.api.config.use((prev, method, payload, signal) => {
    const given = (payload as { offset?: number } | undefined)?.offset ?? 0;
    if (method === 'getUpdates' && given < offset) return prev(method, { ...payload, offset } as typeof payload, signal);
    return prev(method, payload, signal);
  });
  gy.on('message', (ctx) => ctx.reply('grammY here', { reply_parameters: { message_id: ctx.msg.message_id } }));
  const gyDone = gy.start({ timeout: 10 }).then(
    () => null,
    (e: unknown) => e,
  );
  const before = p.stats().replied;
  await until(() => p.stats().replied >= before + 50, 'grammY to answer fifty more');
  p.setRate(0);
  await until(() => p.stats().pending === 0, 'every update answered', 20_000);
  await gy.stop();
  assert.equal(await gyDone, null);
  await delay(350);
  const s = p.stats().platforms.telegram as TelegramStats;
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, pending: s.pending, takeovers: s.takeovers, conflicts: s.conflicts }, { lost: 0, duplicated: 0, pending: 0, takeovers: 0, conflicts: 0 });
  assert.equal(s.matched.reference, s.replied);
  assert.equal(s.confirmed, s.produced);
});
