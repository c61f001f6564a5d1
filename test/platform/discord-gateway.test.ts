// The fake Discord Gateway and REST at the wire: raw websocket frames and HTTP, no client library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { startFakePlatform, type FakePlatform, type FakePlatformOptions } from '../../examples/gateway/platform/server.ts';
import { DiscordStats, PlatformStats } from '../../examples/gateway/platform/schemas.ts';
import { DC_TOKEN, GatewayClient, discordAnswer, raw, until } from './helpers.ts';

async function start(t: { after: (fn: () => Promise<void>) => void }, o: Partial<FakePlatformOptions> = {}): Promise<FakePlatform> {
  const p = await startFakePlatform({ kinds: ['discord'], rate: 0, graceMs: 200, ...o });
  t.after(() => p.close());
  return p;
}

const dc = (p: FakePlatform) => p.stats().platforms.discord as DiscordStats;

async function connect(p: FakePlatform, url = p.gatewayUrl): Promise<GatewayClient> {
  return GatewayClient.open(url);
}

test('HELLO, IDENTIFY -> READY with session_id and resume_gateway_url, heartbeats ACKed; GET /gateway(/bot) name the URL', async (t) => {
  const p = await start(t, { discord: { heartbeatMs: 5000 } });
  const c = await connect(p);
  const hello = await c.next();
  assert.deepEqual(hello, { op: 10, d: { heartbeat_interval: 5000 }, s: null, t: null });
  c.send({ op: 1, d: null });
  assert.equal((await c.next()).op, 11);
  c.send({ op: 2, d: { token: DC_TOKEN, intents: 1 << 9, properties: { os: 'linux', browser: 'x', device: 'x' } } });
  const ready = await c.dispatch('READY');
  const d = ready.d as { v: number; session_id: string; resume_gateway_url: string; user: { id: string; bot: boolean }; guilds: unknown[]; shard: number[] };
  assert.equal(ready.s, 1);
  assert.equal(d.v, 10);
  assert.match(d.session_id, /^[0-9a-f]{32}$/);
  assert.equal(d.resume_gateway_url, p.gatewayUrl.replace('/gateway', '/resume'));
  assert.deepEqual([d.user.id, d.user.bot], ['123456789012345678', true], "the bot's id comes from its token");
  assert.deepEqual(d.shard, [0, 1]);
  c.send({ op: 1, d: 1 });
  assert.equal((await c.next()).op, 11);
  const gw = await raw(`${p.url}/api/v10/gateway`);
  assert.deepEqual(gw.body, { url: p.gatewayUrl });
  assert.equal((await raw(`${p.url}/api/v10/gateway/bot`)).status, 401, '/gateway/bot needs a bot token');
  const bot = await raw(`${p.url}/api/v10/gateway/bot`, { headers: { authorization: `Bot ${DC_TOKEN}` } });
  assert.deepEqual(bot.body, { url: p.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } });
  const s = dc(p);
  assert.deepEqual([s.connections, s.identifies, s.in_flight, s.sessions.live], [1, 1, 1, 1]);
  await c.close(1000);
});

test('MESSAGE_CREATE under load: each with the next s, complete messages; content needs MESSAGE_CONTENT', async (t) => {
  const p = await start(t, { rate: 300 });
  const full = await connect(p);
  await full.identify();
  const bare = await connect(p);
  await bare.identify(1 << 9);
  await until(() => full.messages().length >= 60 && bare.messages().length >= 60, 'sixty dispatches each');
  p.setRate(0);
  for (const c of [full, bare]) {
    const seqs = c.messages().map((m) => m.s);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 2), 'READY is 1, then one more per dispatch');
  }
  assert.ok(full.messages().every((m) => /^message \d+$/.test(m.content)));
  assert.ok(bare.messages().every((m) => m.content === ''), 'no MESSAGE_CONTENT intent: empty content');
  const f = full.frames.find((x) => x.t === 'MESSAGE_CREATE')!.d as Record<string, unknown>;
  for (const key of ['id', 'channel_id', 'guild_id', 'author', 'member', 'content', 'timestamp', 'edited_timestamp', 'tts', 'mention_everyone', 'mentions', 'mention_roles', 'attachments', 'embeds', 'pinned', 'type']) {
    assert.ok(key in f, `MESSAGE_CREATE has ${key}`);
  }
  assert.equal((f.author as { bot?: boolean }).bot, undefined);
  await full.close(1000);
  await bare.close(1000);
});

