// Whether an outcome judged the release of the commit it reports on: only then may it open, close or
// reopen issues (issue 14 item 7, issue 9 item 3). Pure: the reporter and the tests read it.
import type { Outcome } from '../core/outcome.ts';
import { VERDICTS, type VerdictRule } from '../core/verdict.ts';

/**
 * What an outcome stands for:
 * - `judged`: a verdict on the release of the commit the run is on;
 * - `busy`: another handoff held the host, this run judged nothing;
 * - `nothing-to-report`: a status run found no handoff to report;
 * - `operator-rollback`: someone asked for the rollback (`mode: rollback`): no failure of the release;
 * - `other-release`: a status run reports the verdict of another release than this commit's.
 */
export type Standing = 'judged' | 'busy' | 'nothing-to-report' | 'operator-rollback' | 'other-release';

/** True when two release names are the same release: equal, or one a commit SHA and the other its abbreviation (7+ hex digits). */
export function sameRelease(a: string, b: string): boolean {
  if (a === b) return a !== '';
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return /^[0-9a-f]{7,}$/i.test(short) && /^[0-9a-f]{40,64}$/i.test(long) && long.toLowerCase().startsWith(short.toLowerCase());
}

/** The standing of `o` for a run on a commit whose release is `commitRelease` (the release input, else the commit SHA). */
export function standingOf(o: Pick<Outcome, 'mode' | 'handoff_id' | 'release' | 'busy_with'>, commitRelease: string): Standing {
  if (o.busy_with) return 'busy';
  if (o.mode === 'rollback') return 'operator-rollback';
  if (o.mode === 'status') {
    if (!o.handoff_id) return 'nothing-to-report';
    if (!sameRelease(o.release, commitRelease)) return 'other-release';
  }
  return 'judged';
}

/** What the reports do with an outcome: the verdict table's rule, with issues left alone and the state softened when it judged no release of this commit. */
export interface ReportRule {
  standing: Standing;
  /** The final commit state. */
  status: VerdictRule['status'];
  relatedIssue: VerdictRule['relatedIssue'];
  failureIssue: VerdictRule['failureIssue'];
}

/** The rule for `o` on a commit whose release is `commitRelease`. */
export function reportRule(o: Pick<Outcome, 'mode' | 'verdict' | 'handoff_id' | 'release' | 'busy_with'>, commitRelease: string): ReportRule {
  const standing = standingOf(o, commitRelease);
  const table = VERDICTS[o.verdict];
  if (standing === 'judged') return { standing, status: table.status, relatedIssue: table.relatedIssue, failureIssue: table.failureIssue };
  // A busy host or an empty report says nothing about a release: an error (the run could not tell), never a failure.
  const status = standing === 'busy' || standing === 'nothing-to-report' ? 'error' : table.status;
  return { standing, status, relatedIssue: 'untouched', failureIssue: 'untouched' };
}
