// The honest limit: SIGKILL blue or green at a random instant of a handoff, several times. A process
// killed between sending a reply and recording it answers that message twice, never loses it: at most
// one duplicate per reply in flight, so with each adapter answering one message at a time
// (--concurrency 1), at most one per adapter (two here: Telegram and Discord) per kill.
// HANDOFF_KILL_SEED=N reruns a given sequence of kills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, withHarness, type GatewayHarness } from '../support/gateway-harness.ts';

const ROUNDS = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until one gateway serves (alive alone, answering on the socket); restarts a blue when none is left, as a supervisor would. */
async function untilOneServes(h: GatewayHarness, restartRelease: string): Promise<{ pid: number; restarted: boolean }> {
  const by = Date.now() + 15_000;
  let noneSince: number | null = null;
  for (;;) {
    const alive = h.alive();
    if (alive.length === 1 && (await h.socketPid()) === alive[0]) return { pid: alive[0]!, restarted: false };
    if (alive.length === 0) {
      noneSince ??= Date.now();
      if (Date.now() - noneSince > 1_500) {
        const b = await h.startBlue({ release: restartRelease }, true);
        return { pid: b.pid, restarted: true };
      }
    } else noneSince = null;
    if (Date.now() > by) throw new Error(`no single gateway serving 15 s after the kill: alive ${alive.join(', ') || 'none'}`);
    await sleep(50);
  }
}

test(`kills at random instants of a handoff (${ROUNDS}): lost = 0 and duplicated <= one per adapter per kill`, async (t) => {
  const seed = process.env.HANDOFF_KILL_SEED ? Number(process.env.HANDOFF_KILL_SEED) : Math.floor(Math.random() * 2 ** 31);
  t.diagnostic(`seed=${seed} (rerun with HANDOFF_KILL_SEED=${seed})`);
  const rnd = seededRandom(seed);
  await withHarness(t, { concurrency: 1 }, async (h) => {
    await h.startBlue({ release: 'r0' });
    // How long a handoff takes on this machine now, from promote() to its verdict: the kills fall in there.
    const t0 = Date.now();
    const calibration = await h.promote({ release: 'r0-calibration' });
    const span = Date.now() - t0;
    assert.equal(calibration.verdict, 'promoted', calibration.reason);
    let serving = calibration.green_pid!;
    let kills = 0;
    let restarts = 0;
    const seen: string[] = [`a handoff takes ${span} ms here: kills fall in [0, ${span}) ms`];
    for (let round = 1; round <= ROUNDS; round++) {
      const victimRole = rnd() < 0.5 ? 'blue' : 'green';
      const delay = Math.floor(rnd() * span);
      const blue = serving;
      let phase = 'starting';
      let settled = false;
      const promotion = h.promote({ release: `r${round}`, onPhase: (p) => (phase = p) }).finally(() => (settled = true));
      await sleep(delay);
      let victim: number | null = victimRole === 'blue' ? blue : null;
      // Green is whichever other gateway of this home runs: if it has not started yet, it dies as it starts.
      while (victim === null && !settled) {
        victim = h.alive().find((p) => p !== blue) ?? null;
        if (victim === null) await sleep(2);
      }
      let what = `round ${round}: ${victimRole} at +${delay} ms`;
      if (victim !== null && !settled && h.alive().includes(victim)) {
        what += ` (phase ${phase} as the promotion saw it): killed pid ${victim}`;
        await h.kill(victim, 'SIGKILL');
        kills++;
      } else {
        what += ': the handoff was over, no kill';
      }
      const out = await promotion;
      const next = await untilOneServes(h, `r${round}-restarted`);
      if (next.restarted) restarts++;
      serving = next.pid;
      seen.push(`${what} -> ${out.verdict} (${out.reason})${next.restarted ? '; nobody served: blue restarted' : ''}`);
    }
    const s = await h.settle();
    const summary = `kills=${kills} duplicated=${s.duplicated} lost=${s.lost} conflicts=${s.conflicts} restarts=${restarts} produced=${s.produced} replied=${s.replied}`;
    for (const line of seen) t.diagnostic(line);
    t.diagnostic(summary);
    // A round whose kill came after the handoff was over tests nothing: most rounds must really kill.
    assert.ok(kills >= Math.ceil(ROUNDS / 2), `at least ${Math.ceil(ROUNDS / 2)} of ${ROUNDS} rounds killed a gateway mid-handoff: ${summary}`);
    assert.equal(s.pending, 0, `everything produced was answered in the end: ${summary}`);
    assert.equal(s.lost, 0, summary);
    assert.ok(s.duplicated <= 2 * kills, `at most one duplicate per adapter per kill: ${summary}`);
  });
});
