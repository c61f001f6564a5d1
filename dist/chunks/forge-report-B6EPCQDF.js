import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import {
  escapeMarkdown,
  renderReport,
  safeUrl
} from "./chunk-QWZZ5MUP.js";
import {
  FlavorName,
  ForgeRequestError,
  Guard,
  createForgeApi,
  detectFlavor,
  flavorFor,
  markFinished,
  savePendingState
} from "./chunk-SRCK2DW2.js";
import {
  createScrubber,
  external_exports,
  scrubDeep
} from "./chunk-ZGWB6UPF.js";
import {
  info,
  summary,
  warning
} from "./chunk-NZPTXO4V.js";
import "./chunk-CZ3X2CHL.js";

// src/forge/context.ts
var ForgeContext = external_exports.object({
  flavor: FlavorName,
  /** REST base, e.g. https://api.github.com or https://gitea.example/api/v1 (no trailing slash). */
  apiUrl: external_exports.url(),
  serverUrl: external_exports.url(),
  owner: external_exports.string().min(1),
  repo: external_exports.string().min(1),
  /** The commit being deployed (GITHUB_SHA). */
  sha: external_exports.string().regex(/^[0-9a-f]{7,64}$/i),
  eventName: external_exports.string(),
  /** The pull request of a pull_request event; null for other events. */
  pullRequest: external_exports.object({ number: external_exports.number().int().positive(), headSha: external_exports.string().min(1), title: external_exports.string(), body: external_exports.string() }).nullable(),
  /** Commit messages a push brought (head commit first); they may reference issues. */
  commitMessages: external_exports.array(external_exports.string()),
  /** The run's page, for target_url and the report's link; null when GITHUB_RUN_ID is unset. */
  runUrl: external_exports.string().nullable(),
  /** GITHUB_RUN_ATTEMPT: 1 for the first attempt, more on a rerun. */
  runAttempt: external_exports.number().int().positive()
}), PullRequestPayload = external_exports.object({
  pull_request: external_exports.object({
    number: external_exports.number().int().positive(),
    head: external_exports.object({ sha: external_exports.string().min(1) }),
    title: external_exports.string().nullish(),
    body: external_exports.string().nullish()
  })
}), PushPayload = external_exports.object({
  head_commit: external_exports.object({ message: external_exports.string() }).nullish().catch(null),
  commits: external_exports.array(external_exports.object({ message: external_exports.string() })).nullish().catch(null)
}), PR_EVENTS = /* @__PURE__ */ new Set(["pull_request", "pull_request_target"]);
function readForgeContext(env, eventJson) {
  let flavor = detectFlavor(env), apiUrl = (env.GITHUB_API_URL || "https://api.github.com").trim().replace(/\/+$/, ""), serverUrl = (env.GITHUB_SERVER_URL || (flavor === "github" ? "https://github.com" : apiUrl.replace(/\/api\/v1$/, ""))).trim().replace(/\/+$/, ""), repository = (env.GITHUB_REPOSITORY ?? "").trim(), m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (!m) throw new Error(`GITHUB_REPOSITORY: expected "owner/repo", got ${JSON.stringify(repository)}`);
  let sha = (env.GITHUB_SHA ?? "").trim(), eventName = (env.GITHUB_EVENT_NAME ?? "").trim(), pr = null;
  if (PR_EVENTS.has(eventName)) {
    let parsed = PullRequestPayload.safeParse(eventJson ?? {});
    if (!parsed.success) {
      let issue = parsed.error.issues[0];
      throw new Error(`event payload (GITHUB_EVENT_PATH) of a ${eventName} event: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
    }
    pr = parsed.data.pull_request;
  }
  let push = PushPayload.safeParse(eventJson ?? {}), ev = push.success ? push.data : { head_commit: null, commits: null }, messages = [ev.head_commit?.message, ...(ev.commits ?? []).map((c) => c.message)].filter((x) => typeof x == "string"), runId = (env.GITHUB_RUN_ID ?? "").trim(), attempt = Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? "", 10), ctx = {
    flavor,
    apiUrl,
    serverUrl,
    owner: m[1],
    repo: m[2],
    sha,
    eventName,
    pullRequest: pr ? { number: pr.number, headSha: pr.head.sha, title: pr.title ?? "", body: pr.body ?? "" } : null,
    commitMessages: [...new Set(messages)],
    runUrl: /^\d+$/.test(runId) ? `${serverUrl}/${repository}/actions/runs/${runId}` : null,
    runAttempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1
  }, checked = ForgeContext.safeParse(ctx);
  if (!checked.success) {
    let issue = checked.error.issues[0], field = String(issue?.path[0] ?? ""), names = { apiUrl: "GITHUB_API_URL", serverUrl: "GITHUB_SERVER_URL", sha: "GITHUB_SHA" };
    throw new Error(`${names[field] ?? field}: ${issue?.message ?? "invalid"} (got ${JSON.stringify(ctx[field])})`);
  }
  return checked.data;
}

// src/forge/markers.ts
function markerName(target) {
  return target.replace(/[^A-Za-z0-9._/:@+-]/g, "_").replace(/-{2,}/g, "-").slice(0, 100);
}
function commentMarker(target) {
  return `<!-- hermes-handoff:${markerName(target)} -->`;
}
function failureMarker(target) {
  return `<!-- hermes-handoff-failure:${markerName(target)} -->`;
}
function hasMarker(body, marker) {
  return typeof body == "string" && body.includes(marker);
}
function eventMarker(target, key) {
  return `<!-- hermes-handoff-event:${markerName(target)}:${markerName(key)} -->`;
}

// src/forge/paging.ts
async function listAll(api, flavor, route, params, item, stop) {
  let out = [];
  for (let page = 1; page <= 30; page++) {
    let p = flavor.page(page), res = await api.request(route, { ...params, ...p.params });
    if (!Array.isArray(res.data)) throw new Error(`${route}: expected a JSON array, got ${typeof res.data}`);
    let items = res.data.map((x, i) => {
      let r = item.safeParse(x);
      if (!r.success) throw new Error(`${route}: item ${i}: ${r.error.issues[0]?.path.join(".") ?? ""} ${r.error.issues[0]?.message ?? "invalid"}`);
      return r.data;
    });
    if (out.push(...items), stop && items.some(stop) || items.length < p.size) break;
  }
  return out;
}

// src/forge/comments.ts
var CommentJson = external_exports.object({ id: external_exports.number().int(), body: external_exports.string().nullish() });
async function findComment(api, flavor, r, number, marker) {
  let route = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", params = { owner: r.owner, repo: r.repo, issue_number: number }, mine = (c) => hasMarker(c.body, marker);
  return (flavor.commentsPaginate ? await listAll(api, flavor, route, params, CommentJson, mine) : external_exports.array(CommentJson).parse((await api.request(route, params)).data)).find(mine)?.id ?? null;
}
async function upsertComment(api, flavor, r, number, marker, body) {
  if (!hasMarker(body, marker)) throw new Error(`upsertComment: body for #${number} lacks its marker ${marker}`);
  let existing = await findComment(api, flavor, r, number, marker);
  if (existing !== null)
    return await api.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner: r.owner, repo: r.repo, comment_id: existing, body }), { id: existing, action: "updated" };
  let res = await api.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner: r.owner, repo: r.repo, issue_number: number, body });
  return { id: CommentJson.parse(res.data).id, action: "created" };
}

