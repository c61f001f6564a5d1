import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform, type FakePlatform } from '../examples/gateway/platform/server.ts';
import { openStore, type TranscriptStore } from '../examples/gateway/store.ts';
import type { AgentReply, HandoverOrder, IncomingMessage } from '../examples/gateway/agent.ts';
import type { PlatformAdapter } from '../examples/gateway/platform-adapter.ts';
import { createTelegramAdapter } from '../examples/gateway/telegram-adapter.ts';
import type { TelegramStats } from '../examples/gateway/platform/schemas.ts';
import { bot, until } from './platform/helpers.ts';

/** The cursors of the one Telegram adapter at `offset`. */
const tg = (offset: number) => ({ telegram: { kind: 'telegram' as const, offset } });

interface Ctx {
  platform: FakePlatform;
  home: string;
  stores: TranscriptStore[];
  adapters: PlatformAdapter[];
}

async function setup(t: { after: (fn: () => Promise<void> | void) => void }, graceMs = 200): Promise<Ctx> {
  const platform = await startFakePlatform({ rate: 0, graceMs });
  const home = mkdtempSync(join(tmpdir(), 'hermes-adapter-'));
  const ctx: Ctx = { platform, home, stores: [], adapters: [] };
  t.after(async () => {
    for (const a of ctx.adapters) await a.close();
    for (const s of ctx.stores) s.close();
    await platform.close();
    rmSync(home, { recursive: true, force: true });
  });
  return ctx;
}

const echo = async (m: IncomingMessage): Promise<AgentReply> => {
  // A little work, so pauses land mid-batch too, yet well within ~200 updates/s on a busy machine.
  if (Math.random() < 0.2) await delay(1);
  else await new Promise<void>((r) => setImmediate(r));
  return { text: `re: ${m.text}`, error: false };
};

/** An adapter on a store of its own (as another process would have), with its own connections. */
function adapter(ctx: Ctx, agent = echo, logs?: string[], order: HandoverOrder = 'break-before-make'): PlatformAdapter {
  const store = openStore(ctx.home); // one store instance each, as two processes would have
  ctx.stores.push(store);
  const a = createTelegramAdapter({ apiRoot: ctx.platform.url, token: '123:secret', store, pollTimeoutS: 5, agent, order, log: (m) => logs?.push(m) });
  ctx.adapters.push(a);
  return a;
}

const tgStats = (ctx: Ctx) => ctx.platform.stats().platforms.telegram as TelegramStats;

/** Waits for every produced update to be answered, then past the grace so any loss would show. */
async function settle(ctx: Ctx, graceMs: number): Promise<void> {
  await until(() => ctx.platform.stats().pending === 0, 'every update answered', 20_000);
  await delay(graceMs + 50);
}

test('30 handovers between two adapters under ~200 updates/s: nothing lost, nothing answered twice, no conflict', async (t) => {
  const ctx = await setup(t, 200);
  const a = adapter(ctx);
  const b = adapter(ctx);
  ctx.platform.setRate(200);
  let current = a;
  let next = b;
  const firstPoll = await current.start(null);
  assert.ok(Math.abs(firstPoll - Date.now()) < 60_000);
  const darkWindows: number[] = [];
  let drained = 0;
  let lastCursor: number | undefined;
  for (let i = 0; i < 30; i++) {
    await delay(20 + Math.random() * 40);
    const paused = await current.pause(5000);
    drained += paused.drained;
    // Empty until the first update is answered; from then on a number that never goes back.
    const c = paused.cursors.telegram;
    const cursor = c?.kind === 'telegram' ? c.offset : undefined;
    if (lastCursor !== undefined) assert.ok(cursor !== undefined && cursor >= lastCursor, `cursor ${cursor} after ${lastCursor}`);
    if (cursor !== undefined) lastCursor = cursor;
    const pollingAt = await next.start(paused.cursors);
    assert.ok(pollingAt >= paused.paused_at, 'the next poll goes out after the pause');
    darkWindows.push(pollingAt - paused.paused_at);
    [current, next] = [next, current];
  }
  ctx.platform.setRate(0);
  await settle(ctx, 200);
  const s = ctx.platform.stats();
  t.diagnostic(`produced ${s.produced}, drained ${drained}, switch_gap_ms ${s.switch_gap_ms}, max_gap_ms ${s.max_gap_ms}, dark windows (epoch ms) ${darkWindows.sort((x, y) => x - y).join(" ")}`);
  assert.ok(s.produced > 100, `enough traffic to mean something (${s.produced})`);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, conflicts: s.conflicts }, { lost: 0, duplicated: 0, conflicts: 0 });
  assert.equal(s.replied, s.produced);
  assert.equal(s.pollers, 2, 'each adapter is one poller (its X-Poller-Id)');
  assert.equal(s.takeovers, 0, 'break-before-make: no poll was ever ended by another');
  await current.pause(1000);
});

