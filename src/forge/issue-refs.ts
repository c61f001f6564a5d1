// Issue references in PR titles/bodies and commit messages.

/** One referenced issue and whether the keyword closes it on merge (Closes/Fixes/Resolves) or only refers (Refs/Part of). */
export interface IssueRef {
  number: number;
  closing: boolean;
}

// Keyword, optional colon, then one or more "#N" joined by commas/"and". "owner/repo#N" (another repo) is skipped.
const REF = /\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|references|part\s+of)\b:?[ \t]+(#\d+(?!\w)(?:(?:[ \t]*,[ \t]*|[ \t]+and[ \t]+|[ \t]+)#\d+(?!\w))*)/gi;

/** Every issue `text` references, in order of first mention, with the strongest keyword seen for it. */
export function parseIssueRefsDetailed(text: string): IssueRef[] {
  const found = new Map<number, boolean>();
  for (const m of text.matchAll(REF)) {
    const keyword = (m[1] ?? '').toLowerCase();
    const closing = /^(close|fix|resolve)/.test(keyword);
    for (const n of (m[2] ?? '').matchAll(/#(\d+)/g)) {
      const num = Number(n[1]);
      if (!Number.isSafeInteger(num) || num <= 0) continue;
      found.set(num, (found.get(num) ?? false) || closing);
    }
  }
  return [...found].map(([number, closing]) => ({ number, closing }));
}

/** The issue numbers `text` references with Closes/Fixes/Resolves/Refs/Part of #N (case-insensitive), deduplicated, in order. */
export function parseIssueRefs(text: string): number[] {
  return parseIssueRefsDetailed(text).map((r) => r.number);
}
