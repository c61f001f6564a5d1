// The report in the job summary (GITHUB_STEP_SUMMARY) and the host's own output in the run log: the two
// places only those who can see the run can read. Forges without job summaries are fine.
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
  /** Log lines: each call is one line (the runner side makes host text inert). */
  log?: { info(m: string): void; warn(m: string): void };
}

/** The most lines of host output copied into the run log. */
const LOG_LINES = 80;

/** Writes green's log tail and prepare-command's output to the run log, one line per call, scrubbed. */
export function logHostOutput(outcome: Outcome, log: { info(m: string): void }, scrub: (t: string) => string = (t) => t): void {
  const blocks: Array<[string, string | null | undefined]> = [
    ["prepare-command's output", outcome.prepare_output],
    ["green's log (last lines)", outcome.green_log_tail],
  ];
  for (const [what, text] of blocks) {
    if (!text || text.trim() === '') continue;
    const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n').slice(-LOG_LINES);
    log.info(`${what}, ${lines.length} lines:`);
    for (const l of lines) log.info(`  | ${scrub(l)}`);
  }
}

/**
 * Appends the report, with green's log tail and prepare-command's output, to the job summary and
 * copies that output into the run log. Returns false (after an info/warning line) when there is no
 * writable summary file. Never throws.
 */
export async function writeJobSummary(outcome: Outcome, opts: SummaryOptions = {}): Promise<boolean> {
  const log = opts.log ?? { info: core.info, warn: core.warning };
  const scrub = opts.scrub ?? ((t: string) => t);
  logHostOutput(outcome, log, scrub);
  // core.summary reads process.env itself, so this check looks at the same variable.
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) {
    log.info("No job summary on this runner (GITHUB_STEP_SUMMARY is unset): the report is in this step's output `report` and the comments.");
    return false;
  }
  try {
    await access(file, constants.W_OK);
  } catch {
    log.warn(`The job summary file (GITHUB_STEP_SUMMARY) is not writable; skipping the summary.`);
    return false;
  }
  try {
    // Scrub the values before rendering (escaping changes how a secret is spelled), then the text.
    const md = renderReport(scrubDeep(outcome, scrub), { runUrl: opts.runUrl ?? null, hostOutput: true });
    await core.summary.addRaw(scrub(md), true).write();
    return true;
  } catch (e) {
    core.summary.emptyBuffer();
    log.warn(`Could not write the job summary: ${scrub(errorMessage(e))}`);
    return false;
  }
}
