// The reference gateway's Discord adapter (@discordjs/ws + @discordjs/rest) against the fake Discord:
// sessions handed between adapters as cursors, in both handover orders, and what happens when a
// handed session cannot be resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentReply, HandoverOrder, IncomingMessage } from '../examples/gateway/agent.ts';
import { createDiscordAdapter } from '../examples/gateway/discord-adapter.ts';
import type { PlatformAdapter } from '../examples/gateway/platform-adapter.ts';
import { startFakePlatform, type FakePlatform, type FakePlatformOptions } from '../examples/gateway/platform/server.ts';
import type { DiscordStats } from '../examples/gateway/platform/schemas.ts';
import { openStore, type TranscriptStore } from '../examples/gateway/store.ts';
import { until } from './platform/helpers.ts';

interface Ctx {
  platform: FakePlatform;
  home: string;
  stores: TranscriptStore[];
  adapters: PlatformAdapter[];
}

async function setup(t: { after: (fn: () => Promise<void> | void) => void }, o: Partial<FakePlatformOptions> = {}): Promise<Ctx> {
  const platform = await startFakePlatform({ kinds: ['discord'], rate: 0, graceMs: 200, ...o, discord: { heartbeatMs: 1_000, ...o.discord } });
  const home = mkdtempSync(join(tmpdir(), 'hermes-discord-'));
  const ctx: Ctx = { platform, home, stores: [], adapters: [] };
  t.after(async () => {
    for (const a of ctx.adapters) await a.close();
    for (const s of ctx.stores) s.close();
    await platform.close();
    rmSync(home, { recursive: true, force: true });
  });
  return ctx;
}

const echo = async (m: IncomingMessage): Promise<AgentReply> => ({ text: `re: ${m.text}`, error: false });

/** An adapter on a store of its own, as another process would have. */
function adapter(ctx: Ctx, order: HandoverOrder = 'break-before-make', logs?: string[], agent = echo): PlatformAdapter {
  const store = openStore(ctx.home);
  ctx.stores.push(store);
  const a = createDiscordAdapter({ apiRoot: `${ctx.platform.url}/api`, store, agent, order, requestsPerSecond: 1_000, log: (m) => logs?.push(m) });
  ctx.adapters.push(a);
  return a;
}

const dc = (ctx: Ctx) => ctx.platform.stats().platforms.discord as DiscordStats;

async function settle(ctx: Ctx): Promise<DiscordStats> {
  ctx.platform.setRate(0);
  await until(() => ctx.platform.stats().pending === 0, 'every message answered', 20_000);
  await delay(300);
  return dc(ctx);
}

test('start(null) IDENTIFYs, answers with a reference, records; a break-before-make pause closes resumably and hands the session over', async (t) => {
  const ctx = await setup(t);
  const a = adapter(ctx);
  const before = Date.now();
  const at = await a.start(null);
  assert.ok(at >= before && at <= Date.now(), 'the first poll is the IDENTIFY after HELLO');
  ctx.platform.produce(10);
  await until(() => ctx.platform.stats().replied === 10, 'ten answers');
  const paused = await a.pause(2_000);
  const c = paused.cursors.discord;
  assert.ok(c && c.kind === 'discord', JSON.stringify(paused.cursors));
  const live = ctx.platform.discordSessions();
  assert.equal(live.length, 1);
  assert.equal(c.session_id, live[0]!.session_id);
  assert.equal(live[0]!.live, false, 'closed, and still resumable (not invalidated)');
  // Processed: READY, ten messages and the bot's own answers (dispatched too, ignored; the last may come after the pause).
  assert.ok(c.seq === 20 || c.seq === 21, `seq ${c.seq}`);
  assert.match(c.resume_gateway_url, /^ws:\/\/127\.0\.0\.1:\d+\/discord\/resume$/);
  assert.deepEqual(a.cursors(), paused.cursors);
  const s = await settle(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, reference: s.matched.reference, identifies: s.identifies }, { lost: 0, duplicated: 0, reference: 10, identifies: 1 });
});

for (const order of ['break-before-make', 'make-before-break'] as const) {
  test(`${order}: 10 handovers between two adapters under 100 dispatches/s, each a RESUME: nothing lost, nothing twice, no conflict`, async (t) => {
    const ctx = await setup(t, { conflictWindowMs: 200 });
    const logs: string[] = [];
    let current = adapter(ctx, order, logs);
    let next = adapter(ctx, order, logs);
    await current.start(null);
    ctx.platform.setRate(100);
    for (let i = 0; i < 10; i++) {
      const replied = ctx.platform.stats().replied;
      await until(() => ctx.platform.stats().replied >= replied + 5, 'answers before the handover');
      const paused = await current.pause(2_000);
      await next.start(paused.cursors);
      // Past the conflict window, so a take-back by the paused adapter would show as a conflict.
      await delay(250);
      [current, next] = [next, current];
    }
    const s = await settle(ctx);
    t.diagnostic(`produced ${s.produced}, switch_gap_ms ${s.switch_gap_ms}, max_gap_ms ${s.max_gap_ms}, takeovers ${s.takeovers}, resumes ${s.resumes}`);
    assert.deepEqual(
      { lost: s.lost, duplicated: s.duplicated, conflicts: s.conflicts, identifies: s.identifies, resumes: s.resumes, invalid: s.invalid_sessions },
      { lost: 0, duplicated: 0, conflicts: 0, identifies: 1, resumes: 10, invalid: 0 },
    );
    assert.equal(s.replied, s.produced);
    if (order === 'make-before-break') {
      assert.equal(s.takeovers, 10, 'each RESUME closed the paused connection: a planned takeover');
      assert.equal(s.switch_gap_ms, 0, 'never a moment without a live connection at a handover');
      assert.equal(logs.filter((l) => l.includes('taken over')).length, 10);
    } else {
      assert.equal(s.takeovers, 0);
      assert.ok(s.switch_gap_ms > 0, 'a gap from the close to the RESUMED');
    }
    await current.pause(1_000);
  });
}

