import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import {
  Guard,
  createForgeApi,
  flavorFor,
  readUnfinishedPending
} from "./chunks/chunk-SRCK2DW2.js";
import {
  createScrubber
} from "./chunks/chunk-ZGWB6UPF.js";
import {
  getInput,
  getState,
  info,
  warning
} from "./chunks/chunk-NZPTXO4V.js";
import "./chunks/chunk-CZ3X2CHL.js";

// src/forge/cancel-pending.ts
var CANCELLED_DESCRIPTION = "cancelled: the run stopped before a verdict (rerun with mode: status)";
async function cancelPendingStatus(deps) {
  let p = readUnfinishedPending(deps.getState);
  if (!p) return !1;
  let token = deps.token.trim(), scrub = createScrubber(token ? [token] : []), flavor = flavorFor(p.flavor);
  if (!token)
    return deps.log.warn(`The commit status ${p.context} was left pending and there is no github-token to finish it (needs ${flavor.permission("statuses")}).`), !1;
  let api = createForgeApi(p.apiUrl, token, { ...deps.apiOptions, warn: (m) => deps.log.warn(scrub(m)) }), guard = new Guard(flavor, deps.log, scrub), body = { owner: p.owner, repo: p.repo, sha: p.sha, state: "error", context: p.context, description: CANCELLED_DESCRIPTION };
  p.targetUrl && (body.target_url = p.targetUrl);
  let r = await guard.run("statuses", `finish the commit status ${p.context}`, () => api.request("POST /repos/{owner}/{repo}/statuses/{sha}", body));
  return r && deps.log.info(`The run ended before a verdict: commit status ${p.context} set to error (cancelled).`), r !== null;
}

// src/post.ts
try {
  await cancelPendingStatus({ getState, token: getInput("github-token"), log: { info, warn: warning } });
} catch (e) {
  warning(`hermes-handoff post step: ${e instanceof Error ? e.message : String(e)}`);
}
