// One handoff at a time, and only for the green blue reserved it for: refusals with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeerError } from '../../src/peer/observer.ts';
import { promote } from '../../src/handoff/promote.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { withHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';
import { rawClient } from './raw-client.ts';

const RESERVE = { release: 'r9', runtime: 'claw', bake_ms: 600 };

test('a second RESERVE while one is held gets ERROR busy; after ABORT blue accepts one again', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const a = await h.observer();
    const b = await h.observer();
    t.after(() => (a.close(), b.close()));

    const held = await a.reserve({ handoff_id: 'hold-1', ...RESERVE }, 5_000);
    assert.equal(held.handoff_id, 'hold-1');
    await assert.rejects(b.reserve({ handoff_id: 'hold-2', ...RESERVE }, 5_000), (e: unknown) => {
      assert.ok(e instanceof PeerError);
      assert.equal(e.code, 'busy');
      assert.match(e.message, /^handoff hold-1 is reserved; one handoff at a time$/);
      return true;
    });
    const st = await b.status(5_000);
    assert.equal(st.phase, 'reserved');
    assert.equal(st.handoff?.id, 'hold-1', 'the refused RESERVE changed nothing');

    assert.equal((await a.abort('hold-1', 'test done', 5_000)).handoff_id, 'hold-1');
    const after = await b.status(5_000);
    assert.equal(after.phase, 'idle');
    assert.equal(after.last_verdict?.verdict, 'failed');
    assert.equal(after.last_verdict?.reason, 'aborted: test done');
    assert.equal((await b.reserve({ handoff_id: 'hold-3', ...RESERVE }, 5_000)).handoff_id, 'hold-3');
    await b.abort('hold-3', 'test done', 5_000);

    await assertServes(h, blue.pid, 'blue');
    assertClean(await h.settle());
  });
});

test('two promotions at once: the host is the queue; one waits for the other to end, then promotes its own release', async (t) => {
  await withHarness(t, {}, async (h) => {
    await h.startBlue({ release: 'r0' });
    const outs = await Promise.all([h.promote({ release: 'r1' }), h.promote({ release: 'r2' })]);
    for (const o of outs) assert.equal(o.verdict, 'promoted', `${o.verdict}: ${o.reason}`);
    for (const o of outs) assert.equal(o.busy_with, null, 'each judged its own release');
    // The one that waited reserved only after the first one's verdict, and serves now.
    const [first, second] = [...outs].sort((a, b) => (a.timeline[0]?.at ?? 0) - (b.timeline[0]?.at ?? 0));
    const firstDecided = Math.max(...first!.timeline.map((e) => e.at));
    assert.ok(second!.timeline[0]!.at >= firstDecided, `the second reserved at ${second!.timeline[0]!.at}, before the first ended at ${firstDecided}`);
    const greenLogs = readdirSync(join(h.home, 'logs')).filter((f) => f.startsWith('green-')).sort();
    assert.deepEqual(greenLogs, [`green-${first!.handoff_id}.log`, `green-${second!.handoff_id}.log`].sort(), 'one green per reservation, none while the host was busy');
    await assertServes(h, second!.green_pid!, 'the green of the run that waited');
    assertClean(await h.settle());
  });
});

test('a green with a wrong token is refused (ERROR unauthorized, closed); blue keeps serving', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const obs = await h.observer();
    t.after(() => obs.close());
    await obs.reserve({ handoff_id: 'tok-1', ...RESERVE }, 5_000);

    // On the wire: the frame, then the close.
    const c = await rawClient(h.socketPath);
    t.after(() => c.close());
    c.send({ type: 'HELLO', role: 'green', token: 'not-the-token', pid: process.pid, handoff_id: 'tok-1' });
    const f = await c.next();
    assert.ok(f !== 'closed' && f.type === 'ERROR', `expected ERROR, got ${JSON.stringify(f)}`);
    assert.equal(f.code, 'unauthorized');
    assert.equal(f.fatal, true);
    assert.equal(await c.next(), 'closed');

    // A real green process reading a wrong token (its socket path is a link to blue's, beside another token).
    const fake = join(h.dir, 'elsewhere');
    mkdirSync(fake, { mode: 0o700 });
    symlinkSync(h.socketPath, join(fake, 'handoff.sock'));
    writeFileSync(join(fake, 'handoff.token'), 'f'.repeat(64) + '\n', { mode: 0o600 });
    const g = h.startGreen({ release: 'r9', handoffId: 'tok-1', socketPath: join(fake, 'handoff.sock') });
    assert.equal(await g.exited, 1, 'the refused green exits non-zero');
    assert.match(readFileSync(g.log, 'utf8'), /blue refused green: unauthorized: wrong token/);

    const st = await obs.status(5_000);
    assert.equal(st.phase, 'reserved', 'the reservation is still unclaimed');
    assert.equal(st.handoff?.green_pid, null);
    await obs.abort('tok-1', 'test done', 5_000);

    await assertServes(h, blue.pid, 'blue');
    const s = await h.settle();
    assertClean(s);
    assert.equal(s.pollers, 1, 'nobody but blue ever polled');
  });
});

