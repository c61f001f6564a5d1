// Which bake samples the health table shows when there are too many: the ones that matter first.
import type { HealthSample } from '../protocol/frames.ts';

/** A sample's error rate, 0 when it handled nothing. */
export function errorRate(h: HealthSample): number {
  return h.handled > 0 ? h.errors / h.handled : 0;
}

/**
 * Up to `n` of `samples` in order: the first and the last, the last run of consecutive samples with
 * errors (the breach a rollback names), every other sample with errors (worst rate first), the worst
 * p99 latencies, then an even spread. A sample with errors is never dropped while a quieter one is shown.
 */
export function pickSamples(samples: HealthSample[], n: number): HealthSample[] {
  if (samples.length <= n) return samples;
  const keep = new Set<number>();
  const add = (i: number) => {
    if (keep.size < n && i >= 0 && i < samples.length) keep.add(i);
  };
  add(0);
  add(samples.length - 1);
  // The final run of samples with errors, from its end backwards (at most half the rows).
  let end = samples.length - 1;
  while (end >= 0 && (samples[end]?.errors ?? 0) === 0) end--;
  for (let i = end, taken = 0; i >= 0 && (samples[i]?.errors ?? 0) > 0 && taken < Math.floor(n / 2); i--, taken++) add(i);
  const idx = samples.map((_, i) => i);
  const byRate = idx.filter((i) => (samples[i]?.errors ?? 0) > 0).sort((a, b) => errorRate(samples[b]!) - errorRate(samples[a]!) || a - b);
  for (const i of byRate) add(i);
  const byP99 = [...idx].sort((a, b) => samples[b]!.latency_p99_ms - samples[a]!.latency_p99_ms || a - b);
  for (const i of byP99.slice(0, 3)) add(i);
  for (let k = 0; keep.size < n && k < n; k++) add(Math.round((k * (samples.length - 1)) / (n - 1)));
  for (let i = 0; keep.size < n && i < samples.length; i++) add(i);
  return [...keep].sort((a, b) => a - b).map((i) => samples[i]!);
}
