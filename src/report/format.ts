// Durations, percentages and times as the reports print them: the project's one formatting rule
// (round-2 decisions, rule 8; src/protocol/format.ts on the protocol branch holds the same rule).

/** Whole milliseconds, rounded; anything that is not a finite number >= 0 counts as 0. */
function wholeMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : 0;
}

/** `x` with at most `digits` decimals and no trailing zeros ("7.2", "5"). */
function trimmed(x: number, digits: number): string {
  return String(+x.toFixed(digits));
}

/** A duration: "850 ms", "1.5 s", "5 s", "2 min 5 s", "1 h 3 min"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const n = wholeMs(ms);
  if (n < 1_000) return `${n} ms`;
  const tenths = Math.floor((n + 50) / 100);
  if (tenths < 600) return `${Math.floor(tenths / 10)}${tenths % 10 ? `.${tenths % 10}` : ''} s`;
  const secs = Math.floor((n + 500) / 1_000);
  if (secs < 3_600) return `${Math.floor(secs / 60)} min${secs % 60 ? ` ${secs % 60} s` : ''}`;
  const mins = Math.floor((n + 30_000) / 60_000);
  return `${Math.floor(mins / 60)} h${mins % 60 ? ` ${mins % 60} min` : ''}`;
}

/** A fraction (0..1) as a percentage with at most one decimal, more (up to four) when it is not 0 but would print as 0. */
export function formatPercent(fraction: number): string {
  const p = fraction * 100;
  let d = 1;
  while (d < 4 && p !== 0 && +p.toFixed(d) === 0) d++;
  return `${trimmed(p, d)}%`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A host-clock time in UTC to the minute: "2026-01-02 14:05 UTC". */
export function utcMinute(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
