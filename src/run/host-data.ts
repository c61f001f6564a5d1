// What the host sent back, made inert data once, before any sink sees it: the outcome's reason,
// notes, check details, green's log tail, prepare-command's output, what held the host and the
// standby's reason are scrubbed (by the caller), redacted of credentials
// nobody told us about, and made one line (or, for the tail, lines) of inert text, bounded.
import type { Outcome } from '../core/outcome.ts';
import { BLOCK_MAX_LINE, BLOCK_MAX_LINES, oneLine, safeLines } from '../text/host-text.ts';
import { redactCredentials } from '../text/redact.ts';

/** The `reason` output and every reason shown: one line, at most this long. */
export const REASON_MAX = 1_000;
/** A timeline note or a check's detail. */
export const NOTE_MAX = 500;
/** A phase detail (the pending commit status shows at most 140 characters of it). */
export const DETAIL_MAX = 200;

/** `text` redacted (credentials the run does not know of) and made one inert line of at most `max`. */
export function hostLine(text: string, keep: readonly string[], max: number): string {
  return oneLine(redactCredentials(text, keep), max);
}

/**
 * A multi-line host text (green's log tail) as its last lines, redacted before it is cut (so a cut
 * never leaves the tail end of a credential behind), each line inert and bounded.
 */
export function hostLines(text: string, keep: readonly string[]): string[] {
  const window = BLOCK_MAX_LINES * (BLOCK_MAX_LINE + 2) * 4;
  let s = text;
  if (s.length > window) {
    // The first line of a window is a fragment: drop it rather than show the end of something.
    const from = s.indexOf('\n', s.length - window);
    s = from < 0 ? s.slice(-window) : s.slice(from + 1);
  }
  return safeLines(redactCredentials(s, keep));
}

/** The outcome with every text that may have come from the host made inert (see hostLine, hostLines); `keep` are the run's own non-secret values (release, runtime, target). */
export function inertOutcome(o: Outcome, keep: readonly string[]): Outcome {
  const id = o.handoff_id;
  const k = id ? [...keep, id] : keep;
  return {
    ...o,
    reason: hostLine(o.reason, k, REASON_MAX),
    target_name: oneLine(o.target_name, 200),
    handoff_id: id === null ? null : oneLine(id, 64),
    release: oneLine(o.release, 200),
    runtime: oneLine(o.runtime, 64),
    timeline: o.timeline.map((e) => ({ ...e, phase: oneLine(e.phase, 64), ...(e.note !== undefined ? { note: hostLine(e.note, k, NOTE_MAX) } : {}) })),
    checks: o.checks.map((c) => ({ ...c, name: oneLine(c.name, 200), detail: hostLine(c.detail, k, NOTE_MAX) })),
    green_log_tail: o.green_log_tail === null ? null : hostLines(o.green_log_tail, k).join('\n'),
    ...(o.prepare_output != null ? { prepare_output: hostLines(o.prepare_output, k).join('\n') } : {}),
    ...(o.busy_with != null ? { busy_with: hostLine(o.busy_with, k, NOTE_MAX) } : {}),
    ...(o.observation?.reason != null ? { observation: { ...o.observation, reason: hostLine(o.observation.reason, k, REASON_MAX) } } : {}),
  };
}
