// The forge and report code the action loads once it has started connecting (a separate chunk in dist/).
import type { Settings } from '../config/settings.ts';
import type { ForgeContext } from '../forge/context.ts';
import { createReporter, type Reporter, type ReporterLog } from '../forge/reporter.ts';

export { readForgeContext } from '../forge/context.ts';
export { createReporter } from '../forge/reporter.ts';
export { markFinished, savePendingState } from '../forge/pending-state.ts';
export { renderReport } from '../report/markdown.ts';
export { writeJobSummary } from './job-summary.ts';

/** The reporter of one run of the action, from its settings; the deadline pending statuses name is this run's own (now plus timeout-seconds). */
export function reporterFor(settings: Settings, ctx: ForgeContext, run: { scrub: (text: string) => string; log: ReporterLog }, now: () => number = Date.now): Reporter {
  const r = settings.report;
  return createReporter({
    ctx,
    token: r.githubToken,
    targetName: r.targetName,
    statusContext: r.statusContext,
    issue: r.issue,
    closeIssueOnSuccess: r.closeIssueOnSuccess,
    failureLabel: r.failureLabel,
    maxIssues: r.maxIssues,
    hostOutputInComments: r.hostOutputInComments,
    release: settings.gateway.release || ctx.sha,
    deadlineAt: now() + settings.bake.timeoutMs,
    scrub: run.scrub,
    log: run.log,
    now,
  });
}
