import { readFileSync } from 'node:fs';
import { readSettings, InputError } from '../config/schema.ts';
import { maskSecrets, secretValues } from '../config/secrets.ts';
import type { Settings } from '../config/settings.ts';
import type { Reporter } from '../forge/reporter.ts';
import { createScrubber } from '../forge/scrub.ts';
import { exitCodeFor } from '../handoff/outcome.ts';
import { inputFromEnv } from './input-env.ts';
import { outputsOf } from './outputs.ts';
import { openHost, runOnHost } from './session.ts';

/** Hosts that must never appear in a public report. */
function addresses(s: Settings): string[] {
  return [s.ssh?.host, s.ssh?.jump?.host].filter((h): h is string => !!h);
}

/** The action, as a runner starts it: inputs from INPUT_*, outputs and summary by @actions/core. Resolves with the exit code. */
export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const started = Date.now();
  // @actions/core and the forge code load while the SSH handshake is under way: connect first.
  const coreP = import('@actions/core');
  let settings: Settings;
  try {
    settings = readSettings((name) => inputFromEnv(env, name), env);
  } catch (e) {
    if (e instanceof InputError) {
      (await coreP).setFailed(e.message);
      return 2;
    }
    throw e;
  }
  // One list: the reporter re-reads it, so secrets learned during the run (the socket token) are covered too.
  const secrets = secretValues(settings);
  const scrub = (t: string) => createScrubber(secrets, addresses(settings))(t);
  // Masks are registered before any line is logged: every log line waits for the same promise, in order.
  const ready = coreP.then((core) => {
    maskSecrets(settings, core.setSecret);
    return core;
  });
  const log = {
    info: (m: string) => void ready.then((core) => core.info(scrub(m))),
    warn: (m: string) => void ready.then((core) => core.warning(scrub(m))),
  };
  const hostP = openHost(settings, log);
  hostP.catch(() => undefined); // handled in runOnHost

  const core = await ready;
  const forge = await import('./forge-report.ts');
  let reporter: Reporter | null = null;
  let runUrl: string | null = null;
  try {
    const eventPath = env.GITHUB_EVENT_PATH;
    const event: unknown = eventPath ? JSON.parse(readFileSync(eventPath, 'utf8')) : {};
    const ctx = forge.readForgeContext(env, event);
    runUrl = ctx.runUrl;
    reporter = forge.createReporter({
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
  if (pending) forge.savePendingState(pending);

  core.startGroup(`hermes-handoff ${settings.mode} on ${settings.report.targetName}`);
  const { outcome } = await runOnHost(
    settings,
    hostP,
    {
      log,
      onPhase: (phase, detail) => void reporter?.phase(phase, detail),
      addSecret: (v) => {
        core.setSecret(v);
        secrets.push(v);
      },
    },
    started,
  );
  await ready; // every queued log line is out
  core.endGroup();
  if (outcome.green_log_tail) outcome.green_log_tail = scrub(outcome.green_log_tail);
  outcome.reason = scrub(outcome.reason);

  const outputs = outputsOf(outcome);
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
  core.setOutput('report', scrub(forge.renderReport(outcome, { runUrl })));
  await forge.writeJobSummary(outcome, { runUrl, scrub, log: { info: (m) => core.info(scrub(m)), warn: (m) => core.warning(scrub(m)) } });
  await reporter?.finish(outcome);
  forge.markFinished();

  const line = `${outcome.verdict}: ${outcome.reason}`;
  const code = exitCodeFor(outcome, settings.report.failOnRollback);
  if (code === 0) core.info(line);
  else core.setFailed(line);
  return code;
}
