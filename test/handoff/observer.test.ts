// An observer that arrives in the middle of the bake: STATE first, then every EVENT through to the verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObserverEvent } from '../../src/peer/observer.ts';
import { withHarness } from '../support/gateway-harness.ts';
import { assertClean, assertServes } from './expect.ts';

/** `p`, or a rejection naming `what` after `ms`. */
function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

test('an observer subscribing mid-bake gets the STATE, then EVENTs through to the verdict', async (t) => {
  await withHarness(t, {}, async (h) => {
    const blue = await h.startBlue({ release: 'r0' });
    const promotion = h.promote({ release: 'r1', bakeMs: 2_000 });

    // Wait until the bake is under way, looking from the outside only: a first observer sees two
    // HEALTH beats of the bake (so the late one arrives well inside it, not at its start).
    const probe = await h.observer();
    t.after(() => probe.close());
    let beats = 0;
    let midBake: () => void = () => {};
    const inBake = new Promise<void>((r) => (midBake = r));
    await probe.subscribe((e) => {
      if (e.kind === 'health' && ++beats === 2) midBake();
    }, 5_000);
    await deadline(inBake, 20_000, 'two HEALTH beats of the bake');
    probe.close();

    const late = await h.observer();
    t.after(() => late.close());
    const events: ObserverEvent[] = [];
    let verdictSeen: () => void = () => {};
    const gotVerdict = new Promise<void>((r) => (verdictSeen = r));
    const state = await late.subscribe((e) => {
      events.push(e);
      if (e.kind === 'verdict') verdictSeen();
    }, 5_000);

    assert.equal(state.phase, 'baking');
    assert.ok(state.handoff, 'STATE names the handoff under way');
    const id = state.handoff.id;
    assert.equal(state.handoff.release, 'r1');
    assert.ok(state.handoff.green_pid, 'STATE names green');
    assert.ok(state.handoff.bake_started_at, 'STATE says when the bake started');
    assert.deepEqual(
      state.timeline.map((e) => e.phase),
      ['reserved', 'init', 'draining', 'active', 'baking'],
      'STATE carries the timeline so far',
    );

    await gotVerdict;
    const out = await promotion;
    assert.equal(out.verdict, 'promoted', out.reason);
    assert.equal(out.handoff_id, id);

    // Health beats while baking, then the phase change, then the verdict last.
    const kinds = events.map((e) => (e.kind === 'phase' ? `phase:${e.phase}` : e.kind));
    const firstHealth = kinds.indexOf('health');
    const complete = kinds.indexOf('phase:complete');
    assert.ok(firstHealth >= 0, `HEALTH events during the bake: ${kinds.join(', ')}`);
    assert.ok(complete > firstHealth, `phase complete after the heartbeats: ${kinds.join(', ')}`);
    assert.equal(kinds.at(-1), 'verdict', `the verdict comes last: ${kinds.join(', ')}`);
    for (const e of events) {
      if (e.kind === 'health' || e.kind === 'phase') assert.equal(e.handoff_id, id);
    }
    const v = events.at(-1);
    assert.ok(v && v.kind === 'verdict');
    assert.equal(v.record.handoff_id, id);
    assert.equal(v.record.verdict, 'promoted');
    assert.equal(v.record.reason, out.reason);
    // The health samples continue the sequence the bake started with: none repeated, none out of order.
    const seqs = events.flatMap((e) => (e.kind === 'health' ? [e.sample.seq] : []));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);

    await assertServes(h, out.green_pid!, 'green');
    assert.equal(await blue.exited, 0);
    assertClean(await h.settle());
  });
});
