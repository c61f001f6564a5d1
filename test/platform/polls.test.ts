import { test } from 'node:test';
import { Agent } from 'node:http';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { bot, ids, raw, settle, until } from './helpers.ts';

const CONFLICT = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

test('a second poll ends the older one with 409 in Telegram\'s words; an older poller that stays away is a planned takeover', async (t) => {
  const p = await startFakePlatform({ rate: 0, conflictWindowMs: 300 });
  t.after(() => p.close());
  const older = bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: 'blue' });
  await until(() => p.stats().in_flight === 1, 'the first poll');
  const newer = bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: 'green' });
  const r = await older;
  assert.equal(r.status, 409);
  assert.deepEqual(r.body, { ok: false, error_code: 409, description: CONFLICT });
  let s = p.stats();
  assert.deepEqual([s.takeovers, s.conflicts, s.in_flight, s.pollers], [1, 0, 1, 2]);
  p.produce(1);
  assert.deepEqual(ids(await newer), [1]);
  // Green polls on; blue stays away past the window: the takeover stands.
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 2 }, { pollerId: 'green' })), []);
  await delay(350);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 2 }, { pollerId: 'green' })), []);
  s = p.stats();
  assert.deepEqual([s.takeovers, s.conflicts], [1, 0]);
});

test('a poller ended by 409 that polls again within the window makes it a conflict', async (t) => {
  const p = await startFakePlatform({ rate: 0, conflictWindowMs: 2000 });
  t.after(() => p.close());
  const blue = bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: 'blue' });
  await until(() => p.stats().in_flight === 1, 'blue polls');
  const green = bot(p.url, 'getUpdates', { timeout: 0.2 }, { pollerId: 'green' });
  assert.equal((await blue).status, 409);
  assert.equal(p.stats().takeovers, 1);
  await green;
  // Blue comes back while green is between polls: no 409 this time, but blue kept polling.
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'blue' })), []);
  const s = p.stats();
  assert.deepEqual([s.takeovers, s.conflicts], [0, 1]);
});

test('two pollers that keep ending each other are conflicts, every 409 counted once', async (t) => {
  const p = await startFakePlatform({ rate: 0, conflictWindowMs: 1000 });
  t.after(() => p.close());
  // Anonymous pollers on kept-alive connections: told apart by their connection.
  const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
  t.after(() => agents.forEach((a) => a.destroy()));
  let stop = false;
  const loop = async (agent: Agent) => {
    let got409 = 0;
    while (!stop) {
      const r = await bot(p.url, 'getUpdates', { timeout: 0.5 }, { agent });
      if (r.status === 409) got409++;
    }
    return got409;
  };
  const a = loop(agents[0]!);
  await until(() => p.stats().in_flight === 1, 'the first poller');
  const b = loop(agents[1]!);
  await until(() => p.stats().conflicts >= 6, 'a fight', 10_000);
  stop = true;
  const total = (await a) + (await b);
  const s = p.stats();
  assert.equal(s.takeovers + s.conflicts, total, 'every 409 is counted once');
  assert.ok(s.takeovers <= 1, `at most the first 409 can still look like a takeover: ${JSON.stringify(s)}`);
  assert.equal(s.pollers, 2, 'two connections, two pollers');
});

test('an older poll answered immediately is not in flight, so a newer one ends nothing', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  p.produce(1);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'a' })), [1]);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { offset: 2 }, { pollerId: 'b' })), []);
  const s = p.stats();
  assert.deepEqual([s.takeovers, s.conflicts], [0, 0]);
});

