// The one open "handoff failed" issue per target: opened on the first failure, commented on the next,
// closed by a success. Found by its label, its hidden marker and its author (the token's own user).
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import { byAuthor, upsertComment, type RepoRef } from './comments.ts';
import { IssueJson, isPull, setIssueBody, setIssueState } from './issues.ts';
import { ensureLabel } from './labels.ts';
import { hasMarker } from './markers.ts';
import { listAll } from './paging.ts';

/** Closed failure issues looked through for a handoff already reported (the newest first). */
const CLOSED_PAGES = 2;

/** Title of the failure issue for `target`. */
export function failureIssueTitle(target: string): string {
  return `hermes-handoff: ${target} handoff failed`;
}

/** The open failure issue carrying `marker` that `author` opened, among open issues labelled `label` (the oldest), or null. */
export async function findOpenFailureIssue(api: ForgeApi, flavor: Flavor, r: RepoRef, label: string, marker: string, author: string): Promise<IssueJson | null> {
  const mine = (i: IssueJson) => !isPull(i) && i.state === 'open' && byAuthor(i.user?.login, author) && hasMarker(i.body, marker);
  const list = await listAll(api, flavor, 'GET /repos/{owner}/{repo}/issues', { owner: r.owner, repo: r.repo, ...flavor.openIssuesQuery(label) }, IssueJson, mine);
  const hits = list.filter(mine).sort((a, b) => a.number - b.number);
  return hits[0] ?? null;
}

/** A closed failure issue `author` opened for the handoff `eventMarker` names (someone closed it after reading), or null. */
async function findClosedReport(api: ForgeApi, flavor: Flavor, r: RepoRef, label: string, eventMarker: string, author: string): Promise<number | null> {
  const hit = (i: IssueJson) => !isPull(i) && byAuthor(i.user?.login, author) && hasMarker(i.body, eventMarker);
  const query = { ...flavor.openIssuesQuery(label), state: 'closed' };
  const list = await listAll(api, flavor, 'GET /repos/{owner}/{repo}/issues', { owner: r.owner, repo: r.repo, ...query }, IssueJson, hit, CLOSED_PAGES);
  return list.find(hit)?.number ?? null;
}

export interface FailureReport {
  target: string;
  label: string;
  /** The issue marker (failureMarker(target)). */
  marker: string;
  /** Full report body; must contain `marker` and `eventMarker`. */
  body: string;
  /** A marker for this handoff, so reporting it again edits what was written rather than adding to it. */
  eventMarker: string;
  /** Comment body for a later failure on the open issue; must contain `eventMarker`. */
  comment: string;
  /** The token's own login. */
  author: string;
}

/** What recordFailure did. */
export type FailureAction = 'opened' | 'commented' | 'updated' | 'left-closed';

/**
 * Opens the failure issue (with its label) or, when one is open, comments on it. The same handoff
 * reported again edits what it wrote; a handoff whose issue someone closed is not reported again.
 */
export async function recordFailure(api: ForgeApi, flavor: Flavor, r: RepoRef, f: FailureReport): Promise<{ number: number; action: FailureAction }> {
  const label = await ensureLabel(api, flavor, r, f.label);
  const open = await findOpenFailureIssue(api, flavor, r, label.name, f.marker, f.author);
  if (open !== null) {
    if (hasMarker(open.body, f.eventMarker)) {
      await setIssueBody(api, r, open.number, f.body);
      return { number: open.number, action: 'updated' };
    }
    await upsertComment(api, flavor, r, open.number, f.eventMarker, f.comment, { author: f.author });
    return { number: open.number, action: 'commented' };
  }
  const closed = await findClosedReport(api, flavor, r, label.name, f.eventMarker, f.author);
  if (closed !== null) return { number: closed, action: 'left-closed' };
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
export async function resolveFailure(api: ForgeApi, flavor: Flavor, r: RepoRef, label: string, marker: string, comment: string, eventMarker: string, author: string): Promise<number | null> {
  const open = await findOpenFailureIssue(api, flavor, r, label, marker, author);
  if (open === null) return null;
  await upsertComment(api, flavor, r, open.number, eventMarker, comment, { author });
  await setIssueState(api, flavor, r, open.number, 'closed');
  return open.number;
}
