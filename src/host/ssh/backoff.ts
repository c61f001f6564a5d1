/** Delay before reconnect attempt `n` (1-based): the first is immediate, then base, 2*base, 4*base... capped at max. */
export function backoffDelay(n: number, baseDelayMs: number, maxDelayMs: number): number {
  if (n <= 1) return 0;
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 2));
}
