// Reports a run to GitHub or Gitea: commit status, PR and issue comments, issue lifecycle, failure issue.
import type { Mode } from '../core/mode.ts';
import type { Outcome } from '../core/outcome.ts';
import { errorMessage } from '../core/errors.ts';
import { renderReport, appendRerunLine } from '../report/markdown.ts';
import { inlineCode, safeUrl } from '../report/escape.ts';
import { reportRule, type ReportRule, type Standing } from '../report/judgement.ts';
import { finalDescription, pendingDescription } from '../report/status-line.ts';
import { createForgeApi, type ForgeApi, type ForgeApiOptions } from './api.ts';
import type { ForgeContext } from './context.ts';
import { flavorFor, type Flavor, type ForgeVersion, type PullInfo } from './flavor.ts';
import { Guard, type ReporterLog } from './guard.ts';
import { upsertComment, type RepoRef } from './comments.ts';
import { getIssue, isPull, setIssueState } from './issues.ts';
import { recordFailure, resolveFailure } from './failure-issue.ts';
import { parseIssueRefsDetailed, type IssueRef } from './issue-refs.ts';
import { commentMarker, eventMarker, failureMarker } from './markers.ts';
import { createScrubber, scrubDeep } from '../text/scrub.ts';
import { StatusThrottle } from './status-throttle.ts';
import { type StatusState } from './status.ts';
import { findStale } from './sweep.ts';
import type { PendingStatus } from './pending-state.ts';

export type { ReporterLog } from './guard.ts';

/** The default cap on related issues one run comments on, closes or reopens. */
export const DEFAULT_MAX_ISSUES = 10;

export interface ReporterOptions {
  ctx: ForgeContext;
  /** The github-token input; null or '' reports nothing (one warning). */
  token: string | null;
  /** Shown everywhere instead of the host address. */
  targetName: string;
  /** Default `hermes-handoff/<targetName>`; preflight reports under `<it>/preflight`, a status run about another release under `<it>/status`. */
  statusContext?: string;
  /** The `issue` input: the related issue, instead of the references found in the PR and commits. */
  issue?: number | null;
  closeIssueOnSuccess: boolean;
  failureLabel: string;
  /** The run's scrubber (secrets, host addresses): applied to everything written. The token is removed too, whatever this does. */
  scrub: (text: string) => string;
  log: ReporterLog;
  /** This commit's release (the release input, else GITHUB_SHA): a status run about another release leaves issues alone. Default the commit SHA. */
  release?: string;
  /** When the run gives up (its start plus timeout-seconds): pending statuses name it, so a later run can tell a dead one. */
  deadlineAt?: number | null;
  /** The most related issues one run touches (default 10); the rest are listed in the log. */
  maxIssues?: number;
  /** Put green's log tail and prepare-command's output in comments and the failure issue too (default: job summary and log only). */
  hostOutputInComments?: boolean;
  /** Clock for the status rate limit, the deadlines and rerun lines. */
  now?: () => number;
  /** Client options (tests turn octokit's throttling off to stay fast). */
  apiOptions?: ForgeApiOptions;
}

export interface Reporter {
  /** Asks the forge's version, starts ending dead pending statuses, sets the pending status; returns what the post step needs to finish it, or null when nothing was set. */
  begin(mode: Mode): Promise<PendingStatus | null>;
  /** Updates the pending status's description: at most once per phase, plus once a minute while baking. Never rejects. */
  phase(phase: string, detail: string): Promise<void>;
  /** Final status, comments, issue close/reopen and the failure issue, per the verdict and its standing. Never rejects; runs once. */
  finish(outcome: Outcome): Promise<void>;
  /** The run's page as this forge version addresses it (known after begin). */
  runUrl(): string | null;
}

/** Builds the reporter for one run; without a token it makes no request at all. */
export function createReporter(opts: ReporterOptions): Reporter {
  return new ForgeReporter(opts);
}

class ForgeReporter implements Reporter {
  private readonly flavor: Flavor;
  private readonly api: ForgeApi | null;
  private readonly scrub: (t: string) => string;
  private readonly guard: Guard;
  private readonly throttle: StatusThrottle;
  private readonly baseContext: string;
  private readonly repo: RepoRef;
  private readonly now: () => number;
  private readonly log: ReporterLog;
  private mode: Mode | null = null;
  private version: ForgeVersion | null = null;
  private link: string | null;
  private finished = false;
  private warnedNoToken = false;
  private queued: string | null = null;
  private draining: Promise<void> | null = null;
  private sweeping: Promise<void> | null = null;
  private authorP: Promise<string> | null = null;
  private prComment: number | null = null;

