import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { readSettings, InputError } from '../config/schema.ts';
import { maskSecrets, secretValues } from '../config/secrets.ts';
import type { Settings } from '../config/settings.ts';
import { readForgeContext } from '../forge/context.ts';
import { markFinished, savePendingState } from '../forge/pending-state.ts';
import { createReporter, type Reporter } from '../forge/reporter.ts';
import { createScrubber } from '../forge/scrub.ts';
import { exitCodeFor } from '../handoff/outcome.ts';
import { renderReport } from '../report/markdown.ts';
import { writeJobSummary } from '../report/summary.ts';
import { outputsOf } from './outputs.ts';
import { runSession } from './session.ts';

/** Hosts that must never appear in a public report. */
function addresses(s: Settings): string[] {
  return [s.ssh?.host, s.ssh?.jump?.host].filter((h): h is string => !!h);
}

/** The action, as a runner starts it: inputs from INPUT_*, outputs and summary by @actions/core. Resolves with the exit code. */
export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings: Settings;
  try {
    settings = readSettings((name) => core.getInput(name), env);
  } catch (e) {
    if (e instanceof InputError) {
      core.setFailed(e.message);
      return 2;
    }
    throw e;
  }
  // Before anything is logged.
  maskSecrets(settings, core.setSecret);
  // One list: the reporter re-reads it, so secrets learned during the run (the socket token) are covered too.
  const secrets = secretValues(settings);
  const scrub = (t: string) => createScrubber(secrets, addresses(settings))(t);
  const log = { info: (m: string) => core.info(scrub(m)), warn: (m: string) => core.warning(scrub(m)) };

  let reporter: Reporter | null = null;
  let runUrl: string | null = null;
  try {
    const eventPath = env.GITHUB_EVENT_PATH;
    const event: unknown = eventPath ? JSON.parse(readFileSync(eventPath, 'utf8')) : {};
    const ctx = readForgeContext(env, event);
    runUrl = ctx.runUrl;
    reporter = createReporter({
      ctx,
      token: settings.report.githubToken,
      targetName: settings.report.targetName,
      statusContext: settings.report.statusContext,
      issue: settings.report.issue,
      closeIssueOnSuccess: settings.report.closeIssueOnSuccess,
      failureLabel: settings.report.failureLabel,
      secrets,
      redact: addresses(settings),
      log,
    });
  } catch (e) {
    log.warn(`not reporting to the forge: ${(e as Error).message}`);
  }
  const pending = await reporter?.begin(settings.mode);
  if (pending) savePendingState(pending);

  core.startGroup(`hermes-handoff ${settings.mode} on ${settings.report.targetName}`);
  const { outcome } = await runSession(settings, {
    log,
    onPhase: (phase, detail) => void reporter?.phase(phase, detail),
    addSecret: (v) => {
      core.setSecret(v);
      secrets.push(v);
    },
  });
  core.endGroup();
  if (outcome.green_log_tail) outcome.green_log_tail = scrub(outcome.green_log_tail);
  outcome.reason = scrub(outcome.reason);

  const outputs = outputsOf(outcome);
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
  core.setOutput('report', scrub(renderReport(outcome, { runUrl })));
  await writeJobSummary(outcome, { runUrl, scrub, log });
  await reporter?.finish(outcome);
  markFinished();

  const line = `${outcome.verdict}: ${outcome.reason}`;
  const code = exitCodeFor(outcome, settings.report.failOnRollback);
  if (code === 0) core.info(line);
  else core.setFailed(line);
  return code;
}
