import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { baselineOf, judgeSample, latencyLimit, percentile, promotionReason, summariseHealth, type Baseline, type Breaches, type Reply } from '../../src/protocol/health.ts';
import { DEFAULT_THRESHOLDS, Thresholds } from '../../src/protocol/deadlines.ts';
import type { HealthSample } from '../../src/protocol/frames.ts';

const T = DEFAULT_THRESHOLDS; // 5% errors, 3x latency, 250 ms floor, 3 consecutive
const BASE: Baseline = { latency_p99_ms: 100, replies: 500 };
const ZERO: Breaches = { error: 0, latency: 0 };
let seq = 0;
const sample = (handled: number, errors: number, p99 = 50): HealthSample => ({ seq: seq++, at: 1000 * seq, handled, errors, latency_p50_ms: p99 / 2, latency_p99_ms: p99 });

/** Judges samples in order from no breaches; returns every judgement. */
function run(samples: HealthSample[], t: Thresholds = T, baseline: Baseline = BASE) {
  let prev = ZERO;
  return samples.map((s) => {
    const j = judgeSample(s, baseline, t, prev);
    prev = j.breaches;
    return j;
  });
}

test('latencyLimit is the baseline times the factor, never below the floor', () => {
  assert.equal(latencyLimit({ latency_p99_ms: 100, replies: 100 }, T), 300);
  assert.equal(latencyLimit({ latency_p99_ms: 10, replies: 100 }, T), 250);
  assert.equal(latencyLimit({ latency_p99_ms: 0, replies: 100 }, { ...T, latency_floor_ms: 0 }), 0);
  assert.equal(latencyLimit({ latency_p99_ms: 200, replies: 100 }, { ...T, max_latency_factor: 1.5 }), 300);
});

test('a healthy sample breaches nothing and resets the counts', () => {
  const j = judgeSample(sample(100, 5, 300), BASE, T, { error: 2, latency: 2 });
  assert.deepEqual(j, { breaches: { error: 0, latency: 0 }, reason: null }, 'exactly at the limits is not a breach');
});

test('error rate: three consecutive breaches roll back, with the reason', () => {
  const js = run([sample(100, 10), sample(100, 6), sample(1000, 72)]);
  assert.deepEqual(
    js.map((j) => j.breaches.error),
    [1, 2, 3],
  );
  assert.deepEqual(
    js.map((j) => j.reason),
    [null, null, 'error rate 7.2% > 5% in 3 consecutive samples'],
  );
});

test('error rate: a healthy sample in between starts the count again', () => {
  const js = run([sample(100, 10), sample(100, 10), sample(100, 0), sample(100, 10), sample(100, 10)]);
  assert.deepEqual(
    js.map((j) => j.breaches.error),
    [1, 2, 0, 1, 2],
  );
  assert.ok(js.every((j) => j.reason === null));
});

test('idle samples (nothing handled, no errors) neither breach nor reset', () => {
  const js = run([sample(100, 10), sample(0, 0, 9999), sample(100, 10), sample(0, 0), sample(100, 10)]);
  assert.deepEqual(
    js.map((j) => j.breaches.error),
    [1, 1, 2, 2, 3],
  );
  assert.equal(js[1]!.breaches.latency, 0, 'the latency of an idle sample is not judged');
  assert.equal(js[4]!.reason, 'error rate 10% > 5% in 3 consecutive samples');
});

test('a sample with errors and nothing handled is a 100% error rate, not idle', () => {
  const js = run([sample(0, 4), sample(0, 1), sample(0, 9)]);
  assert.deepEqual(
    js.map((j) => j.breaches.error),
    [1, 2, 3],
  );
  assert.equal(js[2]!.reason, 'error rate 100% > 5% in 3 consecutive samples');
  // More errors than messages handled is clamped to 100%.
  assert.equal(run([sample(2, 5)], { ...T, consecutive: 1 })[0]!.reason, 'error rate 100% > 5% in 1 sample');
});

test('a rate that rounds to the limit is shown with enough digits to differ', () => {
  const r = run([sample(10_000, 504)], { ...T, consecutive: 1 })[0]!.reason;
  assert.equal(r, 'error rate 5.04% > 5% in 1 sample');
  assert.equal(run([sample(1000, 101)], { ...T, max_error_rate: 0.1, consecutive: 1 })[0]!.reason, 'error rate 10.1% > 10% in 1 sample');
  assert.equal(run([sample(1, 1)], { ...T, max_error_rate: 0, consecutive: 1 })[0]!.reason, 'error rate 100% > 0% in 1 sample');
});

