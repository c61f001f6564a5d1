// At the start of a run: this target's commit statuses that a run left pending and nobody will finish.
// A job cancelled on act_runner runs no post step, so its pending status would stay forever; on Gitea
// 1.21 to 1.25 a push cancels the running run of the same workflow on the branch, whatever `concurrency` says.
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import type { RepoRef } from './comments.ts';
import { deadlineOf } from '../report/status-line.ts';

/** Recent commits of the branch looked at. */
export const SWEEP_COMMITS = 10;
/** A pending status whose description names no deadline counts as dead after this long (GitHub's job limit is 6 h). */
export const UNDATED_PENDING_MS = 6 * 3600_000;
/** A run may still be reporting this long after its own deadline. */
const REPORT_SLACK_MS = 5 * 60_000;

/** What a run ends a stale pending status with. */
export const STALE_DESCRIPTION = 'cancelled; no verdict was reported';

/** The description of a status superseded by the run on `sha`. */
export function supersededDescription(sha: string): string {
  return `superseded by ${sha.slice(0, 12)}`;
}

const Commit = z.object({ sha: z.string() });
const StatusJson = z.object({
  context: z.string(),
  description: z.string().nullish(),
  target_url: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  state: z.string().nullish(),
  status: z.string().nullish(),
});

/** One pending status to end, and how. */
export interface StaleStatus {
  sha: string;
  context: string;
  targetUrl: string | null;
  description: string;
  why: 'stale' | 'superseded';
}

export interface SweepInput {
  api: ForgeApi;
  flavor: Flavor;
  repo: RepoRef;
  branch: string;
  /** The run's own commit: its statuses are this run's to set. */
  sha: string;
  /** The contexts of this target (promote, preflight, status). */
  contexts: string[];
  /** The run's own context, whose earlier pending runs a push supersedes on forges that cancel them. */
  supersedable: string | null;
  now: number;
}

/** The pending statuses of `contexts` on the branch's recent commits that no run will finish, and what each ends as. */
export async function findStale(s: SweepInput): Promise<StaleStatus[]> {
  const commits = z.array(Commit).parse((await s.api.request('GET /repos/{owner}/{repo}/commits', { ...s.repo, ...s.flavor.recentCommitsQuery(s.branch, SWEEP_COMMITS) })).data);
  const out: StaleStatus[] = [];
  for (const c of commits.slice(0, SWEEP_COMMITS)) {
    if (c.sha === s.sha) continue;
    const res = await s.api.request('GET /repos/{owner}/{repo}/commits/{ref}/status', { ...s.repo, ref: c.sha, ...s.flavor.page(1).params });
    const combined = z.object({ statuses: z.array(StatusJson).nullish() }).parse(res.data);
    for (const st of combined.statuses ?? []) {
      if (!s.contexts.includes(st.context) || (st[s.flavor.statusStateField] ?? '') !== 'pending') continue;
      const written = Date.parse(st.updated_at ?? st.created_at ?? '');
      if (!Number.isFinite(written)) continue;
      const description = st.description ?? '';
      const deadline = deadlineOf(description, written);
      const dead = deadline === null ? s.now - written > UNDATED_PENDING_MS : s.now > deadline + REPORT_SLACK_MS;
      const base = { sha: c.sha, context: st.context, targetUrl: st.target_url ?? null };
      if (dead) out.push({ ...base, description: STALE_DESCRIPTION, why: 'stale' });
      else if (st.context === s.supersedable) out.push({ ...base, description: supersededDescription(s.sha), why: 'superseded' });
    }
  }
  return out;
}
