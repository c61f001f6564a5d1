// The observation window with real processes: the reference gateway as blue, green and standby on a
// real handoff socket, the fake platform under load, a window of seconds. Green killed at two moments,
// green hanging (SIGSTOP), green failing its health, the standby killed, a new promotion during the
// window, and a restart of green in both orders. Every case: the platform's lost, duplicated and
// conflicts at 0, and the longest time without a poller bounded.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { readVerdict } from '../../src/peer/files.ts';
import { realOs } from '../../src/peer/os.ts';
import { status } from '../../src/handoff/status.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import type { ObserverEvent } from '../../src/peer/observer.ts';
import type { VerdictRecord } from '../../src/protocol/frames.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { withHarness, type GatewayHarness, type Spawned } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from '../handoff/expect.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const WINDOW_MS = 10_000;
const RESTART_GRACE_MS = 1_500;
const GRACE_MS = 3_000;
const AGE_MS = 2_000;
/** The standby's own check interval (src/peer/standby.ts) plus a loaded runner's scheduling and a poll's turnaround. */
const SLACK_MS = 1_500;

interface Observed {
  id: string;
  blue: Spawned;
  green: Spawned;
  promoted: VerdictRecord;
}

/** Blue serving r0, then a handoff to r1 reserved with an observation window; resolves once the standby watches green. */
async function promoteWithWindow(h: GatewayHarness, fault?: string, windowMs = WINDOW_MS): Promise<Observed> {
  const blue = await h.startBlue({ release: 'r0' });
  const obs = await h.observer();
  const id = `win-${process.pid}-${Date.now()}`;
  await obs.reserve(
    {
      handoff_id: id,
      release: 'r1',
      runtime: 'claw',
      bake_ms: 600,
      // Latency is not what these cases judge, and a busy 2-core runner makes it noisy: a high floor.
      thresholds: { max_heartbeat_age_ms: 1_000, consecutive: 3, latency_floor_ms: 5_000 },
      deadlines: { heartbeat_ms: 100, ack_ms: 10_050, drain_ms: 3_000, confirm_ms: 3_000, rollback_grace_ms: GRACE_MS, claim_ms: 15_000, restart_grace_ms: RESTART_GRACE_MS },
      observe_ms: windowMs,
      observe_thresholds: { max_heartbeat_age_ms: AGE_MS, consecutive: 3, latency_floor_ms: 5_000 },
    },
    10_000,
  );
  let verdict: VerdictRecord | null = null;
  await obs.subscribe((e: ObserverEvent) => {
    if (e.kind === 'verdict' && e.record.handoff_id === id) verdict = e.record;
  }, 5_000);
  const green = h.startGreen({ release: 'r1', handoffId: id, ...(fault ? { fault } : {}) });
  await until(() => verdict !== null, 30_000, 'the verdict of the handoff');
  obs.close();
  const promoted = verdict as unknown as VerdictRecord;
  assert.equal(promoted.verdict, 'promoted', promoted.reason);
  assert.equal(promoted.observation?.outcome, 'observing');
  await untilAsync(async () => (await standbyOf(h))?.pid === blue.pid, 10_000, 'the standby attached to green');
  // From here on the platform's accounting is the window's own (the handover before it is measured elsewhere).
  h.platform.resetStats();
  return { id, blue, green, promoted };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const by = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > by) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}

async function untilAsync(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const by = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > by) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(50);
  }
}

/** STATE.standby of whoever listens, or null. */
async function standbyOf(h: GatewayHarness) {
  try {
    const o = await h.observer();
    try {
      return (await o.status(2_000)).standby;
    } finally {
      o.close();
    }
  } catch {
    return null;
  }
}

/** Waits until handoff `id`'s verdict file says how the window ended. */
async function untilWindowEnded(h: GatewayHarness, id: string, ms = WINDOW_MS + 15_000): Promise<VerdictRecord> {
  let rec: VerdictRecord | null = null;
  await until(
    () => {
      rec = readVerdict(h.home, id);
      return rec !== null && rec.observation !== undefined && rec.observation.outcome !== 'observing';
    },
    ms,
    'the end of the window',
  );
  return rec as unknown as VerdictRecord;
}

/** `mode: status` through the engine on this machine, for handoff `id`. */
async function statusOf(h: GatewayHarness, id: string): Promise<Outcome> {
  const host = new LocalHost();
  try {
    return await status(
      {
        mode: 'status',
        targetName: 'test',
        hermesHome: h.home,
        socketPath: null,
        greenCommand: null,
        workdir: null,
        runtime: 'claw',
        release: 'r1',
        greenEnv: {},
        prepareCommand: null,
        launcher: 'process',
        systemdUnit: 'hermes-green@',
        bakeMs: 0,
        timeoutMs: 10_000,
        thresholds: {},
        deadlines: {},
        handoffId: id,
      },
      { host, log: { info: () => {}, warn: () => {} }, progressEveryMs: 60_000 },
    );
  } finally {
    await host.close();
  }
}