// src/forge/issues.ts
var IssueJson = external_exports.object({
  number: external_exports.number().int().positive(),
  state: external_exports.string(),
  title: external_exports.string().nullish(),
  body: external_exports.string().nullish(),
  // Both forges list pull requests among issues and mark them with this field.
  pull_request: external_exports.unknown().optional()
});
function isPull(i) {
  return i.pull_request !== void 0 && i.pull_request !== null;
}
async function getIssue(api, r, number) {
  let res = await api.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: r.owner, repo: r.repo, issue_number: number });
  return IssueJson.parse(res.data);
}
async function setIssueState(api, flavor, r, number, state) {
  await api.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { owner: r.owner, repo: r.repo, issue_number: number, ...flavor.issueStateBody(state) });
}

// src/forge/labels.ts
var LabelJson = external_exports.object({ id: external_exports.number().int(), name: external_exports.string() }), FAILURE_LABEL_COLOR = "b60205";
async function findLabel(api, flavor, r, name) {
  let same = (l) => l.name.toLowerCase() === name.toLowerCase();
  return (await listAll(api, flavor, "GET /repos/{owner}/{repo}/labels", { owner: r.owner, repo: r.repo }, LabelJson, same)).find(same) ?? null;
}
async function ensureLabel(api, flavor, r, name) {
  let found = await findLabel(api, flavor, r, name);
  if (found) return found;
  try {
    let res = await api.request("POST /repos/{owner}/{repo}/labels", {
      owner: r.owner,
      repo: r.repo,
      name,
      color: flavor.labelColor(FAILURE_LABEL_COLOR),
      description: "A hermes-handoff promotion failed on a target; closed by the next successful one."
    });
    return LabelJson.parse(res.data);
  } catch (e) {
    if (e instanceof ForgeRequestError && e.status === 422) {
      let again = await findLabel(api, flavor, r, name);
      if (again) return again;
    }
    throw e;
  }
}