test('after pause no request reaches the platform until start, and the cursor is where to resume', async (t) => {
  const ctx = await setup(t);
  const a = adapter(ctx);
  ctx.platform.produce(5);
  await a.start(null);
  // The next poll is at the platform (so none is on the wire when pause aborts it).
  await until(() => ctx.platform.stats().replied === 5 && ctx.platform.stats().in_flight === 1, 'five answers and the next poll');
  const paused = await a.pause(1000);
  assert.deepEqual(paused.cursors, tg(6));
  assert.deepEqual(a.cursors(), tg(6));
  assert.ok(paused.paused_at <= Date.now());
  await until(() => ctx.platform.stats().in_flight === 0, 'the aborted poll to end');
  const polls = ctx.platform.stats().polls;
  ctx.platform.produce(3);
  await delay(100);
  let s = ctx.platform.stats();
  assert.equal(s.polls, polls, 'no poll after pause');
  assert.equal(s.replied, 5, 'no reply after pause');
  assert.equal(s.in_flight, 0);
  // Resuming from the store's own position (no cursors) answers the rest, once.
  await a.start(null);
  await until(() => ctx.platform.stats().replied === 8, 'the rest answered');
  await a.pause(1000);
  s = ctx.platform.stats();
  assert.equal(s.duplicated, 0);
  assert.equal(s.conflicts, 0);
});

test('start(null) resumes from the store: updates the other process recorded are not answered again', async (t) => {
  const ctx = await setup(t);
  ctx.platform.produce(6);
  const other = openStore(ctx.home);
  ctx.stores.push(other);
  for (const id of [1, 2, 3]) other.record('telegram', id, { pid: 1, text: 'answered elsewhere' });
  other.flush();
  const a = adapter(ctx);
  await a.start(null);
  await until(() => ctx.platform.stats().replied === 3, 'three answers');
  await a.pause(1000);
  assert.deepEqual(a.cursors(), tg(7));
  // Cursors behind the store: the store check skips what was answered.
  const b = adapter(ctx);
  ctx.platform.produce(1);
  await b.start(tg(1));
  await until(() => ctx.platform.stats().replied === 4, 'the new update answered');
  await b.pause(1000);
  const s = ctx.platform.stats();
  assert.equal(s.duplicated, 0);
  assert.deepEqual(b.cursors(), tg(8));
});

test('a pause that cannot finish its batch in time rejects, sends nothing more, and a restart from the store answers the gap once', async (t) => {
  const ctx = await setup(t);
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const slow = async (m: IncomingMessage): Promise<AgentReply> => {
    calls++;
    if (m.id === 2) await gate;
    return { text: `slow ${m.id}`, error: false };
  };
  const a = adapter(ctx, slow);
  ctx.platform.produce(3);
  await a.start(null);
  await until(() => calls >= 3 && ctx.platform.stats().replied === 2, 'the agent stuck on update 2, the others answered (a batch is answered side by side)');
  await assert.rejects(a.pause(50), /did not finish within 50 ms/);
  release();
  await delay(50);
  assert.equal(ctx.platform.stats().replied, 2, 'the abandoned batch sends nothing more');
  await a.start(null);
  await until(() => ctx.platform.stats().replied === 3, 'all answered after restart');
  await a.pause(1000);
  const s = ctx.platform.stats();
  assert.equal(s.duplicated, 0);
  assert.deepEqual(a.cursors(), tg(4));
});

