// @discordjs/ws (with @discordjs/rest), unmodified, against the fake Discord: what a real gateway runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { REST } from '@discordjs/rest';
import { WebSocketManager, WebSocketShardEvents, type SessionInfo } from '@discordjs/ws';
import { startFakePlatform, type FakePlatform, type FakePlatformOptions } from '../../examples/gateway/platform/server.ts';
import type { DiscordStats } from '../../examples/gateway/platform/schemas.ts';
import { DC_TOKEN, MESSAGE_INTENTS, until } from './helpers.ts';

interface After {
  after(fn: () => Promise<void> | void): void;
}

async function start(t: After, o: Partial<FakePlatformOptions> = {}): Promise<FakePlatform> {
  const p = await startFakePlatform({ kinds: ['discord'], rate: 0, graceMs: 300, ...o, discord: { heartbeatMs: 250, ...o.discord } });
  t.after(() => p.close());
  return p;
}

const dc = (p: FakePlatform) => p.stats().platforms.discord as DiscordStats;

interface Bot {
  manager: WebSocketManager;
  /** The sequence number of the last dispatch processed (answered, or deliberately ignored), in order. */
  processed: () => number;
  /** Stops processing: dispatches from now on are ignored (they stay unprocessed), and what is in hand is finished. */
  pause: () => Promise<void>;
  /** The session as the library last stored it. */
  session: () => SessionInfo | null;
  heartbeats: () => number;
  debug: string[];
}

/**
 * An echo bot on an unmodified WebSocketManager, answering members' messages through REST with a
 * message_reference, one dispatch at a time so "processed" is a prefix of the sequence. Its session
 * store starts from `handed` (a session handed over by another process) when given.
 */
function bot(t: After, p: FakePlatform, handed: SessionInfo | null = null): Bot {
  const rest = new REST({ api: `${p.url}/api`, version: '10' }).setToken(DC_TOKEN);
  let stored: SessionInfo | null = handed;
  const manager = new WebSocketManager({
    token: DC_TOKEN,
    intents: MESSAGE_INTENTS,
    rest,
    retrieveSessionInfo: () => stored,
    updateSessionInfo: (_shard, info) => {
      stored = info;
    },
  });
  t.after(async () => {
    await manager.destroy();
  });
  let processed = handed?.sequence ?? 0;
  let paused = false;
  let chain = Promise.resolve();
  let heartbeats = 0;
  const debug: string[] = [];
  manager.on(WebSocketShardEvents.Debug, (m) => void debug.push(m.split('\n')[0] ?? ''));
  manager.on(WebSocketShardEvents.Error, (e) => void debug.push(`error: ${String(e)}`));
  manager.on(WebSocketShardEvents.HeartbeatComplete, () => void heartbeats++);
  manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    chain = chain.then(async () => {
      if (paused) return;
      if (payload.t === 'MESSAGE_CREATE' && !payload.d.author.bot) {
        await rest.post(`/channels/${payload.d.channel_id}/messages`, { body: { content: `echo: ${payload.d.content}`, message_reference: { message_id: payload.d.id } } });
      }
      processed = payload.s;
    });
  });
  return {
    manager,
    processed: () => processed,
    pause: async () => {
      paused = true;
      await chain;
    },
    session: () => stored,
    heartbeats: () => heartbeats,
    debug,
  };
}

/** Stops production, waits for every answer, then past the grace so any loss would show. */
async function settle(p: FakePlatform): Promise<DiscordStats> {
  p.setRate(0);
  await until(() => p.stats().pending === 0, 'every message answered', 20_000);
  await delay(350);
  return dc(p);
}

test('WebSocketManager runs unmodified: finds the gateway through REST, IDENTIFYs, heartbeats, answers; destroy() (1000) ends the session', async (t) => {
  const p = await start(t);
  const b = bot(t, p);
  await b.manager.connect();
  p.setRate(100); // from now: Discord keeps nothing for a bot with no session
  await until(() => b.heartbeats() >= 2 && p.stats().replied >= 30, 'two heartbeats ACKed and thirty answers');
  p.setRate(0);
  await until(() => p.stats().pending === 0, 'every message answered');
  await b.manager.destroy();
  await until(() => dc(p).sessions.live + dc(p).sessions.resumable === 0, 'the session to be invalidated by close code 1000');
  const s = await settle(p);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, resumes: s.resumes, zombies: s.zombies }, { lost: 0, duplicated: 0, identifies: 1, resumes: 0, zombies: 0 });
  assert.equal(s.matched.reference, s.replied);
});