test('a session without GUILD_MESSAGES gets no MESSAGE_CREATE; messages nobody can receive are lost after the grace', async (t) => {
  const p = await start(t, { graceMs: 100 });
  const c = await connect(p);
  await c.identify(1); // GUILDS only
  p.produce(3);
  c.send({ op: 1, d: 1 });
  await c.next((f) => f.op === 11);
  assert.equal(c.messages().length, 0);
  await delay(150);
  assert.equal(p.stats().lost, 3);
  await c.close(1000);
});

test('REST answers with message_reference; the bot\'s own message is dispatched back; errors are Discord\'s', async (t) => {
  const p = await start(t);
  const c = await connect(p);
  await c.identify();
  p.produce(2);
  await until(() => c.messages().length === 2, 'two dispatches');
  const [m1, m2] = c.messages();
  const r = await discordAnswer(p.url, m1!, 'hello');
  assert.equal(r.status, 200);
  const sent = r.body as { id: string; channel_id: string; content: string; type: number; author: { bot: boolean; id: string }; message_reference: { message_id: string }; referenced_message: { id: string } };
  assert.deepEqual([sent.channel_id, sent.content, sent.type, sent.author.bot, sent.author.id], [m1!.channel_id, 'hello', 19, true, '123456789012345678']);
  assert.equal(sent.message_reference.message_id, m1!.id);
  assert.equal(sent.referenced_message.id, m1!.id);
  await until(() => c.messages().some((m) => m.id === sent.id), 'the bot\'s own MESSAGE_CREATE');
  assert.ok(c.messages().find((m) => m.id === sent.id)!.bot);
  assert.equal((await discordAnswer(p.url, m1!)).status, 200); // a duplicate
  const post = (channel: string, body: unknown, auth = `Bot ${DC_TOKEN}`) =>
    raw(`${p.url}/api/v10/channels/${channel}/messages`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { authorization: auth } });
  const errors: [Promise<{ status: number; body: unknown }>, number, number][] = [
    [post(m1!.channel_id, { content: 'x', message_reference: { message_id: '1' } }), 400, 50035],
    [post('1', { content: 'x' }), 404, 10003],
    [post(m1!.channel_id, { content: ' ' }), 400, 50006],
    [post(m1!.channel_id, { content: 'x'.repeat(2001) }), 400, 50035],
    [post(m1!.channel_id, '{not json'), 400, 50109],
    [post(m1!.channel_id, { content: 'x' }, 'Bearer nope'), 401, 0],
  ];
  for (const [pr, status, code] of errors) {
    const e = await pr;
    assert.equal(e.status, status, JSON.stringify(e.body));
    assert.equal((e.body as { code: number }).code, code);
  }
  // fail_if_not_exists: false sends it without a reference: it answers the oldest unanswered message of the channel.
  assert.equal((await post(m2!.channel_id, { content: 'x', message_reference: { message_id: '1', fail_if_not_exists: false } })).status, 200);
  // An answer to the bot's own message answers no member's message.
  assert.equal((await post(sent.channel_id, { content: 'x', message_reference: { message_id: sent.id } })).status, 200);
  assert.equal((await raw(`${p.url}/api/v10/channels/${m1!.channel_id}/messages`)).status, 405);
  assert.equal((await raw(`${p.url}/api/v9/gateway`)).status, 404);
  const s = dc(p);
  assert.deepEqual([s.produced, s.replied, s.duplicated, s.pending], [2, 2, 1, 0]);
  assert.deepEqual(s.matched, { reference: 2, oldest: 1, unmatched: 1 });
  await c.close(1000);
});

