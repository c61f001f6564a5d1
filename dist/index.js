import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import {
  InputError,
  exitCodeFor,
  maskSecrets,
  openHost,
  outputsOf,
  readSettings,
  runOnHost,
  secretValues
} from "./chunks/chunk-QDPNF42O.js";
import {
  createScrubber
} from "./chunks/chunk-ZGWB6UPF.js";
import "./chunks/chunk-CZ3X2CHL.js";

// src/app/action.ts
import { readFileSync } from "node:fs";

// src/app/input-env.ts
function inputFromEnv(env, name) {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

// src/app/action.ts
function addresses(s) {
  return [s.ssh?.host, s.ssh?.jump?.host].filter((h) => !!h);
}
async function runAction(env = process.env) {
  let started = Date.now(), coreP = import("./chunks/core-25FIUH2Q.js"), settings;
  try {
    settings = readSettings((name) => inputFromEnv(env, name), env);
  } catch (e) {
    if (e instanceof InputError)
      return (await coreP).setFailed(e.message), 2;
    throw e;
  }
  let secrets = secretValues(settings), scrub = (t) => createScrubber(secrets, addresses(settings))(t), ready = coreP.then((core2) => (maskSecrets(settings, core2.setSecret), core2)), log = {
    info: (m) => {
      ready.then((core2) => core2.info(scrub(m)));
    },
    warn: (m) => {
      ready.then((core2) => core2.warning(scrub(m)));
    }
  }, hostP = openHost(settings, log);
  hostP.catch(() => {
  });
  let core = await ready, forge = await import("./chunks/forge-report-B6EPCQDF.js"), reporter = null, runUrl = null;
  try {
    let eventPath = env.GITHUB_EVENT_PATH, event = eventPath ? JSON.parse(readFileSync(eventPath, "utf8")) : {}, ctx = forge.readForgeContext(env, event);
    runUrl = ctx.runUrl, reporter = forge.createReporter({
      ctx,
      token: settings.report.githubToken,
      targetName: settings.report.targetName,
      statusContext: settings.report.statusContext,
      issue: settings.report.issue,
      closeIssueOnSuccess: settings.report.closeIssueOnSuccess,
      failureLabel: settings.report.failureLabel,
      secrets,
      redact: addresses(settings),
      log
    });
  } catch (e) {
    log.warn(`not reporting to the forge: ${e.message}`);
  }
  let pending = await reporter?.begin(settings.mode);
  pending && forge.savePendingState(pending), core.startGroup(`hermes-handoff ${settings.mode} on ${settings.report.targetName}`);
  let { outcome } = await runOnHost(
    settings,
    hostP,
    {
      log,
      onPhase: (phase, detail) => {
        reporter?.phase(phase, detail);
      },
      addSecret: (v) => {
        core.setSecret(v), secrets.push(v);
      }
    },
    started
  );
  await ready, core.endGroup(), outcome.green_log_tail && (outcome.green_log_tail = scrub(outcome.green_log_tail)), outcome.reason = scrub(outcome.reason);
  let outputs = outputsOf(outcome);
  for (let [k, v] of Object.entries(outputs)) core.setOutput(k, v);
  core.setOutput("report", scrub(forge.renderReport(outcome, { runUrl }))), await forge.writeJobSummary(outcome, { runUrl, scrub, log: { info: (m) => core.info(scrub(m)), warn: (m) => core.warning(scrub(m)) } }), await reporter?.finish(outcome), forge.markFinished();
  let line = `${outcome.verdict}: ${outcome.reason}`, code = exitCodeFor(outcome, settings.report.failOnRollback);
  return code === 0 ? core.info(line) : core.setFailed(line), code;
}

// src/main.ts
function fail(message) {
  import("./chunks/core-25FIUH2Q.js").then((core) => {
    core.setFailed(message), process.exit(1);
  });
}
for (let sig of ["SIGINT", "SIGTERM"])
  process.once(sig, () => fail(`cancelled (${sig}): the host finishes the handoff on its own; rerun with mode: status to report it`));
runAction().then(
  (code) => process.exit(code),
  (e) => fail(`hermes-handoff: ${e instanceof Error ? e.message : String(e)}`)
);
