// Commit status descriptions (issue 14 item 11) and what an outcome stands for (issue 14 item 7, issue 9 item 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { causeOf, deadlineOf, describeLine, finalDescription, pendingDescription, DESCRIPTION_MAX } from '../../src/report/status-line.ts';
import { reportRule, sameRelease, standingOf } from '../../src/report/judgement.ts';
import { ActionVerdict, VERDICTS } from '../../src/core/verdict.ts';
import { outcome, T0 } from '../forge/fixtures.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

test('no double prefixes and no repeats: the verdict word once, then the cause', () => {
  assert.equal(finalDescription(outcome('failed', { reason: 'aborted: green exited before HELLO' })), 'failed: green exited before HELLO');
  assert.equal(finalDescription(outcome('failed', { reason: 'failed: failed: x' })), 'failed: x');
  assert.equal(
    finalDescription(outcome('timed-out', { reason: "the action's deadline of 900 s passed while the host was in phase baking; rerun with mode: status" })),
    "timed out: the action's deadline of 900 s passed while the host was in phase baking (rerun with mode: status)",
  );
  assert.equal(causeOf('x; y; x'), 'x; y');
  assert.equal(finalDescription(outcome('rolled-back')), 'rolled back: error rate 7.2% > 5% in 3 consecutive samples');
  assert.equal(finalDescription(outcome('unchanged')), 'unchanged: release 0123456789ab already serves');
  assert.equal(finalDescription(outcome('promoted')), 'promoted: green healthy through the bake (release 0123456789ab)');
});

test('every description is one line within 140 characters, verdict word first, and keeps its cause when cut', () => {
  fc.assert(
    fc.property(fc.constantFrom(...ActionVerdict.options), fc.string({ maxLength: 400 }), (verdict, reason) => {
      const d = finalDescription(outcome(verdict, { reason }));
      assert.ok(d.length <= DESCRIPTION_MAX, d);
      assert.ok(!/[\r\n]/.test(d));
      assert.ok(d.startsWith(VERDICTS[verdict].word), d);
    }),
  );
  // A long check detail: the cause (check name and detail) comes first and is cut last.
  const detail = `the socket at /home/hermes/.hermes/run/handoff.sock answered from pid 77 ${'x'.repeat(200)}`;
  const d = finalDescription(outcome('not-ready', { checks: [{ name: 'ssh', ok: true, detail: 'ok' }, { name: 'socket', ok: false, detail }] }));
  assert.ok(d.startsWith('not ready: socket: the socket at /home/hermes'), d);
  assert.equal(d.length, DESCRIPTION_MAX);
  assert.ok(d.endsWith('…'));
  // The context goes before the cause is cut.
  assert.equal(describeLine('timed out', 'c'.repeat(110), ' (rerun with mode: status)'), `timed out: ${'c'.repeat(110)}`);
});

test('a release is the same release as its abbreviation, not as a different one', () => {
  assert.ok(sameRelease(SHA, SHA));
  assert.ok(sameRelease(SHA.slice(0, 7), SHA));
  assert.ok(!sameRelease(SHA.slice(0, 6), SHA));
  assert.ok(!sameRelease('v1.2', 'v1.2.3'));
  assert.ok(!sameRelease('', ''));
});

test("only a verdict on this commit's release changes issues (issue 14 item 7, issue 9 item 3)", () => {
  const judged = reportRule(outcome('rolled-back'), SHA);
  assert.deepEqual(judged, { standing: 'judged', status: 'failure', relatedIssue: 'reopen', failureIssue: 'open-or-comment' });
  // A status run that finds no handoff: an error, issues untouched.
  const empty = outcome('failed', { mode: 'status', handoff_id: null, reason: 'no handoff has run on prod yet; release r0 (runtime claw) serves' });
  assert.deepEqual(reportRule(empty, SHA), { standing: 'nothing-to-report', status: 'error', relatedIssue: 'untouched', failureIssue: 'untouched' });
  assert.equal(finalDescription(empty, 'nothing-to-report'), 'no verdict: no handoff has run on prod yet; release r0 (runtime claw) serves');
  // A deliberate rollback: the status says so, no issue is reopened or opened.
  assert.deepEqual(reportRule(outcome('rolled-back', { mode: 'rollback' }), SHA), { standing: 'operator-rollback', status: 'failure', relatedIssue: 'untouched', failureIssue: 'untouched' });
  // Busy: never a failure of the new release.
  const busy = outcome('failed', { busy_with: 'handoff hh-1 is baking; one handoff at a time', reason: 'the host refused the handoff: handoff hh-1 is baking; one handoff at a time' });
  assert.deepEqual(reportRule(busy, SHA), { standing: 'busy', status: 'error', relatedIssue: 'untouched', failureIssue: 'untouched' });
  assert.equal(finalDescription(busy, 'busy'), 'busy: handoff hh-1 is baking; one handoff at a time (rerun once it has ended)');
  // A status run reporting an older release's verdict: the description names it, issues untouched, state kept.
  const old = outcome('promoted', { mode: 'status', release: 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed' });
  assert.equal(standingOf(old, SHA), 'other-release');
  assert.deepEqual(reportRule(old, SHA), { standing: 'other-release', status: 'success', relatedIssue: 'untouched', failureIssue: 'untouched' });
  assert.equal(finalDescription(old, 'other-release'), 'promoted release f00dfeedf00d (not this commit): green healthy through the bake');
  // The same status run on the commit of that release judges it.
  assert.equal(standingOf(old, 'f00dfeedf00d'), 'judged');
  assert.equal(reportRule(outcome('reverted', { mode: 'status' }), SHA).failureIssue, 'open-or-comment');
});

test('the observation window in a promoted status; a reversion with its time', () => {
  const until = Date.UTC(2026, 0, 2, 14, 5);
  assert.equal(finalDescription(outcome('promoted', { observation: { state: 'observing', until, ended_at: null } })), 'promoted: green healthy through the bake (release 0123456789ab; observing until 2026-01-02 14:05 UTC)');
  assert.equal(
    finalDescription(outcome('reverted', { reason: 'green exited 3 h 12 min after promotion; blue resumed from its cursors', observation: { state: 'reverted', until, ended_at: until - 3600_000 } })),
    'reverted: green exited 3 h 12 min after promotion; blue resumed from its cursors (at 2026-01-02 13:05 UTC)',
  );
});

test('a pending description names its deadline, and a later run reads it back', () => {
  const now = Date.UTC(2026, 0, 1, 23, 50);
  const deadline = now + 30 * 60_000 + 1;
  const d = pendingDescription('baking: 30 s of 5 min', deadline, now);
  assert.equal(d, 'baking: 30 s of 5 min; verdict by 00:21 UTC');
  assert.equal(deadlineOf(d, now), Date.UTC(2026, 0, 2, 0, 21), 'past midnight: the next day');
  const far = pendingDescription('promote started on prod', now + 30 * 3600_000, now);
  assert.match(far, /; verdict by 2026-01-03 05:50 UTC$/);
  assert.equal(deadlineOf(far, now), Date.UTC(2026, 0, 3, 5, 50));
  assert.equal(deadlineOf('promote started on prod', now), null);
  // A long phase text keeps its words; the deadline is what goes.
  const long = pendingDescription(`baking: ${'y'.repeat(130)}`, deadline, now);
  assert.ok(long.length <= DESCRIPTION_MAX && !long.includes('verdict by'));
  void T0;
});