test('closed with another code than 1000/1001, the session resumes: every dispatch after seq is replayed, then RESUMED', async (t) => {
  const p = await start(t, { graceMs: 200 });
  const a = await connect(p);
  const { session_id, resume_gateway_url } = await a.identify();
  p.produce(5);
  await until(() => a.messages().length === 5, 'five dispatches');
  for (const m of a.messages().slice(0, 3)) await discordAnswer(p.url, m); // the last two are received, not processed
  await until(() => a.messages().length === 8, 'the bot\'s three messages');
  const processed = a.messages()[2]!.s;
  await a.close(4000);
  p.produce(3); // while nobody listens
  await delay(50);
  const b = await GatewayClient.open(resume_gateway_url);
  await b.resume(session_id, processed);
  const resumed = await b.dispatch('RESUMED');
  const replayed = b.messages();
  assert.deepEqual(replayed.map((m) => m.s), Array.from({ length: replayed.length }, (_, i) => processed + 1 + i), 'everything after seq, in order');
  assert.equal(resumed.s, (replayed.at(-1)?.s ?? processed) + 1);
  for (const m of replayed.filter((x) => !x.bot && !a.messages().slice(0, 3).some((y) => y.id === x.id))) await discordAnswer(p.url, m);
  await delay(250);
  const s = dc(p);
  assert.deepEqual([s.produced, s.replied, s.lost, s.duplicated, s.resumes, s.identifies, s.takeovers, s.conflicts], [8, 8, 0, 0, 1, 1, 0, 0]);
  assert.ok(s.switch_gap_ms >= 50 && s.switch_gap_ms === s.max_gap_ms, `the gap ended by RESUMED: ${s.switch_gap_ms} ms`);
  assert.ok(s.replayed >= 5);
  await b.close(1000);
});

test('closed with 1000 the session is invalidated: RESUME gets INVALID_SESSION (d: false); what it still owed is lost', async (t) => {
  const p = await start(t, { graceMs: 100 });
  const a = await connect(p);
  const { session_id } = await a.identify();
  p.produce(2);
  await until(() => a.messages().length === 2, 'two dispatches');
  await discordAnswer(p.url, a.messages()[0]!);
  await a.close(1000);
  p.produce(1); // no session at all
  const b = await connect(p);
  await b.resume(session_id, 1);
  assert.deepEqual(await b.next((f) => f.op === 9), { op: 9, d: false, s: null, t: null });
  await delay(150);
  const s = dc(p);
  assert.deepEqual([s.produced, s.replied, s.lost, s.invalid_sessions], [3, 1, 2, 1]);
  // The client may IDENTIFY on the same connection after INVALID_SESSION.
  b.send({ op: 2, d: { token: DC_TOKEN, intents: 1 << 9, properties: { os: 'l', browser: 'b', device: 'd' } } });
  await b.dispatch('READY');
  await b.close(1000);
});

test('a resumable session expires after the resume window', async (t) => {
  const p = await start(t, { discord: { resumeWindowMs: 150 } });
  const a = await connect(p);
  const { session_id } = await a.identify();
  await a.close(4000);
  assert.deepEqual(dc(p).sessions, { live: 0, resumable: 1 });
  await delay(250);
  assert.deepEqual(dc(p).sessions, { live: 0, resumable: 0 });
  const b = await connect(p);
  await b.resume(session_id, 1);
  assert.equal((await b.next((f) => f.op === 9)).d, false);
  await b.close(1000);
});

test('a connection whose heartbeats stop is closed as a zombie (4009); its session stays resumable', async (t) => {
  const p = await start(t, { discord: { heartbeatMs: 100 } });
  const opened = Date.now();
  const a = await connect(p);
  const { session_id } = await a.identify();
  const closed = await a.closed;
  assert.equal(closed.code, 4009);
  assert.ok(Date.now() - opened >= 1090, 'the zombie limit is one interval plus at least a second');
  assert.equal(dc(p).zombies, 1);
  const b = await connect(p);
  await b.resume(session_id, 1);
  await b.dispatch('RESUMED');
  await b.close(1000);
});

