// Text from the host or the release under test (reasons, notes, details, logs, error messages) made
// inert data before a sink shows it: one line, control characters escaped where a reader sees them,
// bounded, and never a workflow command for the runner. The action writes commands itself, with
// @actions/core; nothing that came from the host may ever read as one.
import { randomBytes } from 'node:crypto';

/** The longest line `oneLine` returns by default (UTF-16 units, the ellipsis included). */
export const LINE_MAX = 2_000;

/** How many lines of a multi-line host text (green's log tail) are kept, and how long each may be. */
export const BLOCK_MAX_LINES = 40;
export const BLOCK_MAX_LINE = 500;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * What a sink must not show raw: C0 and C1 controls and DEL (line breaks, ESC for terminal escape
 * sequences, NEL), the Unicode line and paragraph separators, bidirectional and zero-width format
 * characters (text that reads differently than it is), the BOM, and lone surrogates (they make
 * encoders throw).
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');
const escapeChar = (c: string) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);

/**
 * A line the runner would read as a workflow command: GitHub's runner trims leading white space and
 * looks for `::`, and it finds the older `##[` form anywhere in a line; act (Gitea) reads `::` and
 * `##[` at the start. U+180E and U+0085 count as white space for some .NET versions.
 */
const LEADING_COMMAND = /^([\s\u180e\u0085]*):(?=:)/;
const OLD_COMMAND = /##\[/g;

/** `line` (already free of line breaks) with any workflow command made visible text: the first `:` of a leading `::` and the `#` before every `[` of `##[` escaped. */
function defuse(line: string): string {
  return line.replace(LEADING_COMMAND, '$1\\x3a').replace(OLD_COMMAND, '#\\x23[');
}

/** Cuts `s` to at most `max` UTF-16 units with an ellipsis, never splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end) + '\u2026';
}

/**
 * `text` as one line of inert data: every line break and control character escaped visibly (`\n`,
 * `\r`, `\x1b` for ESC, `\x85`, `\u2028`, ...), a leading `::` and any `##[` escaped so no runner reads
 * a workflow command, at most `max` UTF-16 units (an ellipsis marks a cut). Never throws. Idempotent:
 * applied to its own output it changes nothing, so sinks may apply it again. Backslashes are kept
 * as they are (the result is for reading, not for decoding back).
 */
export function oneLine(text: string, max = LINE_MAX): string {
  const s = typeof text === 'string' ? text : String(text);
  // Escaping only lengthens: looking at the first `max` units is enough to fill `max`.
  const head = s.length > max ? s.slice(0, max) : s;
  const escaped = defuse(head.replace(UNSAFE, escapeChar));
  if (s.length <= max && escaped.length <= max) return escaped;
  return defuse(cut(escaped.length > max ? escaped : escaped + '\u2026', max));
}

/** True when `line` is something `oneLine` would leave unchanged at length `max` (a sink's own check). */
export function isOneLine(line: string, max = LINE_MAX): boolean {
  return oneLine(line, max) === line;
}

/** The line breaks a runner (.NET's ReadLine: `\r\n`, `\r`, `\n`) or a terminal acts on. */
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * A multi-line host text (green's log tail, a command's output) as its last `maxLines` lines, each
 * made inert by `oneLine` and at most `maxLine` long. Line structure is kept, nothing else.
 */
export function safeLines(text: string, opts: { maxLines?: number; maxLine?: number } = {}): string[] {
  const maxLines = opts.maxLines ?? BLOCK_MAX_LINES;
  const maxLine = opts.maxLine ?? BLOCK_MAX_LINE;
  const s = typeof text === 'string' ? text : String(text);
  // Only the tail is kept: never split more of a huge text than the lines we keep could use.
  const window = s.length > maxLines * (maxLine + 2) * 4 ? s.slice(-(maxLines * (maxLine + 2) * 4)) : s;
  const lines = window.split(LINE_BREAK);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-maxLines).map((l) => oneLine(l, maxLine));
}

/** A random token no host text can predict: 128 bits, hex. */
function freshToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The lines to write for a multi-line untrusted block: `::stop-commands::<token>`, the block's lines
 * (each made inert by `safeLines`), then `::<token>::`. The runner executes no workflow command
 * between the two; the token is fresh for every block and never derived from it.
 */
export function untrustedBlock(text: string, opts: { maxLines?: number; maxLine?: number } = {}): string[] {
  const lines = safeLines(text, opts);
  let token = freshToken();
  // 2^-128 of a chance, but a block that holds its own end marker must never be possible.
  while (lines.some((l) => l.includes(token))) token = freshToken();
  return [`::stop-commands::${token}`, ...lines, `::${token}::`];
}
