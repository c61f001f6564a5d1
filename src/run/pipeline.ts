// One run, the same for the action and the CLI: settings -> session -> outcome -> outputs -> reports.
// The entries only say where things go (runner or terminal); what is masked, run and reported is decided here.
// Everything the host sends back passes one path before any sink: scrub (the run's secrets), redact
// (credentials nobody told us about), then inert text (one line, escaped, bounded: src/text/host-text.ts).
import type { Settings } from '../config/settings.ts';
import { secretValues } from '../config/secrets.ts';
import type { Outcome } from '../core/outcome.ts';
import { exitCodeFor } from '../core/verdict.ts';
import { registerFatalScrub } from '../text/fatal.ts';
import { LINE_MAX, oneLine } from '../text/host-text.ts';
import { RunScrubber, scrubDeep } from '../text/scrub.ts';
import { DETAIL_MAX, hostLine, inertOutcome } from './host-data.ts';
import { outputsOf } from './outputs.ts';
import { openHost, runOnHost } from './session.ts';

/** Log lines of a run; every line is scrubbed, redacted and made one inert line (oneLine) before it reaches one of these. */
export interface RunLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What one run ended with, secrets and host addresses removed, host text inert. */
export interface RunResult {
  /** For the log, the outputs and a terminal: secrets of MIN_SECRET_LENGTH and more masked. */
  outcome: Outcome;
  /** For text published beyond the run (job summary, the `report` output, comments, issues, statuses): secrets of any length masked too. */
  published: Outcome;
  /** The step outputs by name (see action.yml), without `report` (the interface renders that). `reason` is one line. */
  outputs: Record<string, string>;
  /** 0 success, 1 a failed verdict. */
  code: 0 | 1;
  /** The run's scrubber, for text the interface adds (its rendered report). */
  scrub: (text: string) => string;
  log: RunLog;
}

/** Where a run's results go: the runner (@actions/core, the forge) or a terminal. */
export interface RunIo {
  /** Receives log lines after scrubbing; each is one inert line. */
  log: RunLog;
  /** Registers a secret with the interface's own masking (the runner's `::add-mask::`); called before any line is logged, and for secrets learned later. */
  mask?(secret: string): void;
  /**
   * Called while the host is connecting, before the mode runs (the pending commit status); may
   * return the phase hook, whose details arrive scrubbed of every secret, redacted and one line.
   */
  begin?(ctx: { scrub: (text: string) => string; log: RunLog }): Promise<((phase: string, detail: string) => void) | undefined>;
  /** Called once with the result: outputs, summary, the forge report. */
  publish(result: RunResult): Promise<void>;
}

/** The host addresses of a run: never shown in a report (the target name stands for them). */
export function hostAddresses(s: Settings): string[] {
  return [s.ssh?.host, s.ssh?.jump?.host].filter((h): h is string => !!h);
}

/** The run's own values that look random but are no secret (a release named by a commit id): redaction leaves them. */
function ownValues(s: Settings): string[] {
  return [s.gateway.release, s.gateway.runtime, s.report.targetName].filter((v): v is string => typeof v === 'string' && v !== '');
}

/**
 * Runs `settings` to a verdict and publishes it; resolves with the exit code. The scrubber is built
 * once (secrets and host addresses), and rebuilt only when the run learns a secret (the socket token).
 */
export async function runPipeline(settings: Settings, io: RunIo, started = Date.now()): Promise<0 | 1> {
  const scrubber = new RunScrubber(secretValues(settings, 1), hostAddresses(settings));
  // Whatever escapes the run ends as one line through this scrubber too (src/text/fatal.ts); it stays registered until the process exits.
  registerFatalScrub(scrubber.scrub);
  for (const s of scrubber.secrets) io.mask?.(s);
  const keep = ownValues(settings);
  const line = (m: string) => hostLine(scrubber.scrub(m), keep, LINE_MAX);
  const log: RunLog = { info: (m) => io.log.info(line(m)), warn: (m) => io.log.warn(line(m)) };
  // Connecting starts first: the interface's heavier modules load while the handshake runs.
  const hostP = openHost(settings, log);
  hostP.catch(() => undefined); // handled in runOnHost
  const phaseHook = await io.begin?.({ scrub: scrubber.scrub, log });
  // A phase detail may be a note from the host, and goes to the commit status: every secret masked.
  const onPhase = phaseHook && ((phase: string, detail: string) => phaseHook(oneLine(phase, 64), hostLine(scrubber.scrubReport(detail), keep, DETAIL_MAX)));
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
  const outcome = inertOutcome(scrubDeep(raw, scrubber.scrub), keep);
  const published = scrubDeep(outcome, scrubber.scrubReport);
  const code = exitCodeFor(outcome, settings.report.failOnRollback);
  await io.publish({ outcome, published, outputs: outputsOf(outcome), code, scrub: scrubber.scrub, log });
  return code;
}
