// The one formatting rule for durations and percentages in every reason and note (docs/protocol.md
// section 4.1; conformance/format.json holds the vectors both implementations pass).

/** `x` rounded half away from zero to at most `digits` decimals, without trailing zeros ("7.2", "5", "0.25"). */
export function formatNumber(x: number, digits: number): string {
  // toFixed rounds the exact binary value, half away from zero; the unary + drops trailing zeros.
  return String(+x.toFixed(digits));
}

/** Whole milliseconds, rounded half up; anything that is not a finite number >= 0 counts as 0. */
function wholeMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : 0;
}

function plain(ms: number): string {
  const n = wholeMs(ms);
  if (n < 1_000) return `${n} ms`;
  const tenths = Math.floor((n + 50) / 100);
  if (tenths < 600) return `${Math.floor(tenths / 10)}${tenths % 10 ? `.${tenths % 10}` : ''} s`;
  const secs = Math.floor((n + 500) / 1_000);
  if (secs < 3_600) return `${Math.floor(secs / 60)} min${secs % 60 ? ` ${secs % 60} s` : ''}`;
  const mins = Math.floor((n + 30_000) / 60_000);
  return `${Math.floor(mins / 60)} h${mins % 60 ? ` ${mins % 60} min` : ''}`;
}

/**
 * A duration as people read it: "300 ms", "1.5 s", "5 s", "2 min 5 s", "1 h 3 min". Under a minute,
 * when it would print the same as `other` (the limit it is compared with) but differs, up to three
 * more decimals are shown ("250.4 ms > 250 ms", "5.02 s (limit 5 s)").
 */
export function formatDuration(ms: number, other?: number): string {
  const s = plain(ms);
  const n = wholeMs(ms);
  if (other === undefined || ms === other || plain(other) !== s || !Number.isFinite(ms) || n >= 60_000) return s;
  const [unit, name, base] = n < 1_000 ? [1, 'ms', 0] : [1_000, 's', 1];
  for (let d = base + 1; d <= base + 3; d++) {
    const mine = formatNumber(ms / unit, d);
    if (mine !== formatNumber(other / unit, d)) return `${mine} ${name}`;
  }
  return s;
}

/** A fraction (0..1) as a percentage with at most one decimal ("0%", "5%", "7.2%"), up to four where it would print the same as `other`. */
export function formatPercent(fraction: number, other?: number): string {
  const p = fraction * 100;
  let d = 1;
  while (d < 4 && other !== undefined && fraction !== other && formatNumber(p, d) === formatNumber(other * 100, d)) d++;
  return `${formatNumber(p, d)}%`;
}

/** "1 heartbeat", "3 heartbeats". */
export function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** A moment (epoch ms) in UTC, to the second: "2026-11-24T09:00:00Z". */
export function formatTime(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  return Number.isNaN(d.getTime()) ? 'an invalid time' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