test('make-before-break, then a rollback at once: the final pause closes green\'s connection, so blue\'s RESUME is no takeover and nothing fights', async (t) => {
  // The platform's default conflict window (1 s): a take-back within it of a takeover counts as a fight.
  const ctx = await setup(t, { conflictWindowMs: 1_000 });
  const logs: string[] = [];
  const blue = adapter(ctx, 'make-before-break', logs);
  const green = adapter(ctx, 'make-before-break', logs);
  await blue.start(null);
  ctx.platform.setRate(100);
  await until(() => ctx.platform.stats().replied >= 10, 'blue answers');
  await green.start((await blue.pause(2_000)).cursors); // a planned takeover of blue's paused connection
  const replied = ctx.platform.stats().replied;
  await until(() => ctx.platform.stats().replied >= replied + 3, 'green answers');
  const back = await green.pause(2_000, { final: true }); // HANDOFF_ROLLBACK: green hands back and leaves
  assert.equal(ctx.platform.discordSessions()[0]?.live, false, "green's connection is closed before it hands the cursors back");
  await blue.start(back.cursors);
  await green.close();
  await delay(1_200); // past the library's reconnect delay and the conflict window
  const s = await settle(ctx);
  assert.deepEqual(
    { lost: s.lost, duplicated: s.duplicated, conflicts: s.conflicts, takeovers: s.takeovers, resumes: s.resumes },
    { lost: 0, duplicated: 0, conflicts: 0, takeovers: 1, resumes: 2 },
    logs.join('; '),
  );
});

test('INVALID_SESSION on the handed-over RESUME: identified afresh, the note names the session and the gap, what the old session owed is lost', async (t) => {
  const ctx = await setup(t);
  const a = adapter(ctx);
  const logs: string[] = [];
  const b = adapter(ctx, 'break-before-make', logs);
  await a.start(null);
  ctx.platform.produce(5);
  await until(() => ctx.platform.stats().replied === 5, 'five answers');
  const paused = await a.pause(2_000);
  ctx.platform.produce(3); // owed to the handed session only
  ctx.platform.discordFault('invalidate-next-resume');
  await b.start(paused.cursors);
  const c = paused.cursors.discord!;
  assert.equal(c.kind, 'discord');
  const notes = b.handoverNotes!(paused.paused_at);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, new RegExp(`^discord session ${c.kind === 'discord' ? c.session_id : ''} expired before green resumed; re-identified \\d+(\\.\\d)? m?s after blue paused: messages sent in between may be missed$`));
  const now = b.cursors().discord;
  assert.ok(now && now.kind === 'discord' && now.session_id !== (c.kind === 'discord' ? c.session_id : ''), 'a new session');
  ctx.platform.produce(4);
  await until(() => ctx.platform.stats().replied === 9, 'the four new ones answered');
  await delay(300);
  const s = dc(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, invalid: s.invalid_sessions, conflicts: s.conflicts }, { lost: 3, duplicated: 0, identifies: 2, invalid: 1, conflicts: 0 });
  assert.ok(logs.some((l) => /could not be resumed; identifying afresh/.test(l)));
});

test('start(null) resumes the session the store recorded (a gateway that died): what it had not answered is replayed, nothing lost', async (t) => {
  const ctx = await setup(t);
  const a = adapter(ctx);
  await a.start(null);
  ctx.platform.produce(5);
  await until(() => ctx.platform.stats().replied === 5, 'five answers');
  // The process dies: its connection drops (no close frame), the session stays resumable.
  ctx.platform.discordFault('drop');
  await a.close();
  ctx.platform.produce(4);
  const b = adapter(ctx);
  await b.start(null);
  await until(() => ctx.platform.stats().replied === 9, 'the four answered after the RESUME');
  const s = await settle(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated, identifies: s.identifies, resumes: s.resumes }, { lost: 0, duplicated: 0, identifies: 1, resumes: 1 });
});

test('a cursor of another kind is refused before anything starts; a pause that cannot finish rejects, and a RESUME from the processed prefix answers the rest once', async (t) => {
  const ctx = await setup(t);
  const a = adapter(ctx);
  await assert.rejects(a.start({ discord: { kind: 'telegram', offset: 3 } }), /cursor "discord" is a telegram cursor; this adapter is discord/);
  assert.equal(dc(ctx).connections, 0, 'nothing connected');
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const stuck = adapter(ctx, 'break-before-make', [], async (m) => {
    calls++;
    if (calls === 2) await gate;
    return { text: `slow ${m.id}`, error: false };
  });
  await stuck.start(null);
  ctx.platform.produce(3);
  await until(() => calls >= 2, 'the agent stuck on the second message');
  await until(() => ctx.platform.stats().replied === 2, 'the others answered (dispatches are processed side by side)');
  await assert.rejects(stuck.pause(100), /did not finish within 100 ms/);
  release();
  await delay(100);
  assert.equal(ctx.platform.stats().replied, 2, 'the abandoned run sends nothing more');
  await stuck.start(null);
  await until(() => ctx.platform.stats().replied === 3, 'the rest answered after the RESUME');
  const s = await settle(ctx);
  assert.deepEqual({ lost: s.lost, duplicated: s.duplicated }, { lost: 0, duplicated: 0 });
});