test('a poll whose client hung up is no takeover for the next poll, even sent at once (200 times)', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  // Two pollers on kept-alive sockets: the next poll's bytes reach the server right behind the hang-up.
  const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })] as const;
  t.after(async () => {
    for (const a of agents) a.destroy();
    await p.close();
  });
  const warm = (i: number) => raw(`${p.url}/stats`, { agent: agents[i % 2] });
  await warm(0);
  await warm(1);
  let ctl = new AbortController();
  let current = settle(bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: 'p0', signal: ctl.signal, agent: agents[0] }));
  for (let i = 1; i <= 200; i++) {
    await until(() => p.stats().polls === i, `poll ${i} to arrive`);
    ctl.abort();
    ctl = new AbortController();
    const next = settle(bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: `p${i % 2}`, signal: ctl.signal, agent: agents[i % 2] }));
    const ended = await current;
    assert.ok(ended instanceof Error, `poll ${i} should have been aborted by its client, got ${JSON.stringify(ended)}`);
    await warm(i - 1); // a fresh kept-alive socket for the poller that just hung up
    current = next;
  }
  await until(() => p.stats().polls === 201, 'the last poll');
  ctl.abort();
  await current;
  await until(() => p.stats().in_flight === 0, 'the last hang-up');
  const s = p.stats();
  assert.deepEqual([s.takeovers, s.conflicts, s.polls], [0, 0, 201]);
});

test('without X-Poller-Id pollers are told apart by connection: a kept-alive client is one poller', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await p.close();
  });
  for (let i = 0; i < 5; i++) await bot(p.url, 'getUpdates', {}, { agent });
  assert.equal(p.stats().pollers, 1);
  await bot(p.url, 'getUpdates', {}); // a fresh connection
  const s = p.stats();
  assert.equal(s.pollers, 2);
  assert.ok(s.switch_gap_ms > 0, 'the change of connection is a change of poller');
});

test('max_gap_ms and switch_gap_ms measure a deliberate pause between pollers', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  // Same poller pausing: a gap, but no switch.
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'blue' })), []);
  await delay(120);
  const before = performance.now(); // the next gap starts after this, when blue's second poll is answered
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'blue' })), []);
  let s = p.stats();
  assert.ok(s.max_gap_ms >= 120, `max_gap_ms ${s.max_gap_ms} should cover the 120 ms pause`);
  assert.equal(s.switch_gap_ms, 0);
  assert.equal(s.gaps_ms.count, 1);
  // Another poller after a pause: the handover's dark window.
  await delay(200);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'green' })), []);
  const within = performance.now() - before;
  s = p.stats();
  assert.ok(s.switch_gap_ms >= 200 && s.switch_gap_ms <= within, `switch_gap_ms ${s.switch_gap_ms} should be in [200, ${within}]`);
  assert.equal(s.max_gap_ms, s.switch_gap_ms);
  assert.equal(s.gaps_ms.count, 2);
  assert.equal(s.pollers, 2);
  assert.ok(s.gaps_ms.p99 >= s.gaps_ms.p50);
});

test('a long poll in flight is no gap; an aborted one ends its interval at the hang-up', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', { timeout: 0.15 }, { pollerId: 'a' })), []);
  const ctl = new AbortController();
  const held = settle(bot(p.url, 'getUpdates', { timeout: 30 }, { pollerId: 'a', signal: ctl.signal }));
  await until(() => p.stats().in_flight === 1, 'the held poll');
  await delay(150);
  const hungUpAt = performance.now();
  ctl.abort();
  await held;
  await until(() => p.stats().in_flight === 0, 'the hang-up');
  await delay(100);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'b' })), []);
  const s = p.stats();
  // The gap is the 100 ms after the hang-up, not the 150 ms the poll was held.
  assert.ok(s.switch_gap_ms >= 100 && s.switch_gap_ms <= performance.now() - hungUpAt, `switch_gap_ms ${s.switch_gap_ms}`);
  assert.deepEqual([s.takeovers, s.conflicts], [0, 0]);
});

test('a gap that started before the window counts from the window start', async (t) => {
  const p = await startFakePlatform({ rate: 0 });
  t.after(() => p.close());
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'a' })), []);
  await delay(300);
  const resetAt = performance.now();
  p.resetStats();
  await delay(30);
  assert.deepEqual(ids(await bot(p.url, 'getUpdates', {}, { pollerId: 'b' })), []);
  const since = performance.now() - resetAt;
  const s = p.stats();
  assert.ok(s.max_gap_ms >= 30 && s.max_gap_ms <= since, `max_gap_ms ${s.max_gap_ms} should be in [30, ${since}]`);
  assert.equal(s.polls, 1);
  assert.equal(s.pollers, 1);
});
