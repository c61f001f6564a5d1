// Reports a run to GitHub or Gitea: commit status, PR and issue comments, issue lifecycle, failure issue.
import type { Mode } from '../core/mode.ts';
import type { Outcome } from '../core/outcome.ts';
import { VERDICTS } from '../core/verdict.ts';
import { errorMessage } from '../core/errors.ts';
import { renderReport } from '../report/markdown.ts';
import { escapeMarkdown, safeUrl } from '../report/escape.ts';
import { createForgeApi, type ForgeApi, type ForgeApiOptions } from './api.ts';
import type { ForgeContext } from './context.ts';
import { flavorFor, type Flavor, type PullInfo } from './flavor.ts';
import { Guard, type ReporterLog } from './guard.ts';
import { upsertComment, type RepoRef } from './comments.ts';
import { getIssue, isPull, setIssueState } from './issues.ts';
import { recordFailure, resolveFailure } from './failure-issue.ts';
import { parseIssueRefsDetailed, type IssueRef } from './issue-refs.ts';
import { commentMarker, eventMarker, failureMarker } from './markers.ts';
import { createScrubber, scrubDeep } from '../text/scrub.ts';
import { StatusThrottle } from './status-throttle.ts';
import { clip, finalStatus, type StatusState } from './status.ts';
import type { PendingStatus } from './pending-state.ts';

export type { ReporterLog } from './guard.ts';

export interface ReporterOptions {
  ctx: ForgeContext;
  /** The github-token input; null or '' reports nothing (one warning). */
  token: string | null;
  /** Shown everywhere instead of the host address. */
  targetName: string;
  /** Default `hermes-handoff/<targetName>`. */
  statusContext?: string;
  /** The `issue` input: the related issue, instead of the references found in the PR and commits. */
  issue?: number | null;
  closeIssueOnSuccess: boolean;
  failureLabel: string;
  /** The run's scrubber (secrets, host addresses): applied to everything written. The token is removed too, whatever this does. */
  scrub: (text: string) => string;
  log: ReporterLog;
  /** Clock for the status rate limit. */
  now?: () => number;
  /** Client options (tests turn octokit's throttling off to stay fast). */
  apiOptions?: ForgeApiOptions;
}

export interface Reporter {
  /** Sets the pending status; returns what the post step needs to finish it if the run is cancelled, or null when nothing was set. */
  begin(mode: Mode): Promise<PendingStatus | null>;
  /** Updates the pending status's description: at most once per phase, plus once a minute while baking. Never rejects. */
  phase(phase: string, detail: string): Promise<void>;
  /** Final status, comments, issue close/reopen and the failure issue, per the verdict. Never rejects; runs once. */
  finish(outcome: Outcome): Promise<void>;
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
  private readonly context: string;
  private readonly repo: RepoRef;
  private mode: Mode | null = null;
  private finished = false;
  private warnedNoToken = false;
  private queued: string | null = null;
  private draining: Promise<void> | null = null;

  constructor(private readonly opts: ReporterOptions) {
    const token = opts.token && opts.token.trim() !== '' ? opts.token.trim() : null;
    const withoutToken = createScrubber(token ? [token] : []);
    this.scrub = (t) => withoutToken(opts.scrub(t));
    this.flavor = flavorFor(opts.ctx.flavor);
    const log = { info: (m: string) => opts.log.info(this.scrub(m)), warn: (m: string) => opts.log.warn(this.scrub(m)) };
    this.guard = new Guard(this.flavor, log, this.scrub);
    this.throttle = new StatusThrottle(opts.now ?? Date.now);
    this.context = opts.statusContext?.trim() || `hermes-handoff/${opts.targetName}`;
    this.repo = { owner: opts.ctx.owner, repo: opts.ctx.repo };
    this.api = token ? createForgeApi(opts.ctx.apiUrl, token, { ...opts.apiOptions, warn: log.warn }) : null;
  }

  async begin(mode: Mode): Promise<PendingStatus | null> {
    this.mode = mode;
    if (!this.api) return this.noToken();
    try {
      const ok = await this.postStatus('pending', `${mode} started on ${this.opts.targetName}`);
      if (!ok) return null;
      const { ctx } = this.opts;
      return { flavor: ctx.flavor, apiUrl: ctx.apiUrl, owner: ctx.owner, repo: ctx.repo, sha: this.statusSha(mode), context: this.context, targetUrl: ctx.runUrl };
    } catch (e) {
      this.opts.log.warn(this.scrub(`hermes-handoff could not set the pending status: ${errorMessage(e)}`));
      return null;
    }
  }

