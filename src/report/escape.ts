// Makes outside text (reasons, notes, release strings, log lines) inert in markdown and HTML.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '@': '&#64;' };

/**
 * `text` as literal inline markdown on one line: HTML is entity-encoded, inline markdown punctuation is
 * backslash-escaped, `@` cannot mention anyone, and line breaks become spaces (so no value ever starts
 * a line, and `-`, `+`, `.` need no escape).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    // One pass, so the `#` and `;` of an entity just written are never escaped again.
    .replace(/[&<>"@\\`*_{}[\]()#!|~]/g, (c) => HTML[c] ?? `\\${c}`);
}

/** `text` as a fenced code block whose fence no line of `text` can close. */
export function codeBlock(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}\n${fence}`;
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
