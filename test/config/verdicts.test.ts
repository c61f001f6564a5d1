// The verdict table (src/core/verdict.ts): exit codes as the brief's table gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionVerdict, exitCodeFor, VERDICTS } from '../../src/core/verdict.ts';
import { Verdict } from '../../src/protocol/frames.ts';

test('exit codes: 0 for success, 1 for a failed verdict; fail-on-rollback: false passes a rollback only', () => {
  const code = (verdict: ActionVerdict, failOnRollback: boolean) => exitCodeFor({ verdict }, failOnRollback);
  for (const v of ['promoted', 'unchanged', 'ready'] as const) assert.deepEqual([code(v, true), code(v, false)], [0, 0], v);
  for (const v of ['failed', 'timed-out', 'not-ready', 'reverted'] as const) assert.deepEqual([code(v, true), code(v, false)], [1, 1], v);
  assert.deepEqual([code('rolled-back', true), code('rolled-back', false)], [1, 0]);
});

test('every verdict the host writes has a row; reverted fails, reopens the related issue and opens the failure issue', () => {
  for (const v of Verdict.options) assert.ok(VERDICTS[v], v);
  assert.deepEqual(Object.keys(VERDICTS).sort(), [...ActionVerdict.options].sort());
  assert.deepEqual(VERDICTS.reverted, { ...VERDICTS.reverted, status: 'failure', exit: 1, relatedIssue: 'reopen', failureIssue: 'open-or-comment' });
});

test('a rollback that mode rollback asked for is that mode succeeding: exit 0, whatever fail-on-rollback says', () => {
  assert.equal(VERDICTS['rolled-back'].successOf, 'rollback');
  for (const failOnRollback of [true, false]) assert.equal(exitCodeFor({ verdict: 'rolled-back', mode: 'rollback' }, failOnRollback), 0);
  // A rollback found by status, or one that ended a promote, still fails the step.
  assert.equal(exitCodeFor({ verdict: 'rolled-back', mode: 'status' }, true), 1);
  assert.equal(exitCodeFor({ verdict: 'rolled-back', mode: 'promote' }, true), 1);
  // Mode rollback that could not roll anything back fails.
  for (const v of ['failed', 'timed-out'] as const) assert.equal(exitCodeFor({ verdict: v, mode: 'rollback' }, true), 1, v);
});
