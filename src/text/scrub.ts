// Removes secret values (and redacted values such as host addresses) from text before it leaves the run.
// Plain substring search only: no RegExp is ever built from a secret, so no secret's size or
// characters can make scrubbing throw, and nothing it throws can carry a secret.
import { oneLine } from './host-text.ts';

/**
 * Values shorter than this are not masked in the runner's log (its own masking, `::add-mask::`, and
 * our log lines): masking "1" or "yes" there would garble every line while hiding nothing a reader
 * could not guess. Text published beyond the run (reports) masks secrets of any length
 * (`RunScrubber.scrubReport`).
 */
export const MIN_SECRET_LENGTH = 4;

/** What a secret becomes. */
export const SECRET_MASK = '***';
/** What a redacted value (a host address) becomes. */
export const REDACTED = '[redacted]';
/** What a text becomes if, after scrubbing, it still held a secret (only a secret made of mask characters can do that); '' if this notice itself holds one. */
export const WITHHELD = '[text withheld: it still held a secret after scrubbing]';

/** The forms a secret may take in text: itself, its JSON-escaped and line-escaped forms, and each line of a multi-line value. */
function formsOf(secret: string, min: number): string[] {
  const out = new Set<string>();
  const add = (f: string) => {
    if (f.length >= min) out.add(f);
  };
  const whole = secret.trim();
  add(whole);
  add(JSON.stringify(whole).slice(1, -1));
  add(oneLine(whole, Number.MAX_SAFE_INTEGER));
  if (/[\r\n]/.test(secret)) for (const line of secret.split(/\r?\n/)) add(line.trim());
  return [...out];
}

interface Pattern {
  find: string;
  /** 1: a secret (***), 2: a redacted value ([redacted]). */
  kind: 1 | 2;
}

/** Builds the patterns for `secrets` and `redact`: each form once (a secret wins over a redacted value), longest first. */
function patternsOf(secrets: readonly string[], redact: readonly string[], min: number): Pattern[] {
  const byForm = new Map<string, 1 | 2>();
  for (const r of redact) for (const f of formsOf(String(r), min)) byForm.set(f, 2);
  for (const s of secrets) for (const f of formsOf(String(s), min)) byForm.set(f, 1);
  return [...byForm].map(([find, kind]) => ({ find, kind })).sort((a, b) => b.find.length - a.find.length);
}

/**
 * One pass: marks every character covered by an occurrence of a pattern, then replaces each run of
 * covered characters by one mask, so two secrets that overlap in the text are both hidden whole.
 */
function scrubOnce(text: string, patterns: readonly Pattern[]): string {
  let cover: Uint8Array | null = null;
  for (const p of patterns) {
    let at = text.indexOf(p.find);
    if (at < 0) continue;
    cover ??= new Uint8Array(text.length);
    while (at >= 0) {
      for (let i = at; i < at + p.find.length; i++) if (cover[i] !== 1) cover[i] = p.kind;
      at = text.indexOf(p.find, at + p.find.length);
    }
  }
  if (!cover) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; ) {
    const k = cover[i];
    if (!k) {
      i++;
      continue;
    }
    out += text.slice(from, i) + (k === 1 ? SECRET_MASK : REDACTED);
    while (i < text.length && cover[i] === k) i++;
    from = i;
  }
  return out + text.slice(from);
}

/** `text` with every pattern removed; never throws, never returns a pattern. */
function scrubWith(text: string, patterns: readonly Pattern[]): string {
  let out = typeof text === 'string' ? text : String(text);
  // A mask next to what is left can only spell a secret that itself holds mask characters; a few rounds settle it.
  for (let round = 0; round < 3; round++) {
    out = scrubOnce(out, patterns);
    if (!patterns.some((p) => out.includes(p.find))) return out;
  }
  // Even the notice must not spell a secret (a secret "held" would be in it): then nothing at all.
  return patterns.some((p) => WITHHELD.includes(p.find)) ? '' : WITHHELD;
}

/**
 * Returns a function that replaces every occurrence of each secret by `***` (and each `redact` value
 * by `[redacted]`) in a text. Values (and forms) shorter than `minLength` (default
 * MIN_SECRET_LENGTH, at least 1) are left alone. Never throws, whatever the size or characters of
 * the secrets or the text.
 */
export function createScrubber(secrets: readonly string[], redact: readonly string[] = [], opts: { minLength?: number } = {}): (text: string) => string {
  const min = Math.max(1, opts.minLength ?? MIN_SECRET_LENGTH);
  const patterns = patternsOf(secrets, redact, min);
  if (patterns.length === 0) return (text) => (typeof text === 'string' ? text : String(text));
  return (text) => scrubWith(text, patterns);
}

/**
 * The scrubber of one run: built once from the secrets and redacted values known at the start, and
 * rebuilt only when the run learns another secret (the socket token), never per line. Two sinks:
 * `scrub` for the runner's log, its outputs and a terminal (secrets of MIN_SECRET_LENGTH and more,
 * like the runner's own masking), `scrubReport` for text published beyond the run: the job summary,
 * the `report` output, comments, issues and statuses (secrets of any length).
 */
export class RunScrubber {
  private readonly known: string[];
  private logFn: (text: string) => string;
  private reportFn: (text: string) => string;

  /** Starts with `secrets` (masked as ***) and `redact` (shown as [redacted], e.g. the host address). */
  constructor(
    secrets: readonly string[],
    private readonly redact: readonly string[] = [],
  ) {
    this.known = [...new Set(secrets)];
    this.logFn = createScrubber(this.known, redact);
    this.reportFn = createScrubber(this.known, redact, { minLength: 1 });
  }

  /** Adds a secret learned during the run; every later scrub removes it too. */
  add(secret: string): void {
    if (this.known.includes(secret)) return;
    this.known.push(secret);
    this.logFn = createScrubber(this.known, this.redact);
    this.reportFn = createScrubber(this.known, this.redact, { minLength: 1 });
  }

  /** Every secret known so far that the runner should mask (at least MIN_SECRET_LENGTH long after trimming). */
  get secrets(): readonly string[] {
    return this.known.filter((s) => s.trim().length >= MIN_SECRET_LENGTH);
  }

  /** `text` without any known secret of MIN_SECRET_LENGTH or more, or redacted value: for the log, the outputs, a terminal. */
  readonly scrub = (text: string): string => this.logFn(text);

  /** `text` without any known secret of any length, or redacted value: for reports published beyond the run. */
  readonly scrubReport = (text: string): string => this.reportFn(text);
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
