// Host text made inert before the CLI prints it: a terminal must not act on escape sequences from
// the host, and a CLI run inside a CI step must not print a workflow command (`::` / `##[`).
import type { InertText } from './plain-report.ts';

// C0 and C1 controls, DEL, line and paragraph separators, bidirectional and zero-width format characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escape = (c: string) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `text` as one visible line: control and format characters escaped, no leading `::`, no `##[`. */
function line(text: string): string {
  return text
    .replace(UNSAFE, escape)
    .replace(/^(\s*):(?=:)/, '$1\\x3a')
    .replace(/##\[/g, '#\\x23[');
}

/** The CLI's inert text: each host line escaped on its own, a block kept as lines. */
export const inertText: InertText = {
  line,
  lines: (text) => text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n').map(line),
};
