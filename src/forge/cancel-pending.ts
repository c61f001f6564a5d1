// The post step's one job: a status the main step left at pending becomes an error ("cancelled").
import { createForgeApi, type ForgeApiOptions } from './api.ts';
import { readForgeContext } from './context.ts';
import { flavorFor } from './flavor.ts';
import { Guard, type ReporterLog } from './guard.ts';
import { readUnfinishedPending } from './pending-state.ts';
import { CANCELLED_DESCRIPTION } from '../core/reasons.ts';
import { errorMessage } from '../core/errors.ts';
import { createScrubber } from '../text/scrub.ts';

export interface CancelDeps {
  getState(name: string): string;
  /** The github-token input (core.getInput works in post steps). */
  token: string;
  log: ReporterLog;
  /** The runner's environment: the API URL, the forge and the repository come from here only (default process.env). */
  env?: NodeJS.ProcessEnv;
  apiOptions?: ForgeApiOptions;
}

/** Sets the unfinished pending status (if any) to `error` "cancelled"; returns whether it did. Never throws. */
export async function cancelPendingStatus(deps: CancelDeps): Promise<boolean> {
  const p = readUnfinishedPending(deps.getState);
  if (!p) return false;
  const token = deps.token.trim();
  const scrub = createScrubber(token ? [token] : []);
  let ctx;
  try {
    // The saved state names only the status; where to send the token is the runner's own word.
    ctx = readForgeContext(deps.env ?? process.env, {});
  } catch (e) {
    deps.log.warn(scrub(`The commit status ${p.context} was left pending and cannot be finished: ${errorMessage(e)}`));
    return false;
  }
  const flavor = flavorFor(ctx.flavor);
  if (!token) {
    deps.log.warn(`The commit status ${p.context} was left pending and there is no github-token to finish it (needs ${flavor.permission('statuses')}).`);
    return false;
  }
  const api = createForgeApi(ctx.apiUrl, token, { ...deps.apiOptions, warn: (m) => deps.log.warn(scrub(m)) });
  const guard = new Guard(flavor, deps.log, scrub);
  const body: Record<string, unknown> = { owner: ctx.owner, repo: ctx.repo, sha: p.sha, state: 'error', context: p.context, description: CANCELLED_DESCRIPTION };
  // A link the main step saved is kept only when it points at this repository's pages on this server.
  if (p.targetUrl && p.targetUrl.startsWith(`${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/`)) body.target_url = p.targetUrl;
  const r = await guard.run('statuses', `finish the commit status ${p.context}`, () => api.request('POST /repos/{owner}/{repo}/statuses/{sha}', body));
  if (r) deps.log.info(`The run ended before a verdict: commit status ${p.context} set to error (cancelled).`);
  return r !== null;
}