test('RESUME of a session live elsewhere closes the older connection (takeover, no gap); the older one coming back is a fight', async (t) => {
  const p = await start(t, { conflictWindowMs: 2000 });
  const a = await connect(p);
  const { session_id } = await a.identify();
  p.produce(2);
  await until(() => a.messages().length === 2, 'two dispatches');
  const b = await connect(p);
  await b.resume(session_id, 1);
  await b.dispatch('RESUMED');
  assert.deepEqual(await a.closed, { code: 4000, reason: 'session resumed on another connection' });
  assert.equal(b.messages().length, 2, 'the replay');
  let s = dc(p);
  assert.deepEqual([s.takeovers, s.conflicts, s.max_gap_ms, s.in_flight], [1, 0, 0, 1]);
  // The older client resumes again at once: two connections fighting over one session.
  const a2 = await connect(p);
  await a2.resume(session_id, 3);
  await a2.dispatch('RESUMED');
  assert.equal((await b.closed).code, 4000);
  s = dc(p);
  assert.deepEqual([s.takeovers, s.conflicts], [0, 2]);
  await a2.close(1000);
});

test('a fresh IDENTIFY while another session is live opens a second session that gets every dispatch too: both conflicts', async (t) => {
  const p = await start(t);
  const a = await connect(p);
  await a.identify();
  const b = await connect(p);
  await b.identify();
  p.produce(3);
  await until(() => a.messages().length === 3 && b.messages().length === 3, 'three dispatches each');
  assert.deepEqual(a.messages().map((m) => m.id), b.messages().map((m) => m.id));
  for (const m of a.messages()) await discordAnswer(p.url, m);
  for (const m of b.messages()) await discordAnswer(p.url, m);
  const s = dc(p);
  assert.deepEqual([s.conflicts, s.duplicated, s.sessions.live], [2, 3, 2]);
  await a.close(1000);
  await b.close(1000);
});

test('RESUME with a seq the session cannot resume from closes with 4007', async (t) => {
  const p = await start(t, { discord: { replayLimit: 3 } });
  const a = await connect(p);
  const { session_id } = await a.identify();
  p.produce(5);
  await until(() => a.messages().length === 5, 'five dispatches');
  await a.close(4000);
  for (const seq of [99, 1]) {
    const b = await connect(p);
    await b.resume(session_id, seq);
    assert.equal((await b.closed).code, 4007, `seq ${seq}`);
  }
  const b = await connect(p);
  await b.resume(session_id, 4); // the oldest it still keeps is 5
  await b.dispatch('RESUMED');
  assert.deepEqual(b.messages().map((m) => m.s), [5, 6]);
  await b.close(1000);
});

test('bad frames close with Discord\'s codes', async (t) => {
  const p = await start(t);
  const identify = (d: object) => ({ op: 2, d: { token: DC_TOKEN, intents: 512, properties: { os: 'l', browser: 'b', device: 'd' }, ...d } });
  const cases: [string, string | Buffer | object | null, number, string?][] = [
    ['binary', Buffer.from([1, 2, 3]), 4002],
    ['not JSON', '{op:', 4002],
    ['too big', { op: 1, d: null, pad: 'x'.repeat(5000) }, 4002],
    ['unknown op', { op: 42, d: null }, 4001],
    ['presence before identify', { op: 3, d: {} }, 4003],
    ['bad token', identify({ token: 'nope' }), 4004],
    ['bad shard', identify({ shard: [1, 1] }), 4010],
    ['bad intents', identify({ intents: 1 << 27 }), 4013],
    ['bad identify', { op: 2, d: { token: DC_TOKEN } }, 4002],
    ['bad resume', { op: 6, d: { session_id: 'x' } }, 4002],
    ['version 9', null, 4012, '?v=9&encoding=json'],
    ['etf', null, 4002, '?v=10&encoding=etf'],
  ];
  for (const [what, frame, code, query] of cases) {
    const c = await GatewayClient.open(p.gatewayUrl, query);
    if (frame !== null) {
      await c.next((f) => f.op === 10);
      if (Buffer.isBuffer(frame)) c.ws.send(frame);
      else c.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    }
    assert.equal((await c.closed).code, code, what);
  }
  const twice = await connect(p);
  await twice.identify();
  twice.send(identify({}));
  assert.equal((await twice.closed).code, 4005);
  // Anything else on the HTTP port is no websocket.
  await assert.rejects(GatewayClient.open(`ws://127.0.0.1:${new URL(p.url).port}/elsewhere`));
});

