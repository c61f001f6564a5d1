// The forge and report code the action loads once it has started connecting (a separate chunk in dist/).
export { readForgeContext } from '../forge/context.ts';
export { createReporter } from '../forge/reporter.ts';
export { markFinished, savePendingState } from '../forge/pending-state.ts';
export { renderReport } from '../report/markdown.ts';
export { writeJobSummary } from './job-summary.ts';
