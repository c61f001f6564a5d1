// Percentile summaries of the bench's samples (nearest rank, as the platform reports its own).
import { percentileOfSorted, roundMs } from '../../examples/gateway/percentiles.ts';

/** p50, p99, max and count of a set of millisecond samples. */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** p50/p99/max (nearest rank) and count of `values`, rounded to microseconds; all 0 when empty. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: roundMs(percentileOfSorted(sorted, 50)),
    p99: roundMs(percentileOfSorted(sorted, 99)),
    max: roundMs(sorted[sorted.length - 1] ?? 0),
    n: sorted.length,
  };
}

/** The median of `values` (the lower middle for an even count); 0 when empty. */
export function median(values: readonly number[]): number {
  return roundMs(percentileOfSorted([...values].sort((a, b) => a - b), 50));
}

/** `a / b` rounded to 0.01, or null when either is missing or `b` is not positive. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !(b > 0)) return null;
  return Math.round((a / b) * 100) / 100;
}