test('latency: judged against the larger of factor x baseline and the floor', () => {
  // baseline 100 ms x3 = 300 ms limit
  assert.deepEqual(
    run([sample(10, 0, 300), sample(10, 0, 301)], { ...T, consecutive: 1 }).map((j) => j.reason),
    [null, "p99 reply latency 301 ms > 300 ms (3x blue's 100 ms, floor 250 ms) in 1 sample"],
  );
  // baseline 10 ms x3 = 30 ms, but the floor is 250 ms
  const low: Baseline = { latency_p99_ms: 10, replies: 100 };
  assert.deepEqual(
    run([sample(10, 0, 249), sample(10, 0, 250), sample(10, 0, 251)], { ...T, consecutive: 1 }, low).map((j) => j.reason),
    [null, null, "p99 reply latency 251 ms > 250 ms (3x blue's 10 ms, floor 250 ms) in 1 sample"],
  );
  const js = run([sample(10, 0, 900), sample(10, 0, 900), sample(10, 0, 1200.4)]);
  assert.deepEqual(
    js.map((j) => j.breaches.latency),
    [1, 2, 3],
  );
  assert.equal(js[2]!.reason, "p99 reply latency 1.2 s > 300 ms (3x blue's 100 ms, floor 250 ms) in 3 consecutive samples");
  // A latency that rounds to the limit keeps a decimal.
  assert.equal(
    run([sample(10, 0, 300.4)], { ...T, consecutive: 1 })[0]!.reason,
    "p99 reply latency 300.4 ms > 300 ms (3x blue's 100 ms, floor 250 ms) in 1 sample",
  );
});

test('error and latency counts are kept apart; the error reason wins when both are due', () => {
  const js = run([sample(100, 10, 50), sample(100, 0, 900), sample(100, 10, 900), sample(100, 10, 900), sample(100, 10, 900)]);
  assert.deepEqual(
    js.map((j) => [j.breaches.error, j.breaches.latency]),
    [
      [1, 0],
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ],
  );
  assert.match(js[3]!.reason ?? '', /^p99 reply latency 900 ms > 300 ms/);
  assert.equal(js[4]!.reason, 'error rate 10% > 5% in 3 consecutive samples');
});

test('judgeSample does not change what it is given', () => {
  const prev = { error: 1, latency: 1 };
  const t = { ...T };
  const b = { ...BASE };
  const s = sample(100, 50, 1000);
  judgeSample(s, b, t, prev);
  assert.deepEqual(prev, { error: 1, latency: 1 });
  assert.deepEqual(t, T);
  assert.deepEqual(b, BASE);
});

test('summariseHealth: heartbeats, messages, overall error rate and worst p99', () => {
  assert.equal(summariseHealth([]), '0 heartbeats, 0 messages, error rate 0%, worst p99 0 ms');
  assert.equal(summariseHealth([sample(100, 1, 40), sample(0, 0), sample(300, 2, 120.6)]), '3 heartbeats, 400 messages, error rate 0.8%, worst p99 121 ms');
  assert.equal(summariseHealth([sample(0, 3)]), '1 heartbeat, 0 messages, error rate 100%, worst p99 50 ms');
  assert.equal(summariseHealth([sample(3, 1)]), '1 heartbeat, 3 messages, error rate 33.3%, worst p99 50 ms');
});

const thresholdsArb = fc.record({
  max_error_rate: fc.double({ min: 0, max: 1, noNaN: true }),
  max_latency_factor: fc.double({ min: 1, max: 100, noNaN: true }),
  latency_floor_ms: fc.double({ min: 0, max: 1e5, noNaN: true }),
  max_heartbeat_age_ms: fc.integer({ min: 1, max: 1e6 }),
  consecutive: fc.integer({ min: 1, max: 100 }),
  expected_latency_ms: fc.integer({ min: 1, max: 1e6 }),
  min_messages: fc.nat({ max: 1000 }),
});
const sampleArb = fc.record({
  seq: fc.nat(),
  at: fc.nat(),
  handled: fc.oneof(fc.constant(0), fc.nat({ max: 1e6 })),
  errors: fc.oneof(fc.constant(0), fc.nat({ max: 1e6 })),
  latency_p50_ms: fc.double({ min: 0, max: 1e7, noNaN: true }),
  latency_p99_ms: fc.double({ min: 0, max: 1e7, noNaN: true }),
});