// src/forge/failure-issue.ts
function failureIssueTitle(target) {
  return `hermes-handoff: ${target} handoff failed`;
}
async function findOpenFailureIssue(api, flavor, r, label, marker) {
  let mine = (i) => !isPull(i) && i.state === "open" && hasMarker(i.body, marker), hits = (await listAll(api, flavor, "GET /repos/{owner}/{repo}/issues", { owner: r.owner, repo: r.repo, ...flavor.openIssuesQuery(label) }, IssueJson, mine)).filter(mine).map((i) => i.number);
  return hits.length > 0 ? Math.min(...hits) : null;
}
async function recordFailure(api, flavor, r, f) {
  let label = await ensureLabel(api, flavor, r, f.label), open = await findOpenFailureIssue(api, flavor, r, label.name, f.marker);
  if (open !== null)
    return await upsertComment(api, flavor, r, open, f.eventMarker, f.comment), { number: open, action: "commented" };
  let res = await api.request("POST /repos/{owner}/{repo}/issues", {
    owner: r.owner,
    repo: r.repo,
    title: failureIssueTitle(f.target),
    body: f.body,
    labels: flavor.createIssueLabels(label)
  });
  return { number: external_exports.object({ number: external_exports.number().int().positive() }).parse(res.data).number, action: "opened" };
}
async function resolveFailure(api, flavor, r, label, marker, comment, eventMarker2) {
  let open = await findOpenFailureIssue(api, flavor, r, label, marker);
  return open === null ? null : (await upsertComment(api, flavor, r, open, eventMarker2, comment), await setIssueState(api, flavor, r, open, "closed"), open);
}

