// The report in the job summary (GITHUB_STEP_SUMMARY); forges without job summaries are fine.
import { access, constants } from 'node:fs/promises';
import * as core from '@actions/core';
import type { Outcome } from '../core/outcome.ts';
import { renderReport } from '../report/markdown.ts';
import { scrubDeep } from '../text/scrub.ts';
import { errorMessage } from '../core/errors.ts';

export interface SummaryOptions {
  runUrl?: string | null;
  /** Removes secret values; applied to the whole report. */
  scrub?: (text: string) => string;
  log?: { info(m: string): void; warn(m: string): void };
}

/** Appends the report to the job summary; returns false (after an info/warning line) when there is no writable summary file. Never throws. */
export async function writeJobSummary(outcome: Outcome, opts: SummaryOptions = {}): Promise<boolean> {
  const log = opts.log ?? { info: core.info, warn: core.warning };
  // core.summary reads process.env itself, so this check looks at the same variable.
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) {
    log.info('No job summary on this runner (GITHUB_STEP_SUMMARY is unset, as on older Gitea): the report is in the log and the step outputs.');
    return false;
  }
  try {
    await access(file, constants.W_OK);
  } catch {
    log.warn(`The job summary file (GITHUB_STEP_SUMMARY) is not writable; skipping the summary.`);
    return false;
  }
  const scrub = opts.scrub ?? ((t: string) => t);
  try {
    // Scrub the values before rendering (escaping changes how a secret is spelled), then the text.
    const md = renderReport(scrubDeep(outcome, scrub), { runUrl: opts.runUrl ?? null });
    await core.summary.addRaw(scrub(md), true).write();
    return true;
  } catch (e) {
    core.summary.emptyBuffer();
    log.warn(`Could not write the job summary: ${scrub(errorMessage(e))}`);
    return false;
  }
}
