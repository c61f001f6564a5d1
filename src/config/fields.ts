import { z } from 'zod';
import { ACTION_WORDS, type Words } from '../core/reasons.ts';
import { INPUT_DEFAULTS, SECRET_INPUTS, type InputName } from './inputs.ts';

/** What a message says: fixed text, or text that names inputs in the words of the interface in use. */
export type Wording = string | ((w: Words) => string);

/** `m` in the words `w`. */
export function worded(m: Wording, w: Words): string {
  return typeof m === 'string' ? m : m(w);
}

/** How an issue of the settings schema carries its wording, so the interface in use can word it (see readSettings). */
export interface WordedIssue {
  wording: Wording;
  /** What follows the wording: `, got "..."` quoting the value, or ''. */
  suffix: string;
}

/**
 * Thrown by a field parser: `wording` says what was expected ("expected an integer 1-65535").
 * `got` is the offending text to quote back (default: the whole value); false quotes nothing.
 */
export class Expected extends Error {
  constructor(
    readonly wording: Wording,
    readonly got: string | false | undefined = undefined,
  ) {
    super(worded(wording, ACTION_WORDS));
  }
}

/** A value as an error may quote it: JSON-quoted, shortened, and never a private key. */
export function shown(value: string): string {
  if (/PRIVATE KEY|PuTTY-User-Key-File/.test(value)) return 'what looks like a private key (not shown)';
  const max = 60;
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return JSON.stringify(cut);
}

/**
 * The zod schema of one input: a raw string (empty means "not set": the input's default from
 * INPUT_DEFAULTS applies) read by `parse`. A parser throws Expected; the issue it becomes quotes
 * the value unless the input is secret.
 */
export function field<T>(name: InputName, parse: (value: string) => T) {
  const secret = SECRET_INPUTS.has(name);
  return z.string().transform((raw, ctx): T => {
    const trimmed = raw.trim();
    const value = trimmed === '' ? (INPUT_DEFAULTS[name] ?? '') : trimmed;
    try {
      return parse(value);
    } catch (e) {
      if (!(e instanceof Expected)) throw e;
      const got = e.got === undefined ? value : e.got;
      const suffix = secret || got === false ? '' : `, got ${shown(got)}`;
      const params: WordedIssue = { wording: e.wording, suffix };
      ctx.addIssue({ code: 'custom', message: e.message + suffix, params });
      return z.NEVER;
    }
  });
}

/** Reads one of `values`. */
export function oneOf<const V extends string>(values: readonly V[]) {
  return (s: string): V => {
    if ((values as readonly string[]).includes(s)) return s as V;
    throw new Expected(`expected one of: ${values.join(', ')}`);
  };
}

/** Reads true/True/TRUE or false/False/FALSE (YAML 1.2 core, as @actions/core does). */
export function bool(s: string): boolean {
  if (s.toLowerCase() === 'true') return true;
  if (s.toLowerCase() === 'false') return false;
  throw new Expected('expected true or false');
}

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** Reads a non-negative decimal number written plainly (no sign, exponent, hex or blanks). */
function decimal(s: string, expected: string): number {
  if (!DECIMAL.test(s)) throw new Expected(expected);
  return Number(s);
}

/** Reads an integer from `min` to `max`. */
export function integer(min: number, max: number) {
  return (s: string): number => {
    const expected = `expected an integer ${min}-${max}`;
    if (!/^[0-9]+$/.test(s)) throw new Expected(expected);
    const n = Number(s);
    if (n < min || n > max) throw new Expected(expected);
    return n;
  };
}

/** Reads a decimal number from `min` to `max` (both inclusive). */
export function number(min: number, max: number, unit = '') {
  return (s: string): number => {
    const expected = `expected a number${unit} from ${min} to ${max}`;
    const n = decimal(s, expected);
    if (n < min || n > max) throw new Expected(expected);
    return n;
  };
}

