// Twenty promotions in a row under load: each green becomes the next blue; nothing lost, twice or polled twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

const N = 20;

test(`${N} consecutive promotions under load: every one promoted; lost = duplicated = conflicts = 0`, async (t) => {
  await withHarness(t, {}, async (h) => {
    const first = await h.startBlue({ release: 'r0' });
    let bluePid = first.pid;
    const darks: string[] = [];
    for (let i = 1; i <= N; i++) {
      const before = h.platform.stats().switch_gap_ms;
      const out = await h.promote({ release: `r${i}` });
      assert.equal(out.verdict, 'promoted', `promotion ${i} (r${i - 1} -> r${i}): ${out.reason}`);
      assert.equal(out.blue_pid, bluePid, `promotion ${i} started from the gateway that served`);
      assert.ok(out.green_pid && out.green_pid !== bluePid);
      await assertServes(h, out.green_pid, `green r${i}`);
      const after = h.platform.stats().switch_gap_ms;
      // The platform keeps the longest switch gap of the window: a new maximum is this promotion's own.
      darks.push(`${out.dark_window_ms ?? '?'}${after > before ? `/${after}` : ''}`);
      bluePid = out.green_pid;
    }
    const s = await h.settle();
    t.diagnostic(
      `dark windows over ${N} promotions, host-measured ms (/platform switch gap where it set a new maximum): ${darks.join(' ')}; ` +
        `platform: switch_gap_ms=${s.switch_gap_ms} max_gap_ms=${s.max_gap_ms} gaps p50=${s.gaps_ms.p50} p99=${s.gaps_ms.p99}; ` +
        `produced=${s.produced} replied=${s.replied} lost=${s.lost} duplicated=${s.duplicated} conflicts=${s.conflicts}`,
    );
    assertClean(s);
    assert.ok(s.pollers >= N + 1, `every gateway polled: ${s.pollers} pollers`);
  });
});
