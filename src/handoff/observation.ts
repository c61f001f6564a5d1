import type { VerdictRecord } from '../protocol/frames.ts';
import { formatDuration, formatTime } from '../protocol/format.ts';
import type { Observation } from '../core/outcome.ts';

/** How long after a window's end a record may still say `observing` (the standby writes its outcome as the window ends). */
const OUTCOME_SLACK_MS = 60_000;

/** The observation window of `r` as the Outcome reports it, judged at `now`; null when the promotion had none. */
export function observationOf(r: VerdictRecord, now: number): Observation | null {
  const o = r.observation;
  if (!o) return null;
  if (o.outcome === 'observing' && now > o.until + OUTCOME_SLACK_MS) {
    // The standby never wrote how the window ended: it did not live to the end.
    return { state: 'standby-lost', until: o.until, ended_at: null, reason: `the window ended at ${formatTime(o.until)} but the standby recorded no outcome` };
  }
  return { state: o.outcome, until: o.until, ended_at: o.ended_at, reason: o.reason ?? (o.outcome === 'reverted' ? r.reason : null) };
}

/**
 * The line `mode: status` adds to a verdict's reason about its window: `observing (until …)`,
 * `observed: standby exited after 24 h`, `reverted at …`; null without a window.
 */
export function observationNote(r: VerdictRecord, o: Observation | null): string | null {
  if (!o) return null;
  const after = (at: number | null) => formatDuration((at ?? r.decided_at) - r.decided_at);
  switch (o.state) {
    case 'observing':
      return `observing (until ${formatTime(o.until ?? 0)})`;
    case 'passed':
      return `observed: standby exited after ${after(o.ended_at)}`;
    case 'superseded':
      return `observed for ${after(o.ended_at)}, then ${o.reason ?? 'superseded'}`;
    case 'standby-lost':
      return `observation ended early: ${o.reason ?? 'the standby was lost'}`;
    case 'reverted':
      return `reverted at ${formatTime(o.ended_at ?? r.decided_at)}`;
  }
}

/** A promoted record under observation may have been rewritten since (the window ended, or reverted): the file is the authority. */
export function needsFreshRecord(r: VerdictRecord): boolean {
  return r.verdict === 'promoted' && r.observation !== undefined;
}
