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

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The latency above which a green sample breaches, in ms. */
export function latencyLimit(baseline: Baseline, t: Thresholds): number {
  return Math.max(baseline.latency_p99_ms * t.max_latency_factor, t.latency_floor_ms);
}

/** Judges one HEALTH sample against blue's baseline; pure. Idle samples (nothing handled) reset nothing and breach nothing. */
export function judgeSample(sample: HealthSample, baseline: Baseline, t: Thresholds, prev: Breaches): Judgement {
  if (sample.handled === 0) return { breaches: prev, reason: null };
  const rate = sample.errors / sample.handled;
  const limit = latencyLimit(baseline, t);
  const breaches: Breaches = {
    error: rate > t.max_error_rate ? prev.error + 1 : 0,
    latency: sample.latency_p99_ms > limit ? prev.latency + 1 : 0,
  };
  const n = t.consecutive;
  const samples = n === 1 ? 'sample' : `${n} consecutive samples`;
  if (breaches.error >= n) {
    return { breaches, reason: `error rate ${pct(rate)} > ${pct(t.max_error_rate)} in ${samples}` };
  }
  if (breaches.latency >= n) {
    return {
      breaches,
      reason: `p99 reply latency ${Math.round(sample.latency_p99_ms)} ms > ${Math.round(limit)} ms (${t.max_latency_factor}x blue's ${Math.round(baseline.latency_p99_ms)} ms, floor ${t.latency_floor_ms} ms) in ${samples}`,
    };
  }
  return { breaches, reason: null };
}

/** A one-line account of green's health over the bake, for the promotion reason. */
export function summariseHealth(samples: readonly HealthSample[]): string {
  const handled = samples.reduce((a, s) => a + s.handled, 0);
  const errors = samples.reduce((a, s) => a + s.errors, 0);
  const p99 = samples.reduce((a, s) => Math.max(a, s.latency_p99_ms), 0);
  const rate = handled > 0 ? errors / handled : 0;
  return `${samples.length} heartbeats, ${handled} messages, error rate ${pct(rate)}, worst p99 ${Math.round(p99)} ms`;
}
