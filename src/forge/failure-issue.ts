// The one open "handoff failed" issue per target: opened on the first failure, commented on the next, closed by a success.
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import { upsertComment, type RepoRef } from './comments.ts';
import { IssueJson, isPull, setIssueState } from './issues.ts';
import { ensureLabel } from './labels.ts';
import { hasMarker } from './markers.ts';
import { listAll } from './paging.ts';

/** Title of the failure issue for `target`. */
export function failureIssueTitle(target: string): string {
  return `hermes-handoff: ${target} handoff failed`;
}

/** The number of the open failure issue carrying `marker` among open issues labelled `label`, or null. */
export async function findOpenFailureIssue(api: ForgeApi, flavor: Flavor, r: RepoRef, label: string, marker: string): Promise<number | null> {
  const mine = (i: IssueJson) => !isPull(i) && i.state === 'open' && hasMarker(i.body, marker);
  const list = await listAll(api, flavor, 'GET /repos/{owner}/{repo}/issues', { owner: r.owner, repo: r.repo, ...flavor.openIssuesQuery(label) }, IssueJson, mine);
  const hits = list.filter(mine).map((i) => i.number);
  return hits.length > 0 ? Math.min(...hits) : null;
}

export interface FailureReport {
  target: string;
  label: string;
  /** The issue marker (failureMarker(target)). */
  marker: string;
  /** Full report body; must start with `marker`. */
  body: string;
  /** A marker for this failure's comment, so reporting the same handoff again edits it. */
  eventMarker: string;
  /** Comment body for a repeated failure; must contain `eventMarker`. */
  comment: string;
}

/** Opens the failure issue (with its label) or, when one is open, comments on it; returns the issue number and what happened. */
export async function recordFailure(api: ForgeApi, flavor: Flavor, r: RepoRef, f: FailureReport): Promise<{ number: number; action: 'opened' | 'commented' }> {
  const label = await ensureLabel(api, flavor, r, f.label);
  const open = await findOpenFailureIssue(api, flavor, r, label.name, f.marker);
  if (open !== null) {
    await upsertComment(api, flavor, r, open, f.eventMarker, f.comment);
    return { number: open, action: 'commented' };
  }
  const res = await api.request('POST /repos/{owner}/{repo}/issues', {
    owner: r.owner,
    repo: r.repo,
    title: failureIssueTitle(f.target),
    body: f.body,
    labels: flavor.createIssueLabels(label),
  });
  return { number: z.object({ number: z.number().int().positive() }).parse(res.data).number, action: 'opened' };
}

/** Comments on and closes the open failure issue of a target after a success; returns its number, or null when none was open. */
export async function resolveFailure(api: ForgeApi, flavor: Flavor, r: RepoRef, label: string, marker: string, comment: string, eventMarker: string): Promise<number | null> {
  const open = await findOpenFailureIssue(api, flavor, r, label, marker);
  if (open === null) return null;
  await upsertComment(api, flavor, r, open, eventMarker, comment);
  await setIssueState(api, flavor, r, open, 'closed');
  return open;
}
