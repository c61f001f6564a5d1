import { z } from 'zod';
import type { Verdict } from '../protocol/frames.ts';
import type { Mode } from './mode.ts';

/** Every verdict the action can end with: the host's verdicts plus the ones the action decides itself. */
export const ActionVerdict = z.enum(['promoted', 'rolled-back', 'reverted', 'failed', 'timed-out', 'unchanged', 'ready', 'not-ready']);
export type ActionVerdict = z.infer<typeof ActionVerdict>;

// Every verdict the host can write must be one the action knows (fails to compile when the protocol adds one).
const hostVerdictsKnown: Verdict extends ActionVerdict ? true : never = true;
void hostVerdictsKnown;

/** What the action does with one verdict (the verdict table of the brief and the README). */
export interface VerdictRule {
  /** One line for people: what happened. */
  meaning: string;
  /** The verdict as a word people read, first in a status description and a report's heading. */
  word: string;
  /** The final commit status. */
  status: 'success' | 'failure' | 'error';
  /** The exit code; `fail-on-rollback` means 1 unless the fail-on-rollback input is false (then 0). */
  exit: 0 | 1 | 'fail-on-rollback';
  /** The mode that asks for this verdict: there it is that mode's success (exit 0), whatever `exit` says. */
  successOf?: Mode;
  /** What happens to a related issue the merge closes. */
  relatedIssue: 'close' | 'reopen' | 'untouched';
  /** What happens to the target's failure issue. */
  failureIssue: 'open-or-comment' | 'close' | 'untouched';
}

/** The one table of verdicts: exit codes, commit states and issue handling all read it. */
export const VERDICTS: Readonly<Record<ActionVerdict, VerdictRule>> = {
  promoted: { meaning: 'green serves the requested release', word: 'promoted', status: 'success', exit: 0, relatedIssue: 'close', failureIssue: 'close' },
  'rolled-back': {
    meaning: 'blue rolled the handoff back and serves',
    word: 'rolled back',
    status: 'failure',
    exit: 'fail-on-rollback',
    successOf: 'rollback',
    relatedIssue: 'reopen',
    failureIssue: 'open-or-comment',
  },
  reverted: {
    meaning: 'green was promoted, then failed during the observation window; blue took back control',
    word: 'reverted',
    status: 'failure',
    exit: 1,
    relatedIssue: 'reopen',
    failureIssue: 'open-or-comment',
  },
  failed: { meaning: 'no handoff happened (refused, green never ready, prepare failed)', word: 'failed', status: 'failure', exit: 1, relatedIssue: 'reopen', failureIssue: 'open-or-comment' },
  'timed-out': { meaning: "the action's deadline passed while the host was still deciding", word: 'timed out', status: 'error', exit: 1, relatedIssue: 'untouched', failureIssue: 'untouched' },
  unchanged: { meaning: 'the requested release already serves', word: 'unchanged', status: 'success', exit: 0, relatedIssue: 'close', failureIssue: 'untouched' },
  ready: { meaning: 'preflight: the host is ready for a handoff', word: 'ready', status: 'success', exit: 0, relatedIssue: 'untouched', failureIssue: 'untouched' },
  'not-ready': { meaning: 'preflight: a check failed', word: 'not ready', status: 'failure', exit: 1, relatedIssue: 'untouched', failureIssue: 'untouched' },
};

/**
 * Exit code of the action or CLI for a verdict: 0 success, 1 a failed verdict. A rollback passes when
 * `failOnRollback` is false, and always in mode rollback, which asked for it.
 */
export function exitCodeFor(o: { verdict: ActionVerdict; mode?: Mode }, failOnRollback: boolean): 0 | 1 {
  const rule = VERDICTS[o.verdict];
  if (o.mode !== undefined && rule.successOf === o.mode) return 0;
  return rule.exit === 'fail-on-rollback' ? (failOnRollback ? 1 : 0) : rule.exit;
}
