// The commit status a verdict ends with (see the verdict table in ARCHITECTURE.md).
import type { Outcome } from '../core/outcome.ts';
import { RERUN_STATUS } from '../core/reasons.ts';
import { VERDICTS } from '../core/verdict.ts';

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

/** Forges cap a status description at 140 characters. */
export const DESCRIPTION_MAX = 140;

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function clip(text: string, max = DESCRIPTION_MAX): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** The final state (from the verdict table) and description (the verdict and its reason) for an outcome. */
export function finalStatus(o: Pick<Outcome, 'verdict' | 'reason' | 'checks' | 'release'>): { state: StatusState; description: string } {
  return { state: VERDICTS[o.verdict].status, description: clip(describe(o)) };
}

/** The status description of an outcome, before clipping. */
function describe(o: Pick<Outcome, 'verdict' | 'reason' | 'checks' | 'release'>): string {
  const release = o.release.slice(0, 12);
  switch (o.verdict) {
    case 'promoted':
      return `promoted ${release}: ${o.reason}`;
    case 'unchanged':
      return `unchanged: ${release} already serves`;
    case 'ready':
      return `ready: ${o.reason}`;
    case 'not-ready': {
      const first = o.checks.find((c) => !c.ok);
      return first ? `not ready: ${first.name}: ${first.detail}` : `not ready: ${o.reason}`;
    }
    case 'rolled-back':
      return `rolled back: ${o.reason}`;
    case 'reverted':
      return `reverted after promotion: ${o.reason}`;
    case 'failed':
      return `failed: ${o.reason}`;
    case 'timed-out':
      return `timed out (${RERUN_STATUS}): ${o.reason}`;
  }
}