test('a dropped connection and a reconnect storm: the library RESUMEs by itself, nothing lost or answered twice', async (t) => {
  const p = await start(t);
  const b = bot(t, p);
  await b.manager.connect();
  p.setRate(100);
  await until(() => p.stats().replied >= 10, 'ten answers');
  assert.equal(p.discordFault('drop'), 1);
  await until(() => dc(p).resumes === 1, 'the first RESUME');
  // A storm: a drop every 600 ms; one that finds the library still reconnecting cuts nothing.
  p.discordFault('storm', { count: 4, every_ms: 600 });
  await delay(4 * 600);
  await until(() => dc(p).resumes === dc(p).dropped && dc(p).sessions.live === 1, 'a RESUME after each drop of the storm', 20_000);
  assert.ok(dc(p).dropped >= 2, `the storm cut connections: ${dc(p).dropped}`);
  const resumes = dc(p).resumes;
  assert.equal(p.discordFault('reconnect'), 1);
  await until(() => dc(p).resumes === resumes + 1, 'a RESUME after op 7 RECONNECT');
  const s = await settle(p);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, invalid: s.invalid_sessions }, { lost: 0, duplicated: 0, identifies: 1, invalid: 0 });
  assert.ok(s.replayed > 0, 'dispatches produced while it was away were replayed');
});

test('a session handed from one manager to another (retrieveSessionInfo / updateSessionInfo): RESUME, no IDENTIFY, nothing lost or twice (5 handovers)', async (t) => {
  const p = await start(t);
  let current = bot(t, p);
  await current.manager.connect();
  p.setRate(100);
  for (let i = 0; i < 5; i++) {
    const before = p.stats().replied;
    await until(() => p.stats().replied >= before + 10, 'ten answers before the handover');
    // Paused: no dispatch is processed any more; the handed sequence is the last processed, not received.
    await current.pause();
    const s = current.session();
    assert.ok(s, 'the library stored its session');
    const handed: SessionInfo = { ...s, sequence: current.processed() };
    // A resumable close (not 1000/1001): the code @discordjs/ws itself closes with to resume.
    await current.manager.destroy({ code: 4200, reason: 'handover' });
    current = bot(t, p, handed);
    await current.manager.connect(); // resolves on RESUMED
    assert.ok(current.debug.some((d) => d.startsWith('Resuming session')), `handover ${i + 1} resumed`);
  }
  const s = await settle(p);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, resumes: s.resumes, conflicts: s.conflicts, takeovers: s.takeovers }, { lost: 0, duplicated: 0, identifies: 1, resumes: 5, conflicts: 0, takeovers: 0 });
  assert.ok(s.switch_gap_ms > 0 && s.switch_gap_ms === s.max_gap_ms, `the dark window is the gap ended by RESUMED: ${s.switch_gap_ms} ms`);
});

test('INVALID_SESSION on the handed-over RESUME: the library re-IDENTIFYs; what the old session owed is counted lost', async (t) => {
  const p = await start(t, { rate: 0 });
  const a = bot(t, p);
  await a.manager.connect();
  p.produce(5);
  await until(() => p.stats().replied === 5, 'five answers');
  await a.pause();
  const handed: SessionInfo = { ...a.session()!, sequence: a.processed() };
  await a.manager.destroy({ code: 4200 });
  p.produce(3); // owed to the handed session only
  p.discordFault('invalidate-next-resume');
  const b = bot(t, p, handed);
  await b.manager.connect(); // INVALID_SESSION, then a fresh IDENTIFY: READY
  p.produce(4);
  await until(() => p.stats().replied === 9, 'the four new messages answered');
  await delay(350);
  const s = dc(p);
  assert.deepEqual({ replied: s.replied, lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, invalid: s.invalid_sessions }, { replied: 9, lost: 3, duplicated: 0, identifies: 2, invalid: 1 });
});
