import type { HealthSample } from './frames.ts';
import { BASELINE_MAX_REPLIES, BASELINE_MIN_REPLIES, BASELINE_WINDOW_MS, type Thresholds } from './deadlines.ts';
import { formatDuration, formatNumber, formatPercent, plural } from './format.ts';

/**
 * One reply a gateway sent: `latency_ms` runs from the moment the gateway read the message from the
 * platform (the poll or dispatch that carried it arrived) to the moment the platform accepted the
 * reply, which is `at` (epoch ms).
 */
export interface Reply {
  at: number;
  latency_ms: number;
  error: boolean;
}

/** Blue's own recent p99 reply latency, which green's samples are compared with; null when blue has too few replies to tell. */
export interface Baseline {
  latency_p99_ms: number | null;
  /** How many replies the baseline was taken over (when null: how many blue had). */
  replies: number;
}

/** The baseline of a blue that has answered nothing. */
export const NO_BASELINE: Baseline = { latency_p99_ms: null, replies: 0 };

/** Consecutive breaching samples so far, by kind. */
export interface Breaches {
  error: number;
  latency: number;
}

export interface Judgement {
  breaches: Breaches;
  /** Set when the sample completes a run of breaches long enough to roll back. */
  reason: string | null;
}

/** The p-th percentile (0..100) of `values` by nearest rank (sorted ascending, the ceil(p/100 x n)-th); 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Blue's baseline from its replies (oldest first, the last BASELINE_MAX_REPLIES or more): the p99 of
 * those of the last minute when there are at least BASELINE_MIN_REPLIES, else of the last
 * BASELINE_MAX_REPLIES when there are that many, else none.
 */
export function baselineOf(replies: readonly Reply[], now: number): Baseline {
  const last = replies.slice(-BASELINE_MAX_REPLIES);
  const recent = last.filter((r) => r.at >= now - BASELINE_WINDOW_MS);
  const over = recent.length >= BASELINE_MIN_REPLIES ? recent : last.length >= BASELINE_MIN_REPLIES ? last : null;
  if (!over) return { latency_p99_ms: null, replies: last.length };
  return { latency_p99_ms: percentile(over.map((r) => r.latency_ms), 99), replies: over.length };
}

/** A sample with nothing handled and no errors: it neither breaches nor resets a count. */
const isIdle = (s: Pick<HealthSample, 'handled' | 'errors'>) => s.handled === 0 && s.errors === 0;

/** A sample's error rate, 0..1. A peer that counts errors apart from what it handled can report more errors than messages. */
const errorRate = (s: Pick<HealthSample, 'handled' | 'errors'>) => (s.errors === 0 ? 0 : s.errors / Math.max(s.handled, s.errors));

/** The latency above which a green sample breaches, in ms. */
export function latencyLimit(baseline: Baseline, t: Thresholds): number {
  return Math.max((baseline.latency_p99_ms ?? t.expected_latency_ms) * t.max_latency_factor, t.latency_floor_ms);
}

/**
 * Judges one HEALTH sample against blue's baseline; pure. Idle samples (nothing handled, no errors)
 * reset nothing and breach nothing, so quiet minutes between bad ones cannot hide a failing green;
 * errors with nothing handled are a 100% error rate.
 */
