import type { HealthSample } from './frames.ts';
import type { Thresholds } from './deadlines.ts';

/** Blue's own recent behaviour, which green's samples are compared with. */
export interface Baseline {
  error_rate: number;
  latency_p99_ms: number;
}

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

/** `x` with at most `digits` decimals and no trailing zeros. */
const num = (x: number, digits: number) => String(+x.toFixed(digits));

/** A fraction as a percentage, with more decimals while it would read the same as `other`. */
function pct(x: number, other?: number): string {
  let d = 1;
  while (d < 4 && other !== undefined && x !== other && num(x * 100, d) === num(other * 100, d)) d++;
  return `${num(x * 100, d)}%`;
}

/** Milliseconds rounded, with a decimal while it would read the same as `other`. */
const ms = (x: number, other?: number) => (other !== undefined && x !== other && Math.round(x) === Math.round(other) ? num(x, 1) : String(Math.round(x)));

/** A sample's error rate, 0..1. A peer that counts errors apart from what it handled can report more errors than messages. */
const errorRate = (s: HealthSample) => (s.errors === 0 ? 0 : s.errors / Math.max(s.handled, s.errors));

/** The latency above which a green sample breaches, in ms. */
export function latencyLimit(baseline: Baseline, t: Thresholds): number {
  return Math.max(baseline.latency_p99_ms * t.max_latency_factor, t.latency_floor_ms);
}

/**
 * Judges one HEALTH sample against blue's baseline; pure. Idle samples (nothing handled, no errors)
 * reset nothing and breach nothing; errors with nothing handled are a 100% error rate.
 */
export function judgeSample(sample: HealthSample, baseline: Baseline, t: Thresholds, prev: Breaches): Judgement {
  if (sample.handled === 0 && sample.errors === 0) return { breaches: prev, reason: null };
  const rate = errorRate(sample);
  const limit = latencyLimit(baseline, t);
  const breaches: Breaches = {
    error: rate > t.max_error_rate ? prev.error + 1 : 0,
    latency: sample.latency_p99_ms > limit ? prev.latency + 1 : 0,
  };
  const n = t.consecutive;
  const samples = n === 1 ? '1 sample' : `${n} consecutive samples`;
  if (breaches.error >= n) {
    return { breaches, reason: `error rate ${pct(rate, t.max_error_rate)} > ${pct(t.max_error_rate)} in ${samples}` };
  }
  if (breaches.latency >= n) {
    const p99 = sample.latency_p99_ms;
    return {
      breaches,
      reason: `p99 reply latency ${ms(p99, limit)} ms > ${ms(limit)} ms (${num(t.max_latency_factor, 2)}x blue's ${ms(baseline.latency_p99_ms)} ms, floor ${ms(t.latency_floor_ms)} ms) in ${samples}`,
    };
  }
  return { breaches, reason: null };
}

/** A one-line account of green's health over the bake, for the promotion reason. */
export function summariseHealth(samples: readonly HealthSample[]): string {
  const handled = samples.reduce((a, s) => a + s.handled, 0);
  const errors = samples.reduce((a, s) => a + s.errors, 0);
  const p99 = samples.reduce((a, s) => Math.max(a, s.latency_p99_ms), 0);
  const rate = errors === 0 ? 0 : errors / Math.max(handled, errors);
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  return `${n(samples.length, 'heartbeat')}, ${n(handled, 'message')}, error rate ${pct(rate)}, worst p99 ${Math.round(p99)} ms`;
}