test('a 409 from a competing poll is logged and retried with backoff, never answered twice', async (t) => {
  const ctx = await setup(t);
  const logs: string[] = [];
  const a = adapter(ctx, echo, logs);
  await a.start(null);
  await until(() => ctx.platform.stats().in_flight === 1, 'the adapter to poll');
  const rogue = await bot(ctx.platform.url, 'getUpdates', {}, { pollerId: 'rogue' });
  assert.equal(rogue.status, 200);
  await until(() => logs.some((l) => l.includes('409')), 'the 409 to be logged');
  ctx.platform.produce(20);
  await until(() => ctx.platform.stats().replied === 20, 'twenty answers');
  await a.pause(1000);
  const s = ctx.platform.stats();
  assert.equal(s.conflicts, 1);
  assert.equal(s.duplicated, 0);
  assert.ok(logs.every((l) => !l.includes('secret')), 'the token is never logged');
});

test('network errors are retried with backoff, and pause ends the wait at once', async (t) => {
  const ctx = await setup(t);
  const url = ctx.platform.url;
  await ctx.platform.close(); // nothing listens there now
  const store = openStore(ctx.home);
  ctx.stores.push(store);
  const logs: string[] = [];
  const a = createTelegramAdapter({ apiRoot: url, store, agent: echo, log: (m) => logs.push(m) });
  ctx.adapters.push(a);
  const started = a.start(null);
  await until(() => logs.length >= 3, 'three failed attempts');
  assert.match(logs[0] as string, /getMe failed .*retrying in 50 ms/);
  assert.match(logs[1] as string, /retrying in 100 ms/);
  const before = Date.now();
  const paused = await a.pause(1000);
  assert.ok(Date.now() - before < 500, 'pause ends the wait at once');
  assert.deepEqual(paused.cursors, {});
  assert.equal(paused.drained, 0);
  await assert.rejects(started, /stopped before its first poll went out/);
});

test('sample() counts handled, errors and latency since the last call; replies() lists what blue takes its baseline from', async (t) => {
  const ctx = await setup(t);
  const flaky = async (m: IncomingMessage): Promise<AgentReply> => ({ text: `n${m.id}`, error: Number(m.id) % 2 === 0 });
  const a = adapter(ctx, flaky);
  assert.deepEqual(a.replies(), []);
  assert.deepEqual(a.names(), ['telegram']);
  ctx.platform.produce(10);
  await a.start(null);
  await until(() => JSON.stringify(a.cursors()) === JSON.stringify(tg(11)), 'ten answers recorded');
  const s = a.sample();
  assert.equal(s.handled, 10);
  assert.equal(s.errors, 5);
  assert.ok(s.latency_p50_ms > 0 && s.latency_p99_ms >= s.latency_p50_ms);
  assert.deepEqual(a.sample(), { handled: 0, errors: 0, latency_p50_ms: 0, latency_p99_ms: 0 });
  const r = a.replies();
  assert.equal(r.length, 10);
  assert.equal(r.filter((x) => x.error).length, 5);
  assert.ok(r.every((x) => x.latency_ms > 0 && Math.abs(x.at - Date.now()) < 60_000), 'latency and time of every reply');
  await a.pause(1000);
});

