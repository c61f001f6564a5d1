// Removes secret values from anything the reporter writes to a forge or a summary.

/** Shorter values are not masked: they cannot be real secrets and masking them would garble every report. */
export const MIN_SECRET_LENGTH = 3;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The forms a secret may take in text: itself, its JSON-escaped form, and each line of a multi-line value. */
function formsOf(secret: string): string[] {
  const out = new Set<string>();
  const whole = secret.trim();
  if (whole.length >= MIN_SECRET_LENGTH) {
    out.add(whole);
    const json = JSON.stringify(whole).slice(1, -1);
    if (json !== whole) out.add(json);
  }
  if (/[\r\n]/.test(secret)) {
    for (const line of secret.split(/\r?\n/)) {
      const l = line.trim();
      if (l.length >= 4) out.add(l);
    }
  }
  return [...out];
}

/** Returns a function that replaces every occurrence of each secret (and each `redact` value, as `[redacted]`) in a text. */
export function createScrubber(secrets: readonly string[], redact: readonly string[] = []): (text: string) => string {
  const pairs: Array<[string, string]> = [];
  for (const s of secrets) for (const f of formsOf(s)) pairs.push([f, '***']);
  for (const r of redact) for (const f of formsOf(r)) pairs.push([f, '[redacted]']);
  if (pairs.length === 0) return (text) => text;
  // Longest first, so a value that contains another is removed whole.
  pairs.sort((a, b) => b[0].length - a[0].length);
  const re = new RegExp(pairs.map(([f]) => escapeRe(f)).join('|'), 'g');
  const map = new Map(pairs);
  return (text) => text.replace(re, (hit) => map.get(hit) ?? '***');
}

/** A copy of `value` with `scrub` applied to every string inside it (objects and arrays are walked). */
export function scrubDeep<T>(value: T, scrub: (text: string) => string): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => scrubDeep(v, scrub)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, scrub)])) as T;
  }
  return value;
}
