// The post step's one job: a status the main step left at pending becomes an error ("cancelled").
import { createForgeApi, type ForgeApiOptions } from './api.ts';
import { flavorFor } from './flavor.ts';
import { Guard, type ReporterLog } from './guard.ts';
import { readUnfinishedPending } from './pending-state.ts';
import { CANCELLED_DESCRIPTION } from '../core/reasons.ts';
import { createScrubber } from '../text/scrub.ts';


export interface CancelDeps {
  getState(name: string): string;
  /** The github-token input (core.getInput works in post steps). */
  token: string;
  log: ReporterLog;
  apiOptions?: ForgeApiOptions;
}

/** Sets the unfinished pending status (if any) to `error` "cancelled"; returns whether it did. Never throws. */
export async function cancelPendingStatus(deps: CancelDeps): Promise<boolean> {
  const p = readUnfinishedPending(deps.getState);
  if (!p) return false;
  const token = deps.token.trim();
  const scrub = createScrubber(token ? [token] : []);
  const flavor = flavorFor(p.flavor);
  if (!token) {
    deps.log.warn(`The commit status ${p.context} was left pending and there is no github-token to finish it (needs ${flavor.permission('statuses')}).`);
    return false;
  }
  const api = createForgeApi(p.apiUrl, token, { ...deps.apiOptions, warn: (m) => deps.log.warn(scrub(m)) });
  const guard = new Guard(flavor, deps.log, scrub);
  const body: Record<string, unknown> = { owner: p.owner, repo: p.repo, sha: p.sha, state: 'error', context: p.context, description: CANCELLED_DESCRIPTION };
  if (p.targetUrl) body.target_url = p.targetUrl;
  const r = await guard.run('statuses', `finish the commit status ${p.context}`, () => api.request('POST /repos/{owner}/{repo}/statuses/{sha}', body));
  if (r) deps.log.info(`The run ended before a verdict: commit status ${p.context} set to error (cancelled).`);
  return r !== null;
}
