// One run, the same for the action and the CLI: settings -> session -> outcome -> outputs -> reports.
// The entries only say where things go (runner or terminal); what is masked, run and reported is decided here.
import type { Settings } from '../config/settings.ts';
import { secretValues } from '../config/secrets.ts';
import type { Outcome } from '../core/outcome.ts';
import { exitCodeFor } from '../core/verdict.ts';
import { RunScrubber, scrubDeep } from '../text/scrub.ts';
import { outputsOf } from './outputs.ts';
import { openHost, runOnHost } from './session.ts';

/** Log lines of a run; every line is scrubbed before it reaches one of these. */
export interface RunLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What one run ended with, secrets and host addresses removed. */
export interface RunResult {
  outcome: Outcome;
  /** The step outputs by name (see action.yml), without `report` (the interface renders that). */
  outputs: Record<string, string>;
  /** 0 success, 1 a failed verdict. */
  code: 0 | 1;
  /** The run's scrubber, for text the interface adds (its rendered report). */
  scrub: (text: string) => string;
  log: RunLog;
}

/** Where a run's results go: the runner (@actions/core, the forge) or a terminal. */
export interface RunIo {
  /** Receives log lines after scrubbing. */
  log: RunLog;
  /** Registers a secret with the interface's own masking (the runner's `::add-mask::`); called before any line is logged, and for secrets learned later. */
  mask?(secret: string): void;
  /** Called while the host is connecting, before the mode runs (the pending commit status); may return the phase hook. */
  begin?(ctx: { scrub: (text: string) => string; log: RunLog }): Promise<((phase: string, detail: string) => void) | undefined>;
  /** Called once with the result: outputs, summary, the forge report. */
  publish(result: RunResult): Promise<void>;
}

/** The host addresses of a run: never shown in a report (the target name stands for them). */
export function hostAddresses(s: Settings): string[] {
  return [s.ssh?.host, s.ssh?.jump?.host].filter((h): h is string => !!h);
}

/**
 * Runs `settings` to a verdict and publishes it; resolves with the exit code. The scrubber is built
 * once (secrets and host addresses), and rebuilt only when the run learns a secret (the socket token).
 */
export async function runPipeline(settings: Settings, io: RunIo, started = Date.now()): Promise<0 | 1> {
  const scrubber = new RunScrubber(secretValues(settings), hostAddresses(settings));
  for (const s of scrubber.secrets) io.mask?.(s);
  const log: RunLog = { info: (m) => io.log.info(scrubber.scrub(m)), warn: (m) => io.log.warn(scrubber.scrub(m)) };
  // Connecting starts first: the interface's heavier modules load while the handshake runs.
  const hostP = openHost(settings, log);
  hostP.catch(() => undefined); // handled in runOnHost
  const onPhase = await io.begin?.({ scrub: scrubber.scrub, log });
  const raw = await runOnHost(
    settings,
    hostP,
    {
      log,
      onPhase,
      addSecret: (v) => {
        scrubber.add(v);
        io.mask?.(v);
      },
    },
    started,
  );
  const outcome = scrubDeep(raw, scrubber.scrub);
  const code = exitCodeFor(outcome, settings.report.failOnRollback);
  await io.publish({ outcome, outputs: outputsOf(outcome), code, scrub: scrubber.scrub, log });
  return code;
}