  constructor(private readonly opts: ReporterOptions) {
    const token = opts.token && opts.token.trim() !== '' ? opts.token.trim() : null;
    const withoutToken = createScrubber(token ? [token] : []);
    this.scrub = (t) => withoutToken(opts.scrub(t));
    this.flavor = flavorFor(opts.ctx.flavor);
    this.log = { info: (m: string) => opts.log.info(this.scrub(m)), warn: (m: string) => opts.log.warn(this.scrub(m)) };
    this.guard = new Guard(this.flavor, this.log, this.scrub);
    this.now = opts.now ?? Date.now;
    this.throttle = new StatusThrottle(this.now);
    this.baseContext = opts.statusContext?.trim() || `hermes-handoff/${opts.targetName}`;
    this.repo = { owner: opts.ctx.owner, repo: opts.ctx.repo };
    this.link = opts.ctx.runUrl;
    this.api = token ? createForgeApi(opts.ctx.apiUrl, token, { ...opts.apiOptions, warn: this.log.warn }) : null;
  }

  runUrl(): string | null {
    return this.link;
  }

  /** The context a mode reports under: preflight has its own, so it never overwrites a promotion's status on the same commit. */
  private context(mode: Mode, standing: Standing = 'judged'): string {
    if (mode === 'preflight') return `${this.baseContext}/preflight`;
    if (mode === 'status' && (standing === 'other-release' || standing === 'nothing-to-report')) return `${this.baseContext}/status`;
    return this.baseContext;
  }

  async begin(mode: Mode): Promise<PendingStatus | null> {
    this.mode = mode;
    const api = this.api;
    if (!api) return this.noToken();
    try {
      this.version = await this.flavor.serverVersion(api);
      const { ctx } = this.opts;
      this.link = this.flavor.runUrl({ serverUrl: ctx.serverUrl, repository: `${ctx.owner}/${ctx.repo}`, runId: ctx.runId, runNumber: ctx.runNumber }, this.version);
      // A status run only reports: nothing pending for it to leave behind.
      const context = this.context(mode);
      const ok = mode !== 'status' && (await this.postStatus('pending', pendingDescription(`${mode} started on ${this.opts.targetName}`, this.opts.deadlineAt ?? null, this.now()), context, mode));
      // The sweep runs beside the handoff; finish waits for it.
      this.sweeping = this.sweep(api, mode);
      return ok ? { sha: this.statusSha(mode), context, targetUrl: this.link } : null;
    } catch (e) {
      this.log.warn(`hermes-handoff could not set the pending status: ${errorMessage(e)}`);
      return null;
    }
  }

  phase(phase: string, detail: string): Promise<void> {
    if (!this.api || this.finished || this.mode === 'status' || !this.throttle.admit(phase)) return Promise.resolve();
    // Latest wins: a description not yet sent is replaced rather than queued behind.
    this.queued = `${phase}: ${detail}`;
    if (!this.draining) this.draining = this.drain();
    return this.draining;
  }

