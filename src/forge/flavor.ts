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

/** A forge's version, as far as the reporter needs it. */
export interface ForgeVersion {
  major: number;
  minor: number;
  /** As the forge wrote it. */
  raw: string;
}

/** The run a job belongs to (GITHUB_RUN_ID, GITHUB_RUN_NUMBER) and where its page lives. */
export interface RunRef {
  serverUrl: string;
  /** owner/repo */
  repository: string;
  runId: string | null;
  runNumber: string | null;
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
  /** The forge's version, asked once per run (Gitea's GET /version); null where it does not matter (GitHub) or could not be read. */
  serverVersion(api: ForgeApi): Promise<ForgeVersion | null>;
  /** The run's page: GitHub and Gitea 1.26+ address it by run id, older Gitea by run number; the runs list when the version is unknown. */
  runUrl(run: RunRef, version: ForgeVersion | null): string | null;
  /** Whether the run page shows the job summary: null when it cannot be told. */
  showsJobSummary(version: ForgeVersion | null): boolean | null;
  /** Whether a push cancels a running run of the same workflow on the same branch whatever `concurrency` says (Gitea 1.21 to 1.25). */
  pushCancelsRunning(version: ForgeVersion | null): boolean;
  /** The login comments made with `token` carry: GET /user, else the forge's job-token user. */
  tokenUser(api: ForgeApi): Promise<string>;
  /** The state field of a commit status as the forge returns it. */
  readonly statusStateField: 'state' | 'status';
  /** Query parameters for the most recent `n` commits of `branch`, cheapest form. */
  recentCommitsQuery(branch: string, n: number): Record<string, string | number | boolean>;
}

/** Reads a version string: "1.22.6", "1.26.0+rc1", and Forgejo's "9.0.3+gitea-1.22.0" (the Gitea it follows). */
export function parseVersion(raw: string): ForgeVersion | null {
  const gitea = /\+gitea-(\d+)\.(\d+)/.exec(raw);
  const m = gitea ?? /^v?(\d+)\.(\d+)/.exec(raw.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), raw };
}

/** True when `v` is at least `major.minor`. */
export function atLeast(v: ForgeVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** GET /user's login, or `fallback` when the token may not read it (a job token). */
async function loginOr(api: ForgeApi, fallback: string): Promise<string> {
  try {
    const res = await api.request('GET /user');
    const login = z.object({ login: z.string().min(1) }).safeParse(res.data);
    return login.success ? login.data.login : fallback;
  } catch (e) {
    if (e instanceof ForgeRequestError && e.status !== 0) return fallback;
    throw e;
  }
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
  serverVersion: () => Promise.resolve(null),
  runUrl: (run) => (run.runId ? `${run.serverUrl}/${run.repository}/actions/runs/${run.runId}` : null),
  showsJobSummary: () => true,
  pushCancelsRunning: () => false,
  // The job token (GITHUB_TOKEN) cannot read /user; its comments are by github-actions[bot].
  tokenUser: (api) => loginOr(api, 'github-actions[bot]'),
  statusStateField: 'state',
  recentCommitsQuery: (branch, n) => ({ sha: branch, per_page: n, page: 1 }),
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
  async serverVersion(api) {
    try {
      const res = await api.request('GET /version');
      const v = z.object({ version: z.string() }).safeParse(res.data);
      return v.success ? parseVersion(v.data.version) : null;
    } catch {
      return null;
    }
  },
  runUrl(run, version) {
    const base = `${run.serverUrl}/${run.repository}/actions`;
    // Gitea 1.26 (go-gitea/gitea#36842) addresses a run by its id; before, by its number (GITHUB_RUN_NUMBER).
    if (version === null) return base;
    const id = atLeast(version, 1, 26) ? run.runId : run.runNumber;
    return id ? `${base}/runs/${id}` : base;
  },
  // Gitea 1.27 shows job summaries (with a runner that uploads them); before, the file is accepted and dropped.
  showsJobSummary: (version) => (version === null ? null : atLeast(version, 1, 27)),
  pushCancelsRunning: (version) => version !== null && atLeast(version, 1, 21) && !atLeast(version, 1, 26),
  // The job token's user is gitea-actions.
  tokenUser: (api) => loginOr(api, 'gitea-actions'),
  statusStateField: 'status',
  recentCommitsQuery: (branch, n) => ({ sha: branch, limit: n, page: 1, stat: false, verification: false, files: false }),
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