/** Kills green with no reply in flight (a kill between a reply and its record is the one-duplicate limit, measured elsewhere). */
async function killQuietly(h: GatewayHarness, pid: number): Promise<void> {
  const resume = await h.quiet();
  await h.kill(pid);
  resume();
}

/** A process's resident memory from /proc, in bytes (0 when unknown). */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function assertGap(s: { max_gap_ms: number }, boundMs: number, why: string): void {
  assert.ok(s.max_gap_ms <= boundMs, `longest time without a poller ${s.max_gap_ms} ms > ${boundMs} ms (${why})`);
}

for (const at of [1_000, 5_000]) {
  test(`green killed ${at / 1000} s into the window: after the restart grace the standby takes back; reverted, blue serves from green's cursors`, async (t) => {
    await withHarness(t, {}, async (h) => {
      const w = await promoteWithWindow(h);
      await sleep(at);
      const killedAt = Date.now();
      await killQuietly(h, w.green.pid);
      const rec = await untilWindowEnded(h, w.id);
      assert.equal(rec.verdict, 'reverted');
      assert.match(rec.reason, new RegExp(`^green \\(pid ${w.green.pid}\\) exited [\\d.]+ (s|min)( \\d+ s)? after promotion; blue resumed from its cursors$`));
      assert.ok(rec.decided_at - killedAt >= RESTART_GRACE_MS - 50, 'the standby waited the restart grace');
      await assertServes(h, w.blue.pid, 'blue, back from standing by');
      const st = await (await h.observer()).status(5_000);
      assert.equal(st.release, 'r0');
      assert.equal(st.last_verdict?.verdict, 'reverted');
      // What the next `mode: status` run reports.
      const out = await statusOf(h, w.id);
      assert.equal(out.verdict, 'reverted');
      assert.equal(out.observation?.state, 'reverted');
      assert.ok(out.reason.startsWith(rec.reason) && /; reverted at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(out.reason), out.reason);
      const s = await h.settle();
      assertClean(s);
      assertGap(s, RESTART_GRACE_MS + SLACK_MS, 'restart grace, then the take-back');
    });
  });
}

test('green hangs (SIGSTOP): no HEALTH for the limit, HANDOFF_ROLLBACK unanswered, SIGKILL after the grace, then the take-back', async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h);
    await sleep(1_000);
    const resume = await h.quiet();
    realOs.kill(w.green.pid, 'SIGSTOP');
    resume();
    assert.equal((await untilWindowEnded(h, w.id)).verdict, 'reverted', 'written before green is stopped');
    await assertServes(h, w.blue.pid, 'blue');
    const rec = readVerdict(h.home, w.id)!;
    assert.match(rec.reason, new RegExp(`^no HEALTH from green \\(pid ${w.green.pid}\\) for [\\d.]+ s \\(limit 2 s\\), .+ after promotion; green did not stop within 3 s and was killed; blue resumed from its cursors$`));
    assert.equal(realOs.isAlive(w.green.pid), false, 'the hung green was killed');
    const s = await h.settle();
    assertClean(s);
    assertGap(s, AGE_MS + GRACE_MS + SLACK_MS, 'heartbeat age + rollback grace');
  });
});

test("green's error burst inside the window: the standby takes back; green stops, hands its cursors back and exits 0", async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h, 'error-burst-after-promotion');
    const rec = await untilWindowEnded(h, w.id);
    assert.equal(rec.verdict, 'reverted');
    assert.match(rec.reason, new RegExp(`^green \\(pid ${w.green.pid}\\): error rate 100% > 20% in 3 consecutive samples, [\\d.]+ s after promotion; blue resumed from its cursors$`));
    assert.equal(await w.green.exited, 0, 'green exits 0: its handoff has a verdict');
    await assertServes(h, w.blue.pid, 'blue');
    const s = await h.settle();
    assertClean(s);
    assertGap(s, 3_000 + SLACK_MS, "green stops before blue polls: green's drain (drain_ms), then blue's resume");
  });
});