export function judgeSample(sample: HealthSample, baseline: Baseline, t: Thresholds, prev: Breaches): Judgement {
  if (isIdle(sample)) return { breaches: prev, reason: null };
  const rate = errorRate(sample);
  const limit = latencyLimit(baseline, t);
  const breaches: Breaches = {
    error: rate > t.max_error_rate ? prev.error + 1 : 0,
    latency: sample.latency_p99_ms > limit ? prev.latency + 1 : 0,
  };
  const n = t.consecutive;
  const samples = n === 1 ? '1 sample' : `${n} consecutive samples`;
  if (breaches.error >= n) {
    return { breaches, reason: `error rate ${formatPercent(rate, t.max_error_rate)} > ${formatPercent(t.max_error_rate)} in ${samples}` };
  }
  if (breaches.latency >= n) {
    const factor = `${formatNumber(t.max_latency_factor, 2)}x`;
    const base =
      baseline.latency_p99_ms === null
        ? `${factor} expected ${formatDuration(t.expected_latency_ms)}, no baseline: blue answered ${plural(baseline.replies, 'message')}`
        : `${factor} blue's ${formatDuration(baseline.latency_p99_ms)}`;
    return {
      breaches,
      reason: `p99 reply latency ${formatDuration(sample.latency_p99_ms, limit)} > ${formatDuration(limit)} (${base}, floor ${formatDuration(t.latency_floor_ms)}) in ${samples}`,
    };
  }
  return { breaches, reason: null };
}

/** What a HEALTH at or after the bake's deadline decides, once `judgeSample` completed no breach run. */
export type BakeEnd = { kind: 'promote' } | { kind: 'judge-on' } | { kind: 'roll-back'; reason: string };

/**
 * Ends the bake on a HEALTH at or after its deadline (`late`: how many such samples so far, this one
 * included); pure. No breach run open: promote. A run open: judge on, since the bake must not pass a
 * green that is failing as it ends; the run completes or a clean sample closes it within
 * `consecutive` samples unless idle ones follow it, so the `consecutive`-th late sample with the run
 * still open rolls back.
 */
export function bakeEnd(samples: readonly HealthSample[], breaches: Breaches, late: number, baseline: Baseline, t: Thresholds): BakeEnd {
  if (breaches.error === 0 && breaches.latency === 0) return { kind: 'promote' };
  if (late < t.consecutive) return { kind: 'judge-on' };
  let idle = 0;
  while (idle < samples.length && isIdle(samples[samples.length - 1 - idle]!)) idle += 1;
  const last = samples[samples.length - 1 - idle];
  const what =
    breaches.error > 0
      ? `error rate ${formatPercent(last ? errorRate(last) : 1, t.max_error_rate)} > ${formatPercent(t.max_error_rate)}`
      : `p99 reply latency ${formatDuration(last?.latency_p99_ms ?? 0, latencyLimit(baseline, t))} > ${formatDuration(latencyLimit(baseline, t))}`;
  const k = breaches.error > 0 ? breaches.error : breaches.latency;
  return {
    kind: 'roll-back',
    reason: `${what} in the last ${plural(k, 'sample')} with traffic as the bake ended, then ${plural(idle, 'idle heartbeat')}: green never showed it recovered`,
  };
}

/** A one-line account of green's health over the bake. */
export function summariseHealth(samples: readonly HealthSample[]): string {
  const handled = samples.reduce((a, s) => a + s.handled, 0);
  const errors = samples.reduce((a, s) => a + s.errors, 0);
  const p99 = samples.reduce((a, s) => Math.max(a, s.latency_p99_ms), 0);
  return `${plural(samples.length, 'heartbeat')}, ${plural(handled, 'message')}, error rate ${formatPercent(errorRate({ handled, errors }))}, worst p99 ${formatDuration(p99)}`;
}

/** The reason of a promotion: the bake passed, judged or with too little traffic to judge; `notes` (green's, from CONFIRM) follow. */
export function promotionReason(bakeMs: number, samples: readonly HealthSample[], t: Thresholds, notes: readonly string[] = []): string {
  const handled = samples.reduce((a, s) => a + s.handled, 0);
  const head =
    handled < t.min_messages
      ? `bake of ${formatDuration(bakeMs)} passed with too little traffic to judge: ${plural(samples.length, 'heartbeat')}, ${plural(handled, 'message')} (fewer than ${t.min_messages})`
      : `bake of ${formatDuration(bakeMs)} passed: ${summariseHealth(samples)}`;
  return [head, ...notes].join('; ');
}
