// The commit status a verdict ends with (the verdict table, softened by the outcome's standing).
import type { Outcome } from '../core/outcome.ts';
import { reportRule } from '../report/judgement.ts';
import { DESCRIPTION_MAX, describeLine, finalDescription, flat } from '../report/status-line.ts';

export { DESCRIPTION_MAX } from '../report/status-line.ts';

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

/** `text` on one line within `max` characters (cut with an ellipsis). */
export function clip(text: string, max = DESCRIPTION_MAX): string {
  return describeLine(flat(text), '', '', max);
}

/** The final state and description of `o` for a run on a commit whose release is `commitRelease` (default: the outcome's own). */
export function finalStatus(
  o: Pick<Outcome, 'mode' | 'verdict' | 'reason' | 'checks' | 'release' | 'handoff_id' | 'busy_with' | 'observation'>,
  commitRelease: string = o.release,
): { state: StatusState; description: string } {
  const rule = reportRule(o, commitRelease);
  return { state: rule.status, description: finalDescription(o, rule.standing) };
}