test('the standby is killed: green keeps serving, nothing reported as failed; the window is recorded as standby-lost', async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h);
    await sleep(1_000);
    // What the standby keeps: its resident memory, as STATE.standby reports it, beside green's own.
    const sb = await standbyOf(h);
    assert.ok(sb && sb.rss_bytes !== null && sb.rss_bytes > 0, `STATE.standby ${JSON.stringify(sb)}`);
    t.diagnostic(`standby rss ${(sb.rss_bytes! / 2 ** 20).toFixed(1)} MiB; green rss ${(rssOf(w.green.pid) / 2 ** 20).toFixed(1)} MiB`);
    await h.kill(w.blue.pid);
    const rec = await untilWindowEnded(h, w.id, 5_000);
    assert.equal(rec.verdict, 'promoted');
    assert.equal(rec.observation?.outcome, 'standby-lost');
    assert.match(rec.observation?.reason ?? '', new RegExp(`^the standby \\(pid ${w.blue.pid}\\) exited .+ after promotion; green serves unobserved$`));
    await assertServes(h, w.green.pid, 'green');
    const out = await statusOf(h, w.id);
    assert.equal(out.verdict, 'promoted');
    assert.match(out.reason, /; observation ended early: the standby \(pid \d+\) exited/);
    const s = await h.settle();
    assertClean(s);
    assertGap(s, SLACK_MS, 'nothing changes for green');
  });
});

test('a new promotion during the window: RESERVE on green ends the standby first; at most three gateways at any moment, never two standbys', async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h, undefined, 60_000);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, h.alive().length);
        await sleep(25);
      }
    })();
    try {
      const obs = await h.observer();
      const id2 = `${w.id}-2`;
      const t0 = Date.now();
      await obs.reserve({ handoff_id: id2, release: 'r2', runtime: 'claw', bake_ms: 600, thresholds: { max_heartbeat_age_ms: 1_000, latency_floor_ms: 5_000 }, deadlines: { heartbeat_ms: 100, claim_ms: 15_000, ack_ms: 10_050, drain_ms: 3_000, rollback_grace_ms: 3_000 } }, 10_000);
      assert.equal(realOs.isAlive(w.blue.pid), false, 'the old standby left before RESERVED');
      assert.ok(Date.now() - t0 < 5_000, 'well within the 5 s bound');
      const rec = readVerdict(h.home, w.id)!;
      assert.deepEqual(rec.observation && [rec.observation.outcome, rec.observation.reason], ['superseded', `superseded by handoff ${id2}`]);
      assert.equal(await w.blue.exited, 0);
      let verdict: VerdictRecord | null = null;
      await obs.subscribe((e) => {
        if (e.kind === 'verdict' && e.record.handoff_id === id2) verdict = e.record;
      }, 5_000);
      const green2 = h.startGreen({ release: 'r2', handoffId: id2 });
      await until(() => verdict !== null, 30_000, 'the second verdict');
      assert.equal((verdict as unknown as VerdictRecord).verdict, 'promoted');
      await assertServes(h, green2.pid, 'the second green');
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(most <= 3, `${most} gateways alive at once`);
    const s = await h.settle();
    assertClean(s);
    assertGap(s, 3_000 + SLACK_MS, 'the second handover (drain + confirm bound)');
  });
});

test('green restarted by its supervisor inside the restart grace: the standby observes the restarted green; the window passes', async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h);
    await sleep(1_000);
    await killQuietly(h, w.green.pid);
    const again = h.startGreen({ release: 'r1', handoffId: w.id });
    await untilAsync(async () => (await standbyOf(h))?.pid === w.blue.pid, RESTART_GRACE_MS + 5_000, 'the standby attached to the restarted green');
    const during = await statusOf(h, w.id);
    assert.equal(during.verdict, 'promoted');
    assert.equal(during.observation?.state, 'observing');
    assert.match(during.reason, /; observing \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    const rec = await untilWindowEnded(h, w.id);
    assert.equal(rec.verdict, 'promoted', rec.reason);
    assert.equal(rec.observation?.outcome, 'passed');
    assert.equal(await w.blue.exited, 0, 'the standby left at the end of the window');
    await assertServes(h, again.pid, 'the restarted green');
    const out = await statusOf(h, w.id);
    assert.match(out.reason, /; observed: standby exited after 10(\.\d)? s$/);
    const s = await h.settle();
    assertClean(s);
    assertGap(s, 2_000 + SLACK_MS, "the restart: the restarted green's start-up");
  });
});

test('green restarted only after the standby took back: the restarted green exits 0 without serving (its verdict is reverted)', async (t) => {
  await withHarness(t, {}, async (h) => {
    const w = await promoteWithWindow(h);
    await sleep(1_000);
    await killQuietly(h, w.green.pid);
    const rec = await untilWindowEnded(h, w.id);
    assert.equal(rec.verdict, 'reverted');
    await assertServes(h, w.blue.pid, 'blue');
    const again = h.startGreen({ release: 'r1', handoffId: w.id });
    assert.equal(await again.exited, 0, 'exit 0: a supervisor with Restart=on-failure leaves it down');
    await assertServes(h, w.blue.pid, 'blue');
    const s = await h.settle();
    assertClean(s);
    assertGap(s, RESTART_GRACE_MS + SLACK_MS, 'restart grace, then the take-back');
  });
});