test('make-before-break: the paused poll stays open until the next poller\'s first poll ends it (a takeover), and the paused adapter polls no more', async (t) => {
  const ctx = await setup(t, 200);
  const logs: string[] = [];
  const a = adapter(ctx, echo, logs, 'make-before-break');
  const b = adapter(ctx, echo, [], 'make-before-break');
  ctx.platform.produce(10);
  await a.start(null);
  await until(() => ctx.platform.stats().replied === 10 && ctx.platform.stats().in_flight === 1, 'ten answers and a held poll');
  const paused = await a.pause(1000);
  assert.deepEqual(paused.cursors, tg(11));
  assert.equal(ctx.platform.stats().in_flight, 1, 'the paused poll is still held');
  await b.start(paused.cursors);
  await until(() => logs.some((l) => l.includes('taken over')), 'the paused poll ended by 409');
  ctx.platform.produce(10);
  await until(() => ctx.platform.stats().replied === 20, 'the next ten answered by the new poller');
  const polls = tgStats(ctx).polls;
  await delay(300); // past the conflict window: the paused adapter stayed away
  await b.pause(1000);
  const s = tgStats(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, takeovers: s.takeovers, conflicts: s.conflicts }, { lost: 0, duplicated: 0, takeovers: 1, conflicts: 0 });
  assert.ok(s.polls >= polls, 'only the new poller polled');
});

test('make-before-break: updates a paused poll still receives are ignored, and the next poller answers them once', async (t) => {
  const ctx = await setup(t, 200);
  const a = adapter(ctx, echo, [], 'make-before-break');
  const b = adapter(ctx, echo, [], 'make-before-break');
  await a.start(null);
  ctx.platform.produce(3);
  await until(() => ctx.platform.stats().replied === 3 && ctx.platform.stats().in_flight === 1, 'three answers and a held poll');
  const paused = await a.pause(1000);
  ctx.platform.produce(5); // delivered to the paused poll: not answered, not confirmed
  await until(() => ctx.platform.stats().in_flight === 0, 'the paused poll returned them');
  await delay(100);
  assert.equal(ctx.platform.stats().replied, 3, 'the paused adapter answered nothing');
  assert.equal(ctx.platform.stats().in_flight, 0, 'and sent no other poll');
  await b.start(paused.cursors);
  await until(() => ctx.platform.stats().replied === 8, 'the next poller answers the five');
  await b.pause(1000);
  await settle(ctx, 200);
  const s = tgStats(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, conflicts: s.conflicts, takeovers: s.takeovers }, { lost: 0, duplicated: 0, conflicts: 0, takeovers: 0 });
});

test('make-before-break: a paused adapter started again (a rollback) polls from the cursor it is given, before and after a takeover', async (t) => {
  const ctx = await setup(t, 200);
  const a = adapter(ctx, echo, [], 'make-before-break');
  const b = adapter(ctx, echo, [], 'make-before-break');
  await a.start(null);
  ctx.platform.produce(4);
  await until(() => ctx.platform.stats().replied === 4 && ctx.platform.stats().in_flight === 1, 'four answers and a held poll');
  // Rolled back before anyone took over: the held poll carries on.
  let paused = await a.pause(1000);
  await a.start(paused.cursors);
  ctx.platform.produce(4);
  await until(() => ctx.platform.stats().replied === 8, 'answered again after the rollback');
  await until(() => ctx.platform.stats().in_flight === 1, 'a held poll');
  // Taken over, then handed back: the parked poll goes out from the cursor handed back.
  paused = await a.pause(1000);
  await b.start(paused.cursors);
  ctx.platform.produce(4);
  await until(() => ctx.platform.stats().replied === 12, 'the new poller answers');
  const back = await b.pause(1000);
  await a.start(back.cursors);
  ctx.platform.produce(4);
  await until(() => ctx.platform.stats().replied === 16, 'answered after the take-back');
  await a.pause(1000);
  await settle(ctx, 200);
  const s = tgStats(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated }, { lost: 0, duplicated: 0 });
  assert.deepEqual(a.cursors(), tg(17));
});
