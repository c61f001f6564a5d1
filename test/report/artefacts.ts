// Every report artefact users see for a verdict, made the way a run makes them: the reporter against the
// stateful fake forge, the job summary as the action renders it. Shared by the rendering test and the gallery.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import type { Outcome } from '../../src/core/outcome.ts';
import type { ActionVerdict } from '../../src/core/verdict.ts';
import { createReporter } from '../../src/forge/reporter.ts';
import { renderReport } from '../../src/report/markdown.ts';
import { startFakeForge } from '../forge/fake-forge.ts';
import { context, memoryLog, outcome, T0 } from '../forge/fixtures.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHA = 'c0ffee00'.repeat(5);

/** Host text that would do harm outside a code span: a URL, a mention, an issue reference, markup, a heading. */
export const HOSTILE = 'green said: see https://evil.example/x @octocat fixes #12 <b>bold</b> **no** | pipe\n# not a heading';

/** One artefact: where it appears and its markdown (or a status description). */
export interface Artefact {
  name: 'pr-comment' | 'issue-comment' | 'failure-issue' | 'failure-comment' | 'summary' | 'status';
  text: string;
}

/** The outcome a gallery and the rendering test show for `verdict`: realistic, with hostile host text in it. */
export function showcase(verdict: ActionVerdict): Outcome {
  const base = outcome(verdict, { release: SHA, reason: `${outcome(verdict).reason}; ${HOSTILE}`, green_log_tail: 'starting\nready\nerror burst @ops #3\n' });
  if (verdict === 'reverted') {
    return { ...base, reason: 'green exited 3 h 12 min after promotion; blue resumed from its cursors', observation: { state: 'reverted', until: T0 + 86_400_000, ended_at: T0 + 64_000 + 11_520_000, reason: 'green exited' } };
  }
  if (verdict === 'promoted') return { ...base, observation: { state: 'observing', until: T0 + 64_000 + 86_400_000, ended_at: null } };
  if (verdict === 'timed-out') return { ...base, reason: "the action's deadline of 900 s passed while the host was in phase baking; rerun with mode: status" };
  return base;
}

/** The artefacts of `o` on a forge (GitHub or Gitea): PR comment, related issue comment, failure issue and comment, summary, status. */
export async function artefactsOf(o: Outcome, gitea: boolean): Promise<Artefact[]> {
  const f = await startFakeForge(gitea ? '/api/v1' : '', { version: '1.27.0' });
  try {
    const pr = o.mode === 'preflight' ? { number: 14, headSha: SHA } : undefined;
    if (!pr) f.state.seedPull(SHA, 12, 'Add the claw runtime', 'Closes #7');
    f.state.seedIssue(7, 'closed');
    const run = async (x: Outcome) => {
      const r = createReporter({
        ctx: context(f.url, SHA, { gitea, serverUrl: f.serverUrl, ...(pr ? { pr } : {}) }),
        token: 'tok',
        targetName: 'prod',
        closeIssueOnSuccess: true,
        failureLabel: 'handoff-failed',
        scrub: (t) => t,
        log: memoryLog(),
        release: SHA,
        apiOptions: { throttle: false, retries: 0 },
      });
      await r.begin(x.mode);
      await r.finish(x);
    };
    await run(o);
    // A second failure of another handoff: the comment on the open failure issue.
    await run({ ...o, handoff_id: 'hh-20260101-second' });
    const out: Artefact[] = [];
    const prComment = f.state.commentsOn(pr?.number ?? 12)[0];
    if (prComment) out.push({ name: 'pr-comment', text: prComment.body });
    const issueComment = f.state.commentsOn(7)[0];
    if (issueComment) out.push({ name: 'issue-comment', text: issueComment.body });
    const failure = [...f.state.issues.values()].find((i) => i.labels.includes('handoff-failed'));
    if (failure) {
      out.push({ name: 'failure-issue', text: failure.body });
      const again = f.state.commentsOn(failure.number)[0];
      if (again) out.push({ name: 'failure-comment', text: again.body });
    }
    out.push({ name: 'summary', text: renderReport(o, { runUrl: `${f.serverUrl}/acme/gateway/actions/runs/4242`, hostOutput: true }) });
    const status = f.state.statuses.filter((s) => s.state !== 'pending').at(-1);
    if (status) out.push({ name: 'status', text: `${status.context}: ${status.state}: ${status.description}` });
    return out;
  } finally {
    await f.stop();
  }
}

/** Markdown as both forges render it: GitHub-flavoured, raw HTML kept only where the forges keep it (details, summary). */
export function toHtml(markdown: string): string {
  return marked.parse(markdown, { gfm: true, async: false });
}

/** A whole page: the artefact in a comment frame with the GitHub-like stylesheet; mermaid blocks become diagrams when `mermaidJs` is given. */
export function page(title: string, a: Artefact, mermaidJs: string | null = null): string {
  const css = readFileSync(join(HERE, 'github.css'), 'utf8');
  const body =
    a.name === 'status'
      ? `<div class="status">${escapeHtml(a.text)}</div>`
      : `<div class="comment"><header>${escapeHtml(title)}</header><div class="markdown-body">${toHtml(a.text).replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>')}</div></div>`;
  const script = mermaidJs ? `<script>${mermaidJs}</script><script>mermaid.initialize({ startOnLoad: false }); mermaid.run().then(() => document.body.dataset.done = '1', (e) => { document.body.dataset.done = 'error: ' + e; });</script>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${css}</style></head><body>${body}${script}</body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
