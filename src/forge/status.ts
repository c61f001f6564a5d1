// The commit status a verdict ends with (see the verdict table in ARCHITECTURE.md).
import type { Outcome } from '../handoff/outcome.ts';

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

/** Forges cap a status description at 140 characters. */
export const DESCRIPTION_MAX = 140;

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function clip(text: string, max = DESCRIPTION_MAX): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** The final state and description for an outcome: success/failure/error per verdict, with its reason. */
export function finalStatus(o: Pick<Outcome, 'verdict' | 'reason' | 'checks' | 'release'>): { state: StatusState; description: string } {
  const release = o.release.slice(0, 12);
  switch (o.verdict) {
    case 'promoted':
      return { state: 'success', description: clip(`promoted ${release}: ${o.reason}`) };
    case 'unchanged':
      return { state: 'success', description: clip(`unchanged: ${release} already serves`) };
    case 'ready':
      return { state: 'success', description: clip(`ready: ${o.reason}`) };
    case 'not-ready': {
      const first = o.checks.find((c) => !c.ok);
      return { state: 'failure', description: clip(first ? `not ready: ${first.name}: ${first.detail}` : `not ready: ${o.reason}`) };
    }
    case 'rolled-back':
      return { state: 'failure', description: clip(`rolled back: ${o.reason}`) };
    case 'failed':
      return { state: 'failure', description: clip(`failed: ${o.reason}`) };
    case 'timed-out':
      return { state: 'error', description: clip(`timed out (rerun with mode: status): ${o.reason}`) };
  }
}
