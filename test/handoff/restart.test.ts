// A supervisor (systemd's Restart=on-failure) starting green again with the same HERMES_HANDOFF_ID:
// after a promotion it serves again; after a handoff that ended otherwise it exits 0 and stays down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

test('a promoted green that dies is started again by its supervisor and serves again', async (t) => {
  await withHarness(t, {}, async (h) => {
    await h.startBlue({ release: 'r0' });
    const out = await h.promote({ release: 'r1' });
    assert.equal(out.verdict, 'promoted', out.reason);
    // Killed with no reply in flight: a kill between a reply and its record is the one-duplicate limit, measured elsewhere.
    const resume = await h.quiet();
    await h.kill(out.green_pid!);
    const again = h.startGreen({ release: 'r1', handoffId: out.handoff_id! });
    await assertServes(h, again.pid!, 'the restarted green');
    resume();
    const obs = await h.observer();
    t.after(() => obs.close());
    const st = await obs.status(5_000);
    assert.equal(st.release, 'r1');
    assert.equal(st.last_verdict?.handoff_id, out.handoff_id, 'it still reports how its handoff ended');
    obs.close();
    assertClean(await h.settle());
  });
});

test('a green started again for a handoff that was rolled back exits 0 and does not serve', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const out = await h.promote({ release: 'r1', fault: 'error-burst' });
    assert.equal(out.verdict, 'rolled-back', out.reason);
    const again = h.startGreen({ release: 'r1', handoffId: out.handoff_id! });
    assert.equal(await again.exited, 0, 'exit 0: a supervisor with Restart=on-failure leaves it down');
    await assertServes(h, blue.pid!, 'blue');
    assertClean(await h.settle());
  });
});
