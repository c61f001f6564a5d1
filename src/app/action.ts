// The action as a runner starts it: inputs from INPUT_*, results through @actions/core and the forge.
import { readFileSync } from 'node:fs';
import { readSettings, InputError } from '../config/schema.ts';
import { rawSecretValues } from '../config/secrets.ts';
import { unknownInputWarnings } from '../config/unknown-inputs.ts';
import { withheldSecrets } from '../config/withheld-secrets.ts';
import type { Settings } from '../config/settings.ts';
import { errorMessage } from '../core/errors.ts';
import type { Reporter } from '../forge/reporter.ts';
import { runPipeline, type RunIo } from '../run/pipeline.ts';
import { registerFatalScrub } from '../text/fatal.ts';
import { oneLine, untrustedBlock } from '../text/host-text.ts';
import { createScrubber } from '../text/scrub.ts';
import { inputFromEnv } from './input-env.ts';

/** The action's run: reads and checks every input, runs the pipeline, reports to the runner and the forge. Resolves with the exit code. */
export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const started = Date.now();
  // Before anything can fail: whatever escapes the run is scrubbed of the secret inputs as given, valid or not.
  registerFatalScrub(createScrubber(rawSecretValues((name) => inputFromEnv(env, name))));
  // @actions/core and the forge code load while the SSH handshake is under way: connect first.
  const coreP = import('@actions/core');
  const input = (name: string) => inputFromEnv(env, name);
  for (const w of unknownInputWarnings(env)) void coreP.then((core) => core.warning(w));
  const skipped = withheldSecrets(input, env, readEvent(env));
  if (skipped !== null) {
    const core = await coreP;
    core.warning(skipped);
    core.setOutput('reason', skipped);
    return 0;
  }
  let settings: Settings;
  try {
    settings = readSettings(input, env);
  } catch (e) {
    if (e instanceof InputError) {
      (await coreP).setFailed(e.message);
      return 2;
    }
    throw e;
  }
  return runPipeline(settings, runnerIo(settings, env, coreP), started);
}

/** The event that started the run (GITHUB_EVENT_PATH), or {} when there is none or it cannot be read. */
function readEvent(env: NodeJS.ProcessEnv): unknown {
  try {
    return env.GITHUB_EVENT_PATH ? JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) : {};
  } catch {
    return {};
  }
}

/**
 * The runner's side of a run: masks, log lines and outputs through @actions/core, the report to the
 * forge and the job summary. Every line it writes is one inert line (oneLine: the pipeline's lines
 * already are, and it is idempotent); green's log tail is written inside a stop-commands block.
 */
function runnerIo(settings: Settings, env: NodeJS.ProcessEnv, coreP: Promise<typeof import('@actions/core')>): RunIo {
  // Every mask and log line waits for the same promise, so they reach the runner in call order (masks first).
  const later = (fn: (core: typeof import('@actions/core')) => void) => void coreP.then(fn);
  let reporter: Reporter | null = null;
  let runUrl: string | null = null;
  // Loaded once connecting has started (begin runs after the pipeline opened the host).
  let forgeP: Promise<typeof import('./forge-report.ts')> | null = null;
  const loadForge = () => (forgeP ??= coreP.then(() => import('./forge-report.ts')));
  return {
    log: { info: (m) => later((c) => c.info(oneLine(m))), warn: (m) => later((c) => c.warning(oneLine(m))) },
    mask: (s) => later((c) => c.setSecret(s)),
    async begin({ scrub, log }) {
      const [core, forge] = await Promise.all([coreP, loadForge()]);
      try {
        const eventPath = env.GITHUB_EVENT_PATH;
        const event: unknown = eventPath ? JSON.parse(readFileSync(eventPath, 'utf8')) : {};
        const ctx = forge.readForgeContext(env, event);
        runUrl = ctx.runUrl;
        reporter = forge.reporterFor(settings, ctx, { scrub, log });
      } catch (e) {
        log.warn(`not reporting to the forge: ${errorMessage(e)}`);
      }
      const pending = await reporter?.begin(settings.mode);
      if (pending) forge.savePendingState(pending);
      // The run's page as this forge's version addresses it (Gitea before 1.26: by run number).
      runUrl = reporter?.runUrl() ?? runUrl;
      core.startGroup(`hermes-handoff ${settings.mode} on ${settings.report.targetName}`);
      return (phase, detail) => void reporter?.phase(phase, detail);
    },
    async publish({ outcome, published, outputs, code, scrub, log }) {
      const [core, forge] = await Promise.all([coreP, loadForge()]);
      core.endGroup();
      if (outcome.green_log_tail) {
        // The tail is the release's own output: shown as data, with the runner's command processing stopped around it.
        core.startGroup("green's log (last lines, from the host: shown as data)");
        for (const l of untrustedBlock(outcome.green_log_tail)) core.info(l);
        core.endGroup();
      }
      for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
      // Published beyond the run: rendered from the outcome with secrets of any length masked.
      core.setOutput('report', scrub(forge.renderReport(published, { runUrl })));
      await forge.writeJobSummary(published, { runUrl, scrub, log });
      await reporter?.finish(published);
      forge.markFinished();
      const line = oneLine(`${outcome.verdict}: ${outcome.reason}`);
      if (code === 0) core.info(line);
      else core.setFailed(line);
    },
  };
}