test('a green with an unreserved handoff id is refused (ERROR busy, closed); blue keeps serving', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const token = h.token();

    // Nothing reserved.
    const c1 = await rawClient(h.socketPath);
    t.after(() => c1.close());
    c1.send({ type: 'HELLO', role: 'green', token, pid: process.pid, handoff_id: 'nobody' });
    const f1 = await c1.next();
    assert.ok(f1 !== 'closed' && f1.type === 'ERROR', `expected ERROR, got ${JSON.stringify(f1)}`);
    assert.equal(f1.code, 'busy');
    assert.equal(f1.fatal, true);
    assert.match(f1.message, /no handoff is reserved/);
    assert.equal(await c1.next(), 'closed');

    // Another id reserved: a green cannot claim it with its own.
    const obs = await h.observer();
    t.after(() => obs.close());
    await obs.reserve({ handoff_id: 'real-1', ...RESERVE }, 5_000);
    const c2 = await rawClient(h.socketPath);
    t.after(() => c2.close());
    c2.send({ type: 'HELLO', role: 'green', token, pid: process.pid, handoff_id: 'nobody' });
    const f2 = await c2.next();
    assert.ok(f2 !== 'closed' && f2.type === 'ERROR', `expected ERROR, got ${JSON.stringify(f2)}`);
    assert.equal(f2.code, 'busy');
    assert.match(f2.message, /no reservation for handoff nobody/);
    assert.equal(await c2.next(), 'closed');
    const st = await obs.status(5_000);
    assert.equal(st.phase, 'reserved');
    assert.equal(st.handoff?.id, 'real-1');
    assert.equal(st.handoff?.green_pid, null);
    await obs.abort('real-1', 'test done', 5_000);

    // A real green process started for a handoff nobody reserved.
    const g = h.startGreen({ release: 'r9', handoffId: 'not-reserved' });
    assert.equal(await g.exited, 1, 'the refused green exits non-zero');
    assert.match(readFileSync(g.log, 'utf8'), /blue refused green: busy: no handoff is reserved/);

    await assertServes(h, blue.pid, 'blue');
    const s = await h.settle();
    assertClean(s);
    assert.equal(s.pollers, 1, 'nobody but blue ever polled');
  });
});

/** Live processes whose environment carries HERMES_HANDOFF_ID=<id> (what the action started for that handoff). */
function startedFor(id: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`HERMES_HANDOFF_ID=${id}`)) out.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

test('a green that never connects (green-command: sleep 120) with a short claim timeout: failed, and nothing it started is left running', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const o = await promote(
      {
        mode: 'promote',
        targetName: 'test',
        hermesHome: h.home,
        socketPath: null,
        greenCommand: 'sleep 120 & sleep 120',
        workdir: null,
        runtime: 'claw',
        release: 'r9',
        greenEnv: {},
        prepareCommand: null,
        launcher: 'process',
        systemdUnit: 'hermes-green@',
        bakeMs: 600,
        timeoutMs: 30_000,
        thresholds: {},
        deadlines: { claim_ms: 1_500, rollback_grace_ms: 1_000 },
      },
      { host: new LocalHost(), log: { info: () => {}, warn: () => {} } },
    );
    assert.equal(o.verdict, 'failed', o.reason);
    assert.match(o.reason, /no green claimed|expired/);
    assert.ok(o.handoff_id);
    assert.deepEqual(startedFor(o.handoff_id), [], 'a process of the green survived the failed verdict');
    await assertServes(h, blue.pid, 'blue');
    assertClean(await h.settle());
  });
});