  phase(phase: string, detail: string): Promise<void> {
    if (!this.api || this.finished || !this.throttle.admit(phase)) return Promise.resolve();
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
      this.opts.log.warn(this.scrub(`hermes-handoff could not finish its report: ${errorMessage(e)}`));
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

  private async drain(): Promise<void> {
    try {
      while (this.queued !== null) {
        const d = this.queued;
        this.queued = null;
        await this.postStatus('pending', d);
      }
    } finally {
      this.draining = null;
    }
  }

  private async postStatus(state: StatusState, description: string, mode: Mode = this.mode ?? 'promote'): Promise<boolean> {
    const api = this.api;
    if (!api) return false;
    const { ctx } = this.opts;
    const sha = this.statusSha(mode);
    const body: Record<string, unknown> = { owner: ctx.owner, repo: ctx.repo, sha, state, context: this.context, description: clip(this.scrub(description)) };
    if (ctx.runUrl) body.target_url = ctx.runUrl;
    const r = await this.guard.run('statuses', `set the commit status ${this.context}`, () => api.request('POST /repos/{owner}/{repo}/statuses/{sha}', body));
    return r !== null;
  }

  private async report(api: ForgeApi, o: Outcome): Promise<void> {
    const { ctx, targetName, log } = this.opts;
    const mode = this.mode ?? o.mode;
    if (this.draining) await this.draining;

    const fin = finalStatus(o);
    if (await this.postStatus(fin.state, fin.description, mode)) log.info(`Commit status ${this.context}: ${fin.state} on ${this.statusSha(mode).slice(0, 12)}.`);

    const marker = commentMarker(targetName);
    const body = this.scrub(renderReport(o, { runUrl: ctx.runUrl, marker }));

    const pr = await this.pullRequest(api, mode);
    if (pr) {
      const r = await this.guard.run('pulls', `comment on pull request #${pr.number}`, () => upsertComment(api, this.flavor, this.repo, pr.number, marker, body));
      if (r) log.info(`Report comment ${r.action} on pull request #${pr.number}.`);
    }

    const rule = VERDICTS[o.verdict];
    if (mode !== 'preflight' && rule.relatedIssue !== 'untouched') {
      for (const ref of this.relatedIssues(pr)) await this.relatedIssue(api, ref, o, marker, body);
    }
    if (rule.failureIssue === 'open-or-comment') await this.failureIssue(api, o);
    else if (rule.failureIssue === 'close') await this.resolveFailureIssue(api, o);
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

  private async relatedIssue(api: ForgeApi, ref: IssueRef, o: Outcome, marker: string, body: string): Promise<void> {
    const { log } = this.opts;
    const n = ref.number;
    const issue = await this.guard.run('issues', `read issue #${n}`, () => getIssue(api, this.repo, n));
    if (!issue) return;
    if (isPull(issue)) {
      log.info(`#${n} is a pull request, not an issue: left alone.`);
      return;
    }
    const c = await this.guard.run('issues', `comment on issue #${n}`, () => upsertComment(api, this.flavor, this.repo, n, marker, body));
    if (c) log.info(`Report comment ${c.action} on issue #${n}.`);
    // Only issues the merge closes (or the `issue` input) change state: "Refs #N" means the work goes on.
    if (!ref.closing) return;
    const action = VERDICTS[o.verdict].relatedIssue;
    if (action === 'close' && this.opts.closeIssueOnSuccess && issue.state !== 'closed') {
      if (await this.guard.run('issues', `close issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, 'closed')) !== null) log.info(`Closed issue #${n}: the new runtime is live.`);
    } else if (action === 'reopen' && issue.state === 'closed') {
      if (await this.guard.run('issues', `reopen issue #${n}`, () => setIssueState(api, this.flavor, this.repo, n, 'open')) !== null) log.info(`Reopened issue #${n}: the new runtime is not live.`);
    }
  }

  private eventKey(o: Outcome): string {
    return o.handoff_id ?? `run-${o.started_at}`;
  }

  private async failureIssue(api: ForgeApi, o: Outcome): Promise<void> {
    const { targetName, failureLabel, ctx, log } = this.opts;
    const marker = failureMarker(targetName);
    const ev = eventMarker(targetName, this.eventKey(o));
    const report = renderReport(o, { runUrl: ctx.runUrl });
    const body = this.scrub(
      `${marker}\n${report}\nThis issue stays open until a promotion on ${escapeMarkdown(targetName)} succeeds; hermes-handoff closes it then. Later failures are added as comments.\n`,
    );
    const comment = this.scrub(`${ev}\n#### Failed again\n\n${report}`);
    const r = await this.guard.run('issues', `open or update the failure issue (label ${failureLabel})`, () =>
      recordFailure(api, this.flavor, this.repo, { target: targetName, label: failureLabel, marker, body, eventMarker: ev, comment }),
    );
    if (r) log.info(r.action === 'opened' ? `Opened failure issue #${r.number}.` : `Commented on the open failure issue #${r.number}.`);
  }

  private async resolveFailureIssue(api: ForgeApi, o: Outcome): Promise<void> {
    const { targetName, failureLabel, ctx, log } = this.opts;
    const ev = eventMarker(targetName, this.eventKey(o));
    const url = safeUrl(ctx.runUrl);
    const link = url ? ` ([run](${url}))` : '';
    const comment = this.scrub(`${ev}\n✅ Resolved: ${escapeMarkdown(o.release)} was promoted on ${escapeMarkdown(targetName)}${link}. Closing.\n`);
    const n = await this.guard.run('issues', `close the failure issue (label ${failureLabel})`, () =>
      resolveFailure(api, this.flavor, this.repo, failureLabel, failureMarker(targetName), comment, ev),
    );
    if (n) log.info(`Closed failure issue #${n}: ${targetName} is healthy again.`);
  }
}
