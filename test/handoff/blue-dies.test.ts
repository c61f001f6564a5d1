// Blue killed (SIGKILL) in the middle of a handoff: green must end up serving, alone, with nothing lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVerdict } from '../../src/peer/files.ts';
import type { ObserverEvent } from '../../src/peer/observer.ts';
import { withHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

/** Resolves when blue announces that the handoff entered `phase` (and, with `beats`, after that many HEALTH beats in it); rejects after 30 s. */
async function whenPhase(h: GatewayHarness, phase: string, beats = 0): Promise<void> {
  const obs = await h.observer();
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the handoff did not reach ${phase}${beats ? ` and ${beats} HEALTH beats` : ''} within 30 s`)), 30_000);
      let inPhase = false;
      let seen = 0;
      const on = (e: ObserverEvent) => {
        if (e.kind === 'phase' && e.phase === phase) inPhase = true;
        if (inPhase && e.kind === 'health') seen++;
        if (inPhase && seen >= beats) resolve();
      };
      obs.subscribe(on, 5_000).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    obs.close();
  }
}

const cases = [
  {
    when: 'during init (green still starting up)',
    phase: 'init',
    // Green takes long to start, so blue dies while it is still initialising.
    spec: { initMs: 3_000, bakeMs: 600 },
    reason: /^blue \(pid (\d+)\) exited during start-up; green took over$/,
    // Blue is still polling here: kill it when no reply is in flight. A kill between a reply and its
    // record is the honest limit (at most one duplicate per kill), measured by random-kills.test.ts.
    quiet: true,
  },
  {
    when: 'during the bake',
    phase: 'baking',
    spec: { initMs: 50, bakeMs: 3_000 },
    reason: /^blue \(pid (\d+)\) exited during the bake; green took over$/,
    quiet: false, // blue has paused its adapters: nothing of its own is in flight
  },
];

for (const c of cases) {
  test(`blue killed ${c.when}: green serves, decided by green; never two pollers; nothing lost or twice`, async (t) => {
    await withHarness(t, {}, async (h) => {
      const blue = await h.startBlue({ release: 'r0' });
      // In the bake, blue dies after two HEALTH beats: green is answering, well inside the bake.
      const reached = whenPhase(h, c.phase, c.phase === 'baking' ? 2 : 0);
      const promotion = h.promote({ release: 'r1', ...c.spec });
      await reached;
      const resume = c.quiet ? await h.quiet() : () => {};
      await h.kill(blue.pid, 'SIGKILL');
      resume();

      const out = await promotion;
      assert.equal(out.verdict, 'promoted', out.reason);
      const m = c.reason.exec(out.reason);
      assert.ok(m, `reason: ${out.reason}`);
      assert.equal(Number(m[1]), blue.pid);

      assert.ok(out.handoff_id && out.green_pid);
      const rec = readVerdict(h.home, out.handoff_id);
      assert.ok(rec, 'verdict file');
      assert.equal(rec.decided_by, 'green');
      assert.equal(rec.verdict, 'promoted');
      assert.equal(rec.green_pid, out.green_pid);
      assert.equal(rec.release, 'r1');

      await assertServes(h, out.green_pid, 'green');
      const obs = await h.observer();
      t.after(() => obs.close());
      const st = await obs.status(5_000);
      assert.equal(st.release, 'r1');
      assert.equal(st.last_verdict?.decided_by, 'green');

      assertClean(await h.settle());
    });
  });
}