/** The longest wait a Node timer can hold, in seconds. */
export const MAX_SECONDS = Math.floor(2 ** 31 / 1000) - 1;

/** Reads a duration in seconds (decimals allowed, like 1.5) and returns whole milliseconds; `allowZero` admits 0. */
export function seconds(opts: { allowZero: boolean }) {
  return (s: string): number => {
    const expected = `expected a number of seconds ${opts.allowZero ? 'from 0' : 'greater than 0'} and at most ${MAX_SECONDS} (decimals allowed, like 1.5)`;
    const n = decimal(s, expected);
    const ms = Math.round(n * 1000);
    if (ms > MAX_SECONDS * 1000 || ms < (opts.allowZero ? 0 : 1)) throw new Expected(expected);
    return ms;
  };
}

/** Reads an error rate: a fraction 0-1 (0.05) or a percentage 0-100% (5%), as a fraction. */
export function rate(s: string): number {
  const expected = 'expected a fraction from 0 to 1 (like 0.05) or a percentage from 0% to 100% (like 5%)';
  const pct = s.endsWith('%');
  const n = decimal(pct ? s.slice(0, -1).trim() : s, expected);
  const fraction = pct ? n / 100 : n;
  if (fraction > 1) throw new Expected(expected);
  return fraction;
}

/** Reads a path on the host: absolute or starting with `~/`, no NUL or newline; empty gives null when `optional`. */
export function hostPath(opts: { optional: boolean }) {
  return (s: string): string | null => {
    if (s === '' && opts.optional) return null;
    const expected = 'expected an absolute path or one starting with ~/, without NUL or line breaks, at most 4096 characters';
    if (!(s.startsWith('/') || s.startsWith('~/')) || /[\0\r\n]/.test(s) || s.length > 4096) throw new Expected(expected);
    return s;
  };
}

/** Reads a shell command line (may span lines, no NUL); empty gives null. */
export function command(s: string): string | null {
  if (s === '') return null;
  if (s.includes('\0') || s.length > 16_384) throw new Expected('expected a shell command line without NUL, at most 16384 characters', false);
  return s;
}

/** Reads a single line of text of 1-`max` characters with no control characters; empty gives null when `optional`. */
export function line(max: number, opts: { optional: boolean }) {
  return (s: string): string | null => {
    if (s === '' && opts.optional) return null;
    // eslint-disable-next-line no-control-regex
    if (s.length < 1 || s.length > max || /[\u0000-\u001f\u007f]/.test(s)) {
      throw new Expected(`expected 1-${max} characters on one line, without control characters`);
    }
    return s;
  };
}

/** Reads a value that must match `pattern`, described by `expected`. */
export function matching(pattern: RegExp, expected: string) {
  return (s: string): string => {
    if (!pattern.test(s)) throw new Expected(`expected ${expected}`);
    return s;
  };
}

/** Reads a value another part defines by its zod schema (the protocol's handoff id): `what` and the schema's first issue say what was expected. */
export function valid<T>(schema: z.ZodType<T>, what: string) {
  return (s: string): T => {
    const r = schema.safeParse(s);
    if (r.success) return r.data;
    throw new Expected(`expected ${what}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  };
}

/** Reads an optional issue number (`12` or `#12`); empty gives null. */
export function issueNumber(s: string): number | null {
  if (s === '') return null;
  const m = /^#?([0-9]{1,9})$/.exec(s);
  const n = m ? Number(m[1]) : 0;
  if (n < 1) throw new Expected('expected an issue number like 12 or #12');
  return n;
}

/** Reads an optional secret (a passphrase or token): one line, no control characters; empty gives null. The value is never quoted. */
export function secretLine(s: string): string | null {
  if (s === '') return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s) || s.length > 4096) {
    throw new Expected('expected one line of at most 4096 characters without control characters (the value is not shown: it is a secret)');
  }
  return s;
}
