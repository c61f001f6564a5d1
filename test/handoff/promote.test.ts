// A promotion with real processes: blue and green gateways, the handoff socket, the platform producing throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VerdictRecord } from '../../src/protocol/frames.ts';
import { withHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

test('a promotion: promoted, green serves on the socket, the verdict is on disk, files are private', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const out = await h.promote({ release: 'r1' });

    assert.equal(out.verdict, 'promoted', out.reason);
    // The reason carries the evidence: green heartbeated and answered through the bake without errors.
    const why = /^bake of .+ passed: (\d+) heartbeats, (\d+) messages, error rate 0(?:\.0)?%/.exec(out.reason);
    assert.ok(why, `promotion reason: ${out.reason}`);
    assert.ok(Number(why[1]) >= 3, `heartbeats in a 600 ms bake at 100 ms: ${out.reason}`);
    assert.ok(Number(why[2]) > 0, `green answered messages during the bake: ${out.reason}`);
    assert.ok(out.handoff_id, 'the outcome names its handoff');
    assert.equal(out.release, 'r1');
    assert.equal(out.blue_pid, blue.pid);
    const greenPid = out.green_pid;
    assert.ok(greenPid && greenPid !== blue.pid, `green pid ${greenPid}`);
    assert.ok(out.dark_window_ms !== null && out.dark_window_ms >= 0, `dark window ${out.dark_window_ms}`);
    assert.deepEqual(
      out.timeline.map((e) => e.phase).filter((p) => ['reserved', 'init', 'draining', 'active', 'baking', 'complete'].includes(p)),
      ['reserved', 'init', 'draining', 'active', 'baking', 'complete'],
    );

    await assertServes(h, greenPid, 'green');
    assert.equal(await blue.exited, 0, 'blue exits cleanly after COMPLETE');

    // The new listener knows how its handoff ended.
    const obs = await h.observer();
    t.after(() => obs.close());
    assert.equal(obs.welcome?.server_pid, greenPid);
    const st = await obs.status(5_000);
    assert.equal(st.phase, 'idle');
    assert.equal(st.release, 'r1');
    assert.equal(st.runtime, 'claw');
    assert.equal(st.last_verdict?.handoff_id, out.handoff_id);
    assert.equal(st.last_verdict?.verdict, 'promoted');
    assert.equal(st.last_verdict?.decided_by, 'blue');
    obs.close();

    // The verdict file exists and parses.
    const file = join(h.home, 'run', 'handoffs', `${out.handoff_id}.json`);
    const rec = VerdictRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
    assert.equal(rec.verdict, 'promoted');
    assert.equal(rec.reason, out.reason);
    assert.equal(rec.blue_pid, blue.pid);
    assert.equal(rec.green_pid, greenPid);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'verdict file mode');

    // Socket and token 0600 in a 0700 run dir, also after green renamed its socket over blue's.
    assert.equal(statSync(join(h.home, 'run')).mode & 0o777, 0o700, 'run dir mode');
    assert.ok(statSync(h.socketPath).isSocket());
    assert.equal(statSync(h.socketPath).mode & 0o777, 0o600, 'socket mode');
    assert.equal(statSync(join(h.home, 'run', 'handoff.token')).mode & 0o777, 0o600, 'token mode');

    assertClean(await h.settle());
  });
});
