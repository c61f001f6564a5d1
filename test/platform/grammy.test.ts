// grammY, unmodified, against the fake Telegram: what a real gateway runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Bot, GrammyError } from 'grammy';
import { startFakePlatform, type FakePlatform } from '../../examples/gateway/platform/server.ts';
import type { TelegramStats } from '../../examples/gateway/platform/schemas.ts';
import { TG_TOKEN, until } from './helpers.ts';

interface After {
  after(fn: () => void): void;
}

interface Running {
  bot: Bot;
  /** The update id of the last update this bot answered. */
  handled: () => number;
  /** bot.start()'s promise: resolves when polling ends (its batch answered), resolves to the error it stopped with. */
  done: Promise<unknown>;
}

/**
 * An echo bot answering with ctx.reply and reply_parameters, polling from `offset` when given (a
 * transformer raises the offset of its getUpdates calls, grammY's own way to change a request).
 * Each bot has its own kept-alive agent, as two processes would: grammY shares one per apiRoot
 * within a process.
 */
async function startBot(t: After, p: FakePlatform, offset?: number): Promise<Running> {
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const bot = new Bot(TG_TOKEN, { client: { apiRoot: p.url, baseFetchConfig: { agent } } });
  if (offset !== undefined) {
    bot.api.config.use((prev, method, payload, signal) => {
      const given = (payload as { offset?: number } | undefined)?.offset ?? 0;
      if (method === 'getUpdates' && given < offset) return prev(method, { ...payload, offset } as typeof payload, signal);
      return prev(method, payload, signal);
    });
  }
  let handled = 0;
  bot.on('message', async (ctx) => {
    await ctx.reply(`echo: ${ctx.msg.text ?? ''}`, { reply_parameters: { message_id: ctx.msg.message_id } });
    handled = ctx.update.update_id;
  });
  let started!: () => void;
  const onStart = new Promise<void>((r) => (started = r));
  const done = bot.start({ timeout: 10, onStart: () => started() }).then(
    () => null,
    (e: unknown) => e,
  );
  await Promise.race([onStart, done.then((e) => Promise.reject(new Error(`bot.start() ended before polling: ${String(e)}`)))]);
  return { bot, handled: () => handled, done };
}

const tg = (p: FakePlatform) => p.stats().platforms.telegram as TelegramStats;

/** Stops production, waits for every answer, then past the grace so any loss would show. */
async function settle(p: FakePlatform, graceMs: number): Promise<TelegramStats> {
  p.setRate(0);
  await until(() => p.stats().pending === 0, 'every update answered', 20_000);
  await delay(graceMs + 50);
  return tg(p);
}

test('grammY runs unmodified: deleteWebhook, getMe, long polls, answers with reply_parameters, stop confirms', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 200 });
  t.after(() => p.close());
  const a = await startBot(t, p);
  p.produce(50);
  await until(() => p.stats().replied === 50, 'fifty answers');
  await a.bot.stop();
  assert.equal(await a.done, null, 'bot.start() ends cleanly after stop()');
  const s = await settle(p, 200);
  assert.deepEqual({ produced: s.produced, replied: s.replied, lost: s.lost, duplicated: s.duplicated, confirmed: s.confirmed }, { produced: 50, replied: 50, lost: 0, duplicated: 0, confirmed: 50 });
  assert.deepEqual(s.matched, { reference: 50, oldest: 0, unmatched: 0 });
  assert.deepEqual([s.takeovers, s.conflicts], [0, 0]);
});

test('grammY stopped under load, a second bot started from its offset: nothing lost, nothing answered twice (5 handovers)', async (t) => {
  const p = await startFakePlatform({ rate: 150, graceMs: 300 });
  t.after(() => p.close());
  let current = await startBot(t, p);
  for (let i = 0; i < 5; i++) {
    const before = p.stats().replied;
    await until(() => p.stats().replied >= before + 20, 'twenty answers before the handover');
    await current.bot.stop();
    await current.done; // its last batch is answered: the offset below is exact
    const offset = current.handled() + 1;
    current = await startBot(t, p, offset);
  }
  await until(() => current.handled() > 0, 'the last bot to answer');
  p.setRate(0);
  await until(() => p.stats().pending === 0, 'every update answered', 20_000);
  await current.bot.stop();
  const s = await settle(p, 300);
  assert.ok(s.produced > 100, `produced ${s.produced}`);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, pending: s.pending, takeovers: s.takeovers, conflicts: s.conflicts }, { lost: 0, duplicated: 0, pending: 0, takeovers: 0, conflicts: 0 });
  assert.equal(s.matched.reference, s.replied);
});

test('make-before-break: the new bot\'s first poll ends the old one\'s with 409, grammY stops, counted as a takeover', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 200, conflictWindowMs: 300 });
  t.after(() => p.close());
  const a = await startBot(t, p);
  p.produce(20);
  await until(() => a.handled() === 20, 'the old bot to answer twenty');
  await until(() => p.stats().in_flight === 1, 'the old bot to hold a poll');
  const b = await startBot(t, p, a.handled() + 1);
  const ended = await a.done;
  assert.ok(ended instanceof GrammyError && ended.error_code === 409, `the old bot stops on 409: ${String(ended)}`);
  p.produce(20);
  await until(() => b.handled() === 40, 'the new bot to answer the next twenty');
  await delay(350); // past the conflict window: the old bot stayed away
  await b.bot.stop();
  const s = await settle(p, 200);
  assert.deepEqual({ replied: s.replied, lost: s.lost, duplicated: s.duplicated, takeovers: s.takeovers, conflicts: s.conflicts }, { replied: 40, lost: 0, duplicated: 0, takeovers: 1, conflicts: 0 });
});

test('grammY honours 429 retry_after and carries on', async (t) => {
  const p = await startFakePlatform({ rate: 0, graceMs: 200 });
  t.after(() => p.close());
  const a = await startBot(t, p);
  p.throttleTelegram(1, 1, 'getUpdates');
  const before = Date.now();
  p.produce(5); // wakes the held poll; the next poll is answered 429
  await until(() => tg(p).throttled === 1, 'the 429');
  p.produce(5);
  await until(() => p.stats().replied === 10, 'all ten answered');
  assert.ok(Date.now() - before >= 1000, 'grammY waited retry_after (1 s) before polling again');
  await a.bot.stop();
  const s = await settle(p, 200);
  assert.deepEqual([s.lost, s.duplicated], [0, 0]);
});
