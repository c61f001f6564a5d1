// The valid name closest to a mistyped one, for "did you mean" hints on unknown inputs and flags.

/** `s` as names are compared: lower case, `_` and spaces as `-` (the runner upper-cases INPUT_ names and keeps `-`). */
function normal(s: string): string {
  return s.toLowerCase().replace(/[_ ]/g, '-');
}

/** The Levenshtein edit distance between `a` and `b` (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate closest to `name`, or null when none is close: within a third of the name's length in
 * edits (at least 2), or the only candidate that begins with it (`timeout` -> `timeout-seconds`).
 */
export function closestName(name: string, candidates: readonly string[]): string | null {
  const n = normal(name);
  if (n === '') return null;
  let best: { c: string; d: number } | null = null;
  for (const c of candidates) {
    const d = editDistance(n, normal(c));
    if (best === null || d < best.d) best = { c, d };
  }
  if (best !== null && best.d <= Math.max(2, Math.floor(n.length / 3))) return best.c;
  const prefixed = candidates.filter((c) => normal(c).startsWith(`${n}-`));
  return prefixed.length === 1 ? (prefixed[0] ?? null) : null;
}