test('property: counts move by one or reset, a reason comes exactly when a count reaches the threshold', () => {
  fc.assert(
    fc.property(
      thresholdsArb,
      fc.record({ latency_p99_ms: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })), replies: fc.nat({ max: 1000 }) }),
      fc.array(sampleArb, { maxLength: 40 }),
      (t, baseline, samples) => {
        assert.ok(Thresholds.safeParse(t).success);
        let prev = ZERO;
        for (const s of samples) {
          const j = judgeSample(s, baseline, t, prev);
          if (s.handled === 0 && s.errors === 0) assert.deepEqual(j.breaches, prev);
          else {
            assert.ok(j.breaches.error === 0 || j.breaches.error === prev.error + 1);
            assert.ok(j.breaches.latency === 0 || j.breaches.latency === prev.latency + 1);
          }
          const due = j.breaches.error >= t.consecutive || j.breaches.latency >= t.consecutive;
          const moved = j.breaches.error > prev.error || j.breaches.latency > prev.latency;
          assert.equal(j.reason !== null, due && moved, JSON.stringify({ s, prev, j }));
          if (j.reason !== null) assert.match(j.reason, / in (1 sample|\d+ consecutive samples)$/);
          prev = j.breaches;
        }
        assert.equal(typeof summariseHealth(samples), 'string');
      },
    ),
    { numRuns: 300 },
  );
});

test('no baseline: the expected latency stands in, and the reason says blue had too few replies', () => {
  const none: Baseline = { latency_p99_ms: null, replies: 3 };
  assert.equal(latencyLimit(none, T), 15_000);
  const js = run([sample(10, 0, 14_000), sample(10, 0, 15_001), sample(10, 0, 16_000), sample(10, 0, 17_000)], T, none);
  assert.deepEqual(
    js.map((j) => j.reason),
    [null, null, null, 'p99 reply latency 17 s > 15 s (3x expected 5 s, no baseline: blue answered 3 messages, floor 250 ms) in 3 consecutive samples'],
  );
  const one = run([sample(10, 0, 16_000)], { ...T, consecutive: 1 }, { latency_p99_ms: null, replies: 1 });
  assert.match(one[0]!.reason ?? '', /no baseline: blue answered 1 message,/);
  // The incident of issue 11: an LLM-backed green after a quiet hour is not rolled back for normal replies.
  assert.deepEqual(run([sample(1, 0, 615), sample(1, 0, 615), sample(1, 0, 615)], T, { latency_p99_ms: null, replies: 0 }).map((j) => j.reason), [null, null, null]);
});

const reply = (at: number, latency_ms: number): Reply => ({ at, latency_ms, error: false });

test('baselineOf: the last minute when it holds 20 replies, else the last 1000, else none', () => {
  const now = 1_000_000;
  const busy = Array.from({ length: 30 }, (_, i) => reply(now - 1_000 * i, i + 1)).reverse();
  assert.deepEqual(baselineOf(busy, now), { latency_p99_ms: 30, replies: 30 });
  // 10 recent replies, 40 older ones: the last 1000 (all 50) count.
  const old = Array.from({ length: 40 }, (_, i) => reply(now - 3_600_000 + i, 1_000 + i));
  const quiet = [...old, ...Array.from({ length: 10 }, (_, i) => reply(now - 5_000 + i, 7))];
  assert.deepEqual(baselineOf(quiet, now), { latency_p99_ms: 1_039, replies: 50 });
  assert.deepEqual(baselineOf(quiet.slice(-19), now), { latency_p99_ms: null, replies: 19 });
  assert.deepEqual(baselineOf([], now), { latency_p99_ms: null, replies: 0 });
  // Only the last 1000 count.
  const many = [...Array.from({ length: 500 }, () => reply(0, 9_999)), ...Array.from({ length: 1_000 }, () => reply(1, 5))];
  assert.deepEqual(baselineOf(many, now), { latency_p99_ms: 5, replies: 1_000 });
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([], 99), 0);
  assert.equal(percentile([5], 99), 5);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  assert.equal(percentile(Array.from({ length: 200 }, (_, i) => 200 - i), 99), 198);
  assert.equal(percentile([3, 1, 2], 50), 2);
});

test('promotionReason: judged, or too little traffic to judge; notes follow', () => {
  const samples = [sample(6, 0, 40), sample(5, 0, 60)];
  assert.equal(promotionReason(300_000, samples, T), 'bake of 5 min passed: 2 heartbeats, 11 messages, error rate 0%, worst p99 60 ms');
  assert.equal(promotionReason(300_000, [sample(0, 0)], T), 'bake of 5 min passed with too little traffic to judge: 1 heartbeat, 0 messages (fewer than 10)');
  assert.equal(promotionReason(3_000, samples, { ...T, min_messages: 12 }, ['note a']), 'bake of 3 s passed with too little traffic to judge: 2 heartbeats, 11 messages (fewer than 12); note a');
  assert.equal(promotionReason(3_000, [], { ...T, min_messages: 0 }), 'bake of 3 s passed: 0 heartbeats, 0 messages, error rate 0%, worst p99 0 ms');
});
