// Reading an issue and opening or closing it.
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import type { RepoRef } from './comments.ts';

export const IssueJson = z.object({
  number: z.number().int().positive(),
  state: z.string(),
  title: z.string().nullish(),
  body: z.string().nullish(),
  user: z.object({ login: z.string() }).nullish(),
  // Both forges list pull requests among issues and mark them with this field.
  pull_request: z.unknown().optional(),
});
export type IssueJson = z.infer<typeof IssueJson>;

/** True when an issues-API item is really a pull request. */
export function isPull(i: IssueJson): boolean {
  return i.pull_request !== undefined && i.pull_request !== null;
}

/** Issue `number` as the forge reports it. */
export async function getIssue(api: ForgeApi, r: RepoRef, number: number): Promise<IssueJson> {
  const res = await api.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner: r.owner, repo: r.repo, issue_number: number });
  return IssueJson.parse(res.data);
}

/** Closes or reopens issue `number`. */
export async function setIssueState(api: ForgeApi, flavor: Flavor, r: RepoRef, number: number, state: 'open' | 'closed'): Promise<void> {
  await api.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { owner: r.owner, repo: r.repo, issue_number: number, ...flavor.issueStateBody(state) });
}

/** Replaces the body of issue `number`. */
export async function setIssueBody(api: ForgeApi, r: RepoRef, number: number, body: string): Promise<void> {
  await api.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { owner: r.owner, repo: r.repo, issue_number: number, body });
}
