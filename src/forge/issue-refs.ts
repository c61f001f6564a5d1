// Issue references in PR titles/bodies and commit messages, read with the forges' own grammar:
// a keyword acts on the one reference right after it ("Fixes #1, #2" closes #1 only), the keyword
// standing alone before it with an optional colon and one space. GitHub and Gitea both read "#0009" as #9.

/** One referenced issue and whether a keyword closes it on merge (Closes/Fixes/Resolves) or only refers (Refs/Part of). */
export interface IssueRef {
  number: number;
  closing: boolean;
}

/** The keywords both forges close an issue with (Gitea's default CLOSE_KEYWORDS, GitHub's documented list). */
const CLOSING = ['close', 'closes', 'closed', 'fix', 'fixes', 'fixed', 'resolve', 'resolves', 'resolved'];
/** This action's own keywords for "related, the work goes on": the issue gets the comment, its state is left alone. */
const REFERRING = ['ref', 'refs', 'references', 'part of'];

// A local reference as both forges find one: #digits after a start, space, bracket or quote, and before an end,
// space, bracket, quote or punctuation that ends the word ("owner/repo#1" and "#1a" are not local references).
const REFERENCE = /(?<=^|[\s([\]'"])#(\d+)(?=$|[\s)\]'"]|[:;,.?!](?:\s|$))/g;
// The keyword right before a reference: at a start, space or bracket, an optional colon, exactly one space.
const KEYWORD = new RegExp(`(?:^|[\\s([])(${[...CLOSING, ...REFERRING].map((k) => k.replace(' ', '\\s')).join('|')}):? $`, 'i');

/** Every issue `text` references with a keyword, in order of first mention, closing when any of its keywords closes. */
export function parseIssueRefsDetailed(text: string): IssueRef[] {
  const found = new Map<number, boolean>();
  for (const m of text.matchAll(REFERENCE)) {
    const before = text.slice(Math.max(0, (m.index ?? 0) - 16), m.index);
    const k = KEYWORD.exec(before);
    if (!k) continue;
    const num = Number(m[1]);
    if (!Number.isSafeInteger(num) || num <= 0) continue;
    const closing = CLOSING.includes((k[1] ?? '').toLowerCase());
    found.set(num, (found.get(num) ?? false) || closing);
  }
  return [...found].map(([number, closing]) => ({ number, closing }));
}

/** The issue numbers `text` references with a keyword, deduplicated, in order. */
export function parseIssueRefs(text: string): number[] {
  return parseIssueRefsDetailed(text).map((r) => r.number);
}
