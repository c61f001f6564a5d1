// Durations, percentages and times as the reports print them: the protocol's one formatting rule
// (src/protocol/format.ts), plus what only a report needs (an unknown value, a wall-clock time).
import { formatDuration as protocolDuration, formatPercent as protocolPercent } from '../protocol/format.ts';

/** A duration: "850 ms", "1.5 s", "5 s", "2 min 5 s", "1 h 3 min"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : protocolDuration(ms);
}

/** A fraction (0..1) as a percentage with at most one decimal, more (up to four) when it is not 0 but would print as 0. */
export function formatPercent(fraction: number): string {
  return protocolPercent(fraction, 0);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A host-clock time in UTC to the minute: "2026-01-02 14:05 UTC". */
export function utcMinute(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