// src/forge/issue-refs.ts
var REF = /\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|references|part\s+of)\b:?[ \t]+(#\d+(?!\w)(?:(?:[ \t]*,[ \t]*|[ \t]+and[ \t]+|[ \t]+)#\d+(?!\w))*)/gi;
function parseIssueRefsDetailed(text) {
  let found = /* @__PURE__ */ new Map();
  for (let m of text.matchAll(REF)) {
    let keyword = (m[1] ?? "").toLowerCase(), closing = /^(close|fix|resolve)/.test(keyword);
    for (let n of (m[2] ?? "").matchAll(/#(\d+)/g)) {
      let num = Number(n[1]);
      !Number.isSafeInteger(num) || num <= 0 || found.set(num, (found.get(num) ?? !1) || closing);
    }
  }
  return [...found].map(([number, closing]) => ({ number, closing }));
}

// src/forge/status-throttle.ts
var StatusThrottle = class {
  constructor(now = Date.now, bakeRefreshMs = 6e4) {
    this.now = now;
    this.bakeRefreshMs = bakeRefreshMs;
  }
  now;
  bakeRefreshMs;
  seen = /* @__PURE__ */ new Set();
  lastBakeAt = Number.NEGATIVE_INFINITY;
  /** True when an update for `phase` should be written now (and records that it was). */
  admit(phase) {
    let t = this.now();
    return this.seen.has(phase) ? phase === "baking" && t - this.lastBakeAt >= this.bakeRefreshMs ? (this.lastBakeAt = t, !0) : !1 : (this.seen.add(phase), phase === "baking" && (this.lastBakeAt = t), !0);
  }
};

// src/forge/status.ts
function clip(text, max = 140) {
  let one = text.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}\u2026`;
}
function finalStatus(o) {
  let release = o.release.slice(0, 12);
  switch (o.verdict) {
    case "promoted":
      return { state: "success", description: clip(`promoted ${release}: ${o.reason}`) };
    case "unchanged":
      return { state: "success", description: clip(`unchanged: ${release} already serves`) };
    case "ready":
      return { state: "success", description: clip(`ready: ${o.reason}`) };
    case "not-ready": {
      let first = o.checks.find((c) => !c.ok);
      return { state: "failure", description: clip(first ? `not ready: ${first.name}: ${first.detail}` : `not ready: ${o.reason}`) };
    }
    case "rolled-back":
      return { state: "failure", description: clip(`rolled back: ${o.reason}`) };
    case "failed":
      return { state: "failure", description: clip(`failed: ${o.reason}`) };
    case "timed-out":
      return { state: "error", description: clip(`timed out (rerun with mode: status): ${o.reason}`) };
  }
}

// src/forge/reporter.ts
var SUCCESS = /* @__PURE__ */ new Set(["promoted", "unchanged"]), FAILURE = /* @__PURE__ */ new Set(["rolled-back", "failed"]);
function createReporter(opts) {
  return new ForgeReporter(opts);
}
var ForgeReporter = class {
  constructor(opts) {
    this.opts = opts;
    let token = opts.token && opts.token.trim() !== "" ? opts.token.trim() : null, cache = null;
    this.scrub = (t) => {
      let all = token ? [...opts.secrets, token] : [...opts.secrets], key = `${all.length}:${opts.redact?.length ?? 0}`;
      return (!cache || cache.key !== key) && (cache = { key, fn: createScrubber(all, opts.redact ?? []) }), cache.fn(t);
    }, this.flavor = flavorFor(opts.ctx.flavor);
    let log = { info: (m) => opts.log.info(this.scrub(m)), warn: (m) => opts.log.warn(this.scrub(m)) };
    this.guard = new Guard(this.flavor, log, this.scrub), this.throttle = new StatusThrottle(opts.now ?? Date.now), this.context = opts.statusContext?.trim() || `hermes-handoff/${opts.targetName}`, this.repo = { owner: opts.ctx.owner, repo: opts.ctx.repo }, this.api = token ? createForgeApi(opts.ctx.apiUrl, token, { ...opts.apiOptions, warn: log.warn }) : null;
  }
  opts;
  flavor;
  api;
  scrub;
  guard;
  throttle;
  context;
  repo;
  mode = null;
  finished = !1;
  warnedNoToken = !1;
  queued = null;
  draining = null;
  async begin(mode) {
    if (this.mode = mode, !this.api) return this.noToken();
    try {
      if (!await this.postStatus("pending", `${mode} started on ${this.opts.targetName}`)) return null;
      let { ctx } = this.opts;
      return { flavor: ctx.flavor, apiUrl: ctx.apiUrl, owner: ctx.owner, repo: ctx.repo, sha: this.statusSha(mode), context: this.context, targetUrl: ctx.runUrl };
    } catch (e) {
      return this.opts.log.warn(this.scrub(`hermes-handoff could not set the pending status: ${String(e)}`)), null;
    }
  }
  phase(phase, detail) {
    return !this.api || this.finished || !this.throttle.admit(phase) ? Promise.resolve() : (this.queued = `${phase}: ${detail}`, this.draining || (this.draining = this.drain()), this.draining);
  }
  async finish(outcome) {
    if (!this.finished) {
      if (this.finished = !0, !this.api) {
        this.noToken();
        return;
      }
      try {
        await this.report(this.api, scrubDeep(outcome, this.scrub));
      } catch (e) {
        this.opts.log.warn(this.scrub(`hermes-handoff could not finish its report: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
  }
  noToken() {
    if (!this.warnedNoToken) {
      this.warnedNoToken = !0;
      let f = this.flavor;
      this.opts.log.warn(
        `No github-token: the commit status, comments and issues are skipped (the workflow needs ${f.permission("statuses")}, ${f.permission("issues")}, ${f.permission("pulls")}). The handoff result is unaffected.`
      );
    }
    return null;
  }
  statusSha(mode) {
    let pr = this.opts.ctx.pullRequest;
    return mode === "preflight" && pr ? pr.headSha : this.opts.ctx.sha;
  }
  async drain() {
    try {
      for (; this.queued !== null; ) {
        let d = this.queued;
        this.queued = null, await this.postStatus("pending", d);
      }
    } finally {
      this.draining = null;
    }
  }
  async postStatus(state, description, mode = this.mode ?? "promote") {
    let api = this.api;
    if (!api) return !1;
    let { ctx } = this.opts, sha = this.statusSha(mode), body = { owner: ctx.owner, repo: ctx.repo, sha, state, context: this.context, description: clip(this.scrub(description)) };
    return ctx.runUrl && (body.target_url = ctx.runUrl), await this.guard.run("statuses", `set the commit status ${this.context}`, () => api.request("POST /repos/{owner}/{repo}/statuses/{sha}", body)) !== null;
  }
  async report(api, o) {
    let { ctx, targetName, log } = this.opts, mode = this.mode ?? o.mode;
    this.draining && await this.draining;
    let fin = finalStatus(o);
    await this.postStatus(fin.state, fin.description, mode) && log.info(`Commit status ${this.context}: ${fin.state} on ${this.statusSha(mode).slice(0, 12)}.`);
    let marker = commentMarker(targetName), body = this.scrub(renderReport(o, { runUrl: ctx.runUrl, marker })), pr = await this.pullRequest(api, mode);
    if (pr) {
      let r = await this.guard.run("pulls", `comment on pull request #${pr.number}`, () => upsertComment(api, this.flavor, this.repo, pr.number, marker, body));
      r && log.info(`Report comment ${r.action} on pull request #${pr.number}.`);
    }
    if (mode !== "preflight" && (SUCCESS.has(o.verdict) || FAILURE.has(o.verdict)))
      for (let ref of this.relatedIssues(pr)) await this.relatedIssue(api, ref, o, marker, body);
    FAILURE.has(o.verdict) ? await this.failureIssue(api, o) : o.verdict === "promoted" && await this.resolveFailureIssue(api, o);
  }
  /** The event's PR, or (outside preflight) the PR that merged the commit. */
  async pullRequest(api, mode) {
    let { ctx } = this.opts;
    return ctx.pullRequest ? ctx.pullRequest : mode === "preflight" ? null : (await this.guard.run("pulls", `look up the pull request of ${ctx.sha.slice(0, 12)}`, () => this.flavor.pullsOfCommit(api, ctx.owner, ctx.repo, ctx.sha)))?.[0] ?? null;
  }
  /** The `issue` option (closing), else the issues the PR and the commit messages reference. */
  relatedIssues(pr) {
    if (this.opts.issue) return [{ number: this.opts.issue, closing: !0 }];
    let text = [pr?.title ?? "", pr?.body ?? "", ...this.opts.ctx.commitMessages].join(`
`);
    return parseIssueRefsDetailed(text).filter((r) => r.number !== pr?.number);
  }
  async relatedIssue(api, ref, o, marker, body) {
    let { log } = this.opts, n = ref.number, issue = await this.guard.run("issues", `read issue #${n}`, () => getIssue(api, this.repo, n));
    if (!issue) return;
    if (isPull(issue)) {
      log.info(`#${n} is a pull request, not an issue: left alone.`);
      return;
    }
    let c = await this.guard.run("issues", `comment on issue #${n}`, () => upsertComment(api, this.flavor, this.repo, n, marker, body));
    c && log.info(`Report comment ${c.action} on issue #${n}.`), ref.closing && (SUCCESS.has(o.verdict) && this.opts.closeIssueOnSuccess && issue.state !== "closed" ? await this.guard.run("issues", `close issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, "closed")) !== null && log.info(`Closed issue #${n}: the new runtime is live.`) : FAILURE.has(o.verdict) && issue.state === "closed" && await this.guard.run("issues", `reopen issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, "open")) !== null && log.info(`Reopened issue #${n}: the new runtime is not live.`));
  }
  eventKey(o) {
    return o.handoff_id ?? `run-${o.started_at}`;
  }
  async failureIssue(api, o) {
    let { targetName, failureLabel, ctx, log } = this.opts, marker = failureMarker(targetName), ev = eventMarker(targetName, this.eventKey(o)), report = renderReport(o, { runUrl: ctx.runUrl }), body = this.scrub(
      `${marker}
${report}
This issue stays open until a promotion on ${escapeMarkdown(targetName)} succeeds; hermes-handoff closes it then. Later failures are added as comments.
`
    ), comment = this.scrub(`${ev}
#### Failed again

${report}`), r = await this.guard.run(
      "issues",
      `open or update the failure issue (label ${failureLabel})`,
      () => recordFailure(api, this.flavor, this.repo, { target: targetName, label: failureLabel, marker, body, eventMarker: ev, comment })
    );
    r && log.info(r.action === "opened" ? `Opened failure issue #${r.number}.` : `Commented on the open failure issue #${r.number}.`);
  }
  async resolveFailureIssue(api, o) {
    let { targetName, failureLabel, ctx, log } = this.opts, ev = eventMarker(targetName, this.eventKey(o)), url = safeUrl(ctx.runUrl), link = url ? ` ([run](${url}))` : "", comment = this.scrub(`${ev}
\u2705 Resolved: ${escapeMarkdown(o.release)} was promoted on ${escapeMarkdown(targetName)}${link}. Closing.
`), n = await this.guard.run(
      "issues",
      `close the failure issue (label ${failureLabel})`,
      () => resolveFailure(api, this.flavor, this.repo, failureLabel, failureMarker(targetName), comment, ev)
    );
    n && log.info(`Closed failure issue #${n}: ${targetName} is healthy again.`);
  }
};

// src/report/summary.ts
import { access, constants } from "node:fs/promises";
async function writeJobSummary(outcome, opts = {}) {
  let log = opts.log ?? { info, warn: warning }, file = process.env.GITHUB_STEP_SUMMARY;
  if (!file)
    return log.info("No job summary on this runner (GITHUB_STEP_SUMMARY is unset, as on older Gitea): the report is in the log and the step outputs."), !1;
  try {
    await access(file, constants.W_OK);
  } catch {
    return log.warn("The job summary file (GITHUB_STEP_SUMMARY) is not writable; skipping the summary."), !1;
  }
  let scrub = opts.scrub ?? ((t) => t);
  try {
    let md = renderReport(scrubDeep(outcome, scrub), { runUrl: opts.runUrl ?? null });
    return await summary.addRaw(scrub(md), !0).write(), !0;
  } catch (e) {
    return summary.emptyBuffer(), log.warn(`Could not write the job summary: ${scrub(e instanceof Error ? e.message : String(e))}`), !1;
  }
}
export {
  createReporter,
  markFinished,
  readForgeContext,
  renderReport,
  savePendingState,
  writeJobSummary
};
