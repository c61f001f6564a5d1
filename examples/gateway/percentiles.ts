// Percentiles by the nearest-rank method, shared by the fake platform and the adapters.

/** The p-th percentile (0..100) of `sorted` (ascending) by nearest rank; 0 when it is empty. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? 0;
}

/** p50 and p99 of `values` (any order; not modified); both 0 when it is empty. */
export function p50p99(values: readonly number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99) };
}

/** `ms` rounded to microseconds, so reports keep sub-millisecond precision without float noise. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