  async finish(outcome: Outcome): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (!this.api) {
      this.noToken();
      return;
    }
    try {
      // Scrub before rendering: escaping would turn a secret's `_`, `@` or `<` into forms the scrubber cannot find.
      await this.report(this.api, scrubDeep(outcome, this.scrub));
    } catch (e) {
      this.log.warn(`hermes-handoff could not finish its report: ${errorMessage(e)}`);
    }
  }

  private noToken(): null {
    if (!this.warnedNoToken) {
      this.warnedNoToken = true;
      const f = this.flavor;
      this.opts.log.warn(
        `No github-token: the commit status, comments and issues are skipped (the workflow needs ${f.permission('statuses')}, ${f.permission('issues')}, ${f.permission('pulls')}). The handoff result is unaffected.`,
      );
    }
    return null;
  }

  private statusSha(mode: Mode): string {
    const pr = this.opts.ctx.pullRequest;
    return mode === 'preflight' && pr ? pr.headSha : this.opts.ctx.sha;
  }

  private author(api: ForgeApi): Promise<string> {
    this.authorP ??= this.flavor.tokenUser(api);
    return this.authorP;
  }

  /** Ends this target's pending statuses on the branch's recent commits that no run will finish. */
  private async sweep(api: ForgeApi, mode: Mode): Promise<void> {
    const { ctx } = this.opts;
    if (!ctx.branch || mode === 'preflight') return;
    const contexts = [this.baseContext, `${this.baseContext}/preflight`, `${this.baseContext}/status`];
    const supersedable = ctx.eventName === 'push' && this.flavor.pushCancelsRunning(this.version) ? this.baseContext : null;
    const stale = await this.guard.run('statuses', 'look for commit statuses left pending by cancelled runs', () =>
      findStale({ api, flavor: this.flavor, repo: this.repo, branch: ctx.branch ?? '', sha: ctx.sha, contexts, supersedable, now: this.now() }),
    );
    for (const s of stale ?? []) {
      const body: Record<string, unknown> = { ...this.repo, sha: s.sha, state: 'error', context: s.context, description: s.description };
      if (s.targetUrl && safeUrl(s.targetUrl)) body.target_url = s.targetUrl;
      const ok = await this.guard.run('statuses', `end the pending commit status ${s.context} on ${s.sha.slice(0, 12)}`, () => api.request('POST /repos/{owner}/{repo}/statuses/{sha}', body));
      if (ok) this.log.info(`Commit status ${s.context} on ${s.sha.slice(0, 12)} was left pending by a run that ${s.why === 'stale' ? 'ended without a verdict' : 'this push cancelled'}: set to error (${s.description}).`);
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued !== null) {
        const d = this.queued;
        this.queued = null;
        const mode = this.mode ?? 'promote';
        await this.postStatus('pending', pendingDescription(d, this.opts.deadlineAt ?? null, this.now()), this.context(mode), mode);
      }
    } finally {
      this.draining = null;
    }
  }

  private async postStatus(state: StatusState, description: string, context: string, mode: Mode): Promise<boolean> {
    const api = this.api;
    if (!api) return false;
    const { ctx } = this.opts;
    const body: Record<string, unknown> = { owner: ctx.owner, repo: ctx.repo, sha: this.statusSha(mode), state, context, description: this.scrub(description) };
    if (this.link) body.target_url = this.link;
    const r = await this.guard.run('statuses', `set the commit status ${context}`, () => api.request('POST /repos/{owner}/{repo}/statuses/{sha}', body));
    return r !== null;
  }

  private async report(api: ForgeApi, o: Outcome): Promise<void> {
    const { targetName } = this.opts;
    const mode = this.mode ?? o.mode;
    if (this.draining) await this.draining;
    if (this.sweeping) await this.sweeping;

    const rule = reportRule(o, this.opts.release ?? this.opts.ctx.sha);
    const context = this.context(mode, rule.standing);
    const description = finalDescription(o, rule.standing);
    if (await this.postStatus(rule.status, description, context, mode)) this.log.info(`Commit status ${context}: ${rule.status} on ${this.statusSha(mode).slice(0, 12)}.`);

    const marker = commentMarker(targetName);
    const body = this.scrub(renderReport(o, { runUrl: this.link, marker, hostOutput: this.opts.hostOutputInComments === true, standing: rule.standing }));
    // An `unchanged` rerun keeps the last real report and adds its line under it.
    const merge = o.verdict === 'unchanged' ? (existing: string) => this.scrub(appendRerunLine(existing, o, this.link, this.now())) : undefined;

    const pr = await this.pullRequest(api, mode);
    if (pr) {
      const author = await this.guard.run('pulls', 'learn which user the token comments as', () => this.author(api));
      const r = author === null ? null : await this.guard.run('pulls', `comment on pull request #${pr.number}`, () => upsertComment(api, this.flavor, this.repo, pr.number, marker, body, { author, merge }));
      if (r) {
        this.prComment = pr.number;
        this.log.info(`Report comment ${r.action} on pull request #${pr.number}.`);
      }
    }

    if (mode !== 'preflight' && rule.relatedIssue !== 'untouched') {
      const refs = this.relatedIssues(pr);
      const max = this.opts.maxIssues ?? DEFAULT_MAX_ISSUES;
      if (refs.length > max) {
        const rest = refs.slice(max).map((r) => `#${r.number}`);
        this.log.info(`${refs.length} issues are referenced; max-issues is ${max}, so ${rest.length} are left alone: ${rest.join(', ')}.`);
      }
      for (const ref of refs.slice(0, max)) await this.relatedIssue(api, ref, rule, marker, body, merge);
    }
    if (rule.failureIssue === 'open-or-comment') await this.failureIssue(api, o, rule);
    else if (rule.failureIssue === 'close') await this.resolveFailureIssue(api, o);
    this.sayWhereTheReportIs();
  }

  /** On a forge that drops job summaries, the log says where the report can be read. */
  private sayWhereTheReportIs(): void {
    const shows = this.flavor.showsJobSummary(this.version);
    if (shows === true) return;
    const where = [this.prComment !== null ? `the comment on pull request #${this.prComment}` : null, "this step's output `report`"].filter((x) => x !== null).join(' and ');
    const which = this.version ? `Gitea ${this.version.raw}` : 'This Gitea (its version could not be read)';
    this.log.info(`${which} does not show job summaries (Gitea 1.27 with a current runner does): read the report in ${where}.`);
  }

  /** The event's PR, or (outside preflight) the PR that merged the commit. */
  private async pullRequest(api: ForgeApi, mode: Mode): Promise<Pick<PullInfo, 'number' | 'title' | 'body'> | null> {
    const { ctx } = this.opts;
    if (ctx.pullRequest) return ctx.pullRequest;
    if (mode === 'preflight') return null;
    const pulls = await this.guard.run('pulls', `look up the pull request of ${ctx.sha.slice(0, 12)}`, () => this.flavor.pullsOfCommit(api, ctx.owner, ctx.repo, ctx.sha));
    return pulls?.[0] ?? null;
  }

  /** The `issue` option (closing), else the issues the PR and the commit messages reference. */
  private relatedIssues(pr: Pick<PullInfo, 'number' | 'title' | 'body'> | null): IssueRef[] {
    if (this.opts.issue) return [{ number: this.opts.issue, closing: true }];
    const text = [pr?.title ?? '', pr?.body ?? '', ...this.opts.ctx.commitMessages].join('\n');
    return parseIssueRefsDetailed(text).filter((r) => r.number !== pr?.number);
  }

  private async relatedIssue(api: ForgeApi, ref: IssueRef, rule: ReportRule, marker: string, body: string, merge: ((b: string) => string) | undefined): Promise<void> {
    const n = ref.number;
    const issue = await this.guard.run('issues', `read issue #${n}`, () => getIssue(api, this.repo, n));
    if (!issue) return;
    if (isPull(issue)) {
      this.log.info(`#${n} is a pull request, not an issue: left alone.`);
      return;
    }
    const author = await this.guard.run('issues', 'learn which user the token comments as', () => this.author(api));
    if (author === null) return;
    const c = await this.guard.run('issues', `comment on issue #${n}`, () => upsertComment(api, this.flavor, this.repo, n, marker, body, { author, merge }));
    if (c) this.log.info(`Report comment ${c.action} on issue #${n}.`);
    // Only issues the merge closes (or the `issue` input) change state: "Refs #N" means the work goes on.
    if (!ref.closing) return;
    if (rule.relatedIssue === 'close' && this.opts.closeIssueOnSuccess && issue.state !== 'closed') {
      if ((await this.guard.run('issues', `close issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, 'closed'))) !== null) this.log.info(`Closed issue #${n}: the new runtime is live.`);
    } else if (rule.relatedIssue === 'reopen' && issue.state === 'closed') {
      if ((await this.guard.run('issues', `reopen issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, 'open'))) !== null) this.log.info(`Reopened issue #${n}: the new runtime is not live.`);
    }
  }

  private eventKey(o: Outcome): string {
    return o.handoff_id ?? `run-${o.started_at}`;
  }

  private async failureIssue(api: ForgeApi, o: Outcome, rule: ReportRule): Promise<void> {
    const { targetName, failureLabel } = this.opts;
    const author = await this.guard.run('issues', 'learn which user the token comments as', () => this.author(api));
    if (author === null) return;
    const marker = failureMarker(targetName);
    const ev = eventMarker(targetName, this.eventKey(o));
    const hostOutput = this.opts.hostOutputInComments === true;
    const report = renderReport(o, { runUrl: this.link, hostOutput, standing: rule.standing });
    const again = renderReport(o, { runUrl: this.link, hostOutput, standing: rule.standing, heading: 'again' });
    const body = this.scrub(
      `${marker}\n${ev}\n${report}\nThis issue stays open until a promotion on ${inlineCode(targetName)} succeeds; hermes-handoff closes it then. Later failures are added as comments.\n`,
    );
    const comment = this.scrub(`${ev}\n${again}`);
    const r = await this.guard.run('issues', `open or update the failure issue (label ${failureLabel})`, () =>
      recordFailure(api, this.flavor, this.repo, { target: targetName, label: failureLabel, marker, body, eventMarker: ev, comment, author }),
    );
    if (!r) return;
    const said = {
      opened: `Opened failure issue #${r.number}.`,
      commented: `Commented on the open failure issue #${r.number}.`,
      updated: `Updated failure issue #${r.number} (the same handoff, reported again).`,
      'left-closed': `Failure issue #${r.number} already reports handoff ${this.eventKey(o)} and was closed: left closed.`,
    } as const;
    this.log.info(said[r.action]);
  }

  private async resolveFailureIssue(api: ForgeApi, o: Outcome): Promise<void> {
    const { targetName, failureLabel } = this.opts;
    const author = await this.guard.run('issues', 'learn which user the token comments as', () => this.author(api));
    if (author === null) return;
    const ev = eventMarker(targetName, this.eventKey(o));
    const url = safeUrl(this.link);
    const runLink = url ? ` ([run](${url}))` : '';
    const comment = this.scrub(`${ev}\n✅ Resolved: release ${inlineCode(o.release)} was promoted on ${inlineCode(targetName)}${runLink}. Closing.\n`);
    const n = await this.guard.run('issues', `close the failure issue (label ${failureLabel})`, () =>
      resolveFailure(api, this.flavor, this.repo, failureLabel, failureMarker(targetName), comment, ev, author),
    );
    if (n) this.log.info(`Closed failure issue #${n}: ${targetName} is healthy again.`);
  }
}
