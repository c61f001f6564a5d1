import type { VerdictRecord } from '../protocol/frames.ts';
import type { ActionVerdict } from '../core/verdict.ts';

/** Maps the host's verdict record to the action's verdict and reason. */
export function verdictOutcome(r: VerdictRecord, requested: string): { verdict: ActionVerdict; reason: string } {
  const note = r.record_error ? ` (${r.record_error})` : '';
  if (r.verdict === 'promoted' && r.release !== requested) {
    return { verdict: 'failed', reason: `green serves release ${r.release}, not the requested ${requested}${note}` };
  }
  return { verdict: r.verdict, reason: r.reason + note };
}
