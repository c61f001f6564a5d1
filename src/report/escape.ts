// Makes outside text (reasons, notes, releases, log lines, check details) inert in markdown and HTML.
// Host text goes only into code spans and code blocks: there neither forge links a URL, an issue
// reference (#12) or a mention (@user), and no markup takes effect.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '@': '&#64;' };

/**
 * `text` as literal inline markdown prose on one line (for the action's own words around values):
 * HTML is entity-encoded, markdown punctuation is backslash-escaped, line breaks become spaces.
 * Host text never goes through this: it goes into inlineCode or codeBlock.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    // One pass, so the `#` and `;` of an entity just written are never escaped again.
    .replace(/[&<>"@\\`*_{}[\]()#!|~]/g, (c) => HTML[c] ?? `\\${c}`);
}

// C0 and C1 controls (tab and line breaks are handled apart), and the invisible bidi and line separators.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A control or invisible character as visible text (`\u001b`). */
function visible(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` as one visible line: line breaks as ` ⏎ `, tabs as spaces, other control and bidi characters as `\uXXXX`. */
export function oneLine(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ⏎ ').replace(/\t/g, ' ').replace(INVISIBLE, visible);
}

/** `text` cut to `max` characters with an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export interface InlineCodeOptions {
  /** The span sits in a table cell: `|` is escaped so it cannot end the cell. */
  cell?: boolean;
  /** At most this many characters of `text` (default 300). */
  max?: number;
}

/** Host text as one code span (a fence longer than any backtick run in it); '—' for empty text. */
export function inlineCode(text: string, opts: InlineCodeOptions = {}): string {
  const s = cut(oneLine(text), opts.max ?? 300);
  if (s.trim() === '') return '—';
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each side when both are there: pad when the text touches a backtick or a space.
  const padded = /^[` ]|[` ]$/.test(s) ? ` ${s} ` : s;
  const body = opts.cell ? padded.replace(/\|/g, '\\|') : padded;
  return `${fence}${body}${fence}`;
}

/** `text` as a fenced code block whose fence no line of `text` can close; control characters shown as `\uXXXX`. */
export function codeBlock(text: string, lang = ''): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n').map((l) => l.replace(/\t/g, '    ').replace(INVISIBLE, visible));
  const body = lines.join('\n');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}

/** `text` reduced to characters a mermaid label cannot misread (letters, digits, space, `._-`). */
export function mermaidLabel(text: string): string {
  return text.replace(/[^A-Za-z0-9 ._-]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 40) || 'phase';
}

/** `url` made safe as a markdown link target (no characters that end the link); null unless http(s). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url || !/^https?:\/\/\S+$/i.test(url)) return null;
  return url.replace(/[()<>"'`\\[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
