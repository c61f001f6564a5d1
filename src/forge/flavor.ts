// Every difference between GitHub and Gitea lives in this file and nowhere else.
// Read from the forges' own API descriptions (test/contracts/).
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import { ForgeRequestError } from './api.ts';

export const FlavorName = z.enum(['github', 'gitea']);
export type FlavorName = z.infer<typeof FlavorName>;

/** What a token may lack; each maps to the permission the workflow must grant. */
export type PermissionArea = 'statuses' | 'issues' | 'pulls';

/** A pull request as far as the reporter cares: its number and the text that references issues. */
export interface PullInfo {
  number: number;
  title: string;
  body: string;
  merged: boolean;
  mergeSha: string | null;
}

/** A label's identity on the forge. */
export interface LabelRef {
  id: number;
  name: string;
}

/** The forge-specific half of every request the reporter makes. */
export interface Flavor {
  readonly name: FlavorName;
  /** Query parameters for page `page` (1-based) of a list, and how many items a full page holds. */
  page(page: number): { params: Record<string, number>; size: number };
  /** Whether the issue-comments list endpoint takes paging parameters (Gitea's returns every comment). */
  readonly commentsPaginate: boolean;
  /** The pull requests that brought `sha` in (merged ones first); [] when there is none. */
  pullsOfCommit(api: ForgeApi, owner: string, repo: string, sha: string): Promise<PullInfo[]>;
  /** The `labels` field of create-issue for one label: names on GitHub, ids on Gitea. */
  createIssueLabels(label: LabelRef): Array<string | number>;
  /** Query parameters that list open issues (not pull requests) carrying `label`. */
  openIssuesQuery(label: string): Record<string, string>;
  /** The PATCH body that closes (state 'closed') or reopens (state 'open') an issue. */
  issueStateBody(state: 'open' | 'closed'): Record<string, string>;
  /** A label colour in the form create-label expects. */
  labelColor(hex6: string): string;
  /** The permission a workflow must grant for `area`, in the words of this forge's docs. */
  permission(area: PermissionArea): string;
}

const PullJson = z.object({
  number: z.number().int().positive(),
  title: z.string().nullish(),
  body: z.string().nullish(),
  merged_at: z.string().nullish(),
  merged: z.boolean().nullish(),
  merge_commit_sha: z.string().nullish(),
});

function toPull(p: z.infer<typeof PullJson>): PullInfo {
  return {
    number: p.number,
    title: p.title ?? '',
    body: p.body ?? '',
    merged: Boolean(p.merged) || Boolean(p.merged_at),
    mergeSha: p.merge_commit_sha ?? null,
  };
}

/** Orders pulls so the one merged as `sha` comes first, then other merged ones. */
function rank(pulls: PullInfo[], sha: string): PullInfo[] {
  const score = (p: PullInfo) => (p.mergeSha === sha ? 0 : p.merged ? 1 : 2);
  return [...pulls].sort((a, b) => score(a) - score(b));
}

/** True for the answers that mean "no pull request for this commit" rather than a failure. */
function isNoPull(e: unknown): boolean {
  return e instanceof ForgeRequestError && (e.status === 404 || e.status === 409 || e.status === 422);
}

const github: Flavor = {
  name: 'github',
  page: (page) => ({ params: { per_page: 100, page }, size: 100 }),
  commentsPaginate: true,
  async pullsOfCommit(api, owner, repo, sha) {
    try {
      const res = await api.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { owner, repo, commit_sha: sha, per_page: 100, page: 1 });
      const list = z.array(PullJson).parse(res.data);
      return rank(list.map(toPull), sha);
    } catch (e) {
      if (isNoPull(e)) return [];
      throw e;
    }
  },
  createIssueLabels: (label) => [label.name],
  openIssuesQuery: (label) => ({ state: 'open', labels: label }),
  issueStateBody: (state) => (state === 'closed' ? { state, state_reason: 'completed' } : { state, state_reason: 'reopened' }),
  labelColor: (hex6) => hex6.replace(/^#/, ''),
  permission: (area) => ({ statuses: 'statuses: write', issues: 'issues: write', pulls: 'pull-requests: write' })[area],
};

const gitea: Flavor = {
  name: 'gitea',
  // Gitea caps a page at 50 (MAX_RESPONSE_ITEMS default) and names the size `limit`.
  page: (page) => ({ params: { limit: 50, page }, size: 50 }),
  commentsPaginate: false,
  async pullsOfCommit(api, owner, repo, sha) {
    try {
      const res = await api.request('GET /repos/{owner}/{repo}/commits/{sha}/pull', { owner, repo, sha });
      return [toPull(PullJson.parse(res.data))];
    } catch (e) {
      if (isNoPull(e)) return [];
      throw e;
    }
  },
  createIssueLabels: (label) => [label.id],
  openIssuesQuery: (label) => ({ state: 'open', labels: label, type: 'issues' }),
  // Gitea's EditIssueOption has no state_reason.
  issueStateBody: (state) => ({ state }),
  labelColor: (hex6) => `#${hex6.replace(/^#/, '')}`,
  // Gitea 1.26+ reads a workflow's `permissions:`; a personal token needs write:repository and write:issue.
  permission: (area) =>
    ({
      statuses: 'write access to code (workflow permissions contents: write or code: write; token scope write:repository)',
      issues: 'write access to issues (workflow permissions issues: write; token scope write:issue)',
      pulls: 'write access to pull requests (workflow permissions pull-requests: write; token scope write:issue)',
    })[area],
};

/** The flavor object for a forge name. */
export function flavorFor(name: FlavorName): Flavor {
  return name === 'gitea' ? gitea : github;
}

/** Which forge the run talks to: Gitea when GITEA_ACTIONS=true or the API URL ends in /api/v1, else GitHub. */
export function detectFlavor(env: { GITEA_ACTIONS?: string; GITHUB_API_URL?: string }): FlavorName {
  if ((env.GITEA_ACTIONS ?? '').trim().toLowerCase() === 'true') return 'gitea';
  const api = (env.GITHUB_API_URL ?? '').trim().replace(/\/+$/, '');
  return /\/api\/v1$/.test(api) ? 'gitea' : 'github';
}