test('arbitrary frames never crash the gateway', async (t) => {
  const p = await start(t);
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 }), fc.record({ op: fc.integer({ min: -1, max: 12 }), d: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o))), async (frame) => {
      const c = await connect(p);
      await c.next((f) => f.op === 10);
      c.ws.send(frame);
      c.send({ op: 1, d: null });
      await Promise.race([c.next((f) => f.op === 11, 2000).catch(() => undefined), c.closed]);
      c.ws.terminate();
    }),
    { numRuns: 150 },
  );
  const c = await connect(p);
  await c.identify();
  p.produce(1);
  await c.dispatch('MESSAGE_CREATE');
  await c.close(1000);
});

test('faults: drop (resumable), expire (INVALID_SESSION on the live connection), invalid next resume, RECONNECT', async (t) => {
  const p = await start(t);
  const a = await connect(p);
  const { session_id } = await a.identify();
  assert.equal((await raw(`${p.url}/control/discord/drop`, { body: '{}' })).status, 200);
  assert.equal((await a.closed).code, 1006, 'no close frame');
  const b = await connect(p);
  await b.resume(session_id, 1);
  await b.dispatch('RESUMED');
  // reconnect: op 7, then the platform closes (4000) if the client has not.
  assert.equal(p.discordFault('reconnect'), 1);
  assert.equal((await b.next((f) => f.op === 7)).op, 7);
  assert.equal((await b.closed).code, 4000);
  const c = await connect(p);
  await c.resume(session_id, 2);
  await c.dispatch('RESUMED');
  // invalidate-next-resume: the next RESUME is refused and the session is gone.
  assert.equal((await raw(`${p.url}/control/discord/invalidate-next-resume`, { body: '{"count":1}' })).status, 200);
  await c.close(4000);
  const d = await connect(p);
  await d.resume(session_id, 3);
  assert.equal((await d.next((f) => f.op === 9)).d, false);
  assert.deepEqual(p.discordSessions(), []);
  // expire: a live session is told INVALID_SESSION on its connection and gets nothing more.
  const e = await connect(p);
  const s2 = await e.identify();
  assert.deepEqual(p.discordSessions().map((x) => x.session_id), [s2.session_id]);
  assert.equal((await raw(`${p.url}/control/discord/expire`, { body: JSON.stringify({ session_id: s2.session_id }) })).status, 200);
  assert.equal((await e.next((f) => f.op === 9)).d, false);
  p.produce(1);
  await delay(50);
  assert.equal(e.messages().length, 0);
  const s = dc(p);
  assert.deepEqual([s.invalid_sessions, s.resumes, s.identifies, s.sessions.live + s.sessions.resumable], [2, 2, 2, 0]);
  const sessions = await raw(`${p.url}/control/discord/sessions`);
  assert.deepEqual(sessions.body, { ok: true, result: [] });
  await d.close(1000);
  await e.close(1000);
  assert.equal((await raw(`${p.url}/control/discord/storm`, { body: '{"count":0,"every_ms":10}' })).status, 400);
});

test('one process serves both kinds: /stats sums them and reports each under platforms', async (t) => {
  const p = await startFakePlatform({ kinds: ['telegram', 'discord'], rate: 0, graceMs: 50 });
  t.after(() => p.close());
  const c = await connect(p);
  await c.identify();
  p.produce(2);
  await until(() => c.messages().length === 2, 'two dispatches');
  await discordAnswer(p.url, c.messages()[0]!);
  const s = PlatformStats.strict().parse((await raw(`${p.url}/stats`)).body);
  assert.deepEqual([s.produced, s.replied, s.pending], [4, 1, 3]);
  assert.deepEqual([s.platforms.telegram?.produced, s.platforms.discord?.produced, s.platforms.discord?.replied], [2, 2, 1]);
  assert.equal(s.in_flight, 1, 'the live gateway connection');
  DiscordStats.strict().parse(s.platforms.discord);
  p.resetStats();
  const z = p.stats();
  assert.deepEqual([z.produced, z.platforms.discord?.identifies, z.platforms.discord?.sessions.live], [0, 0, 1]);
  await c.close(1000);
  assert.equal(c.ws.readyState, WebSocket.CLOSED);
});
