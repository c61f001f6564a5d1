// Removes secret values (and redacted values such as host addresses) from text before it leaves the run.

/**
 * Values shorter than this are not treated as secrets: masking "1" or "yes" would garble every
 * log line and report while hiding nothing a reader could not guess. The one rule for masks and scrubbing.
 */
export const MIN_SECRET_LENGTH = 4;

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
      if (l.length >= MIN_SECRET_LENGTH) out.add(l);
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

/**
 * The scrubber of one run: built once from the secrets and redacted values known at the start, and
 * rebuilt only when the run learns another secret (the socket token), never per line.
 */
export class RunScrubber {
  private readonly known: string[];
  private fn: (text: string) => string;

  /** Starts with `secrets` (masked as ***) and `redact` (shown as [redacted], e.g. the host address). */
  constructor(
    secrets: readonly string[],
    private readonly redact: readonly string[] = [],
  ) {
    this.known = [...secrets];
    this.fn = createScrubber(this.known, redact);
  }

  /** Adds a secret learned during the run; every later scrub removes it too. */
  add(secret: string): void {
    if (this.known.includes(secret)) return;
    this.known.push(secret);
    this.fn = createScrubber(this.known, this.redact);
  }

  /** Every secret known so far (for masks registered elsewhere). */
  get secrets(): readonly string[] {
    return this.known;
  }

  /** `text` without any known secret or redacted value. */
  readonly scrub = (text: string): string => this.fn(text);
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
