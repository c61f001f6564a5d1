// The reliability doc's table: rendered from measured rows, read back, and found stale when a
// deterministic column no longer matches (timings and wording may change freely).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResult, maskReason, readResults, renderDoc, resetResults, staleness, type MatrixRow } from './reliability-doc.ts';

const row = (over: Partial<MatrixRow> = {}): MatrixRow => ({
  fault: 'green hang',
  phase: 'baking: green freezes | at its 2nd heartbeat',
  verdict: 'rolled-back',
  reason: 'no HEALTH from green for 1015 ms',
  serves: 'blue',
  lost: 0,
  duplicated: 0,
  conflicts: 0,
  max_gap_ms: 1900.4,
  bound_ms: 2500,
  bound: 'heartbeat age + rollback grace',
  pass: true,
  ...over,
});
const meta = { node: '20.0.0', when: '2025-01-01' };

test('a rendered doc agrees with its own rows, pipes in a cell included', () => {
  const rows = [row(), row({ fault: 'blue crash-before-init', verdict: 'promoted', serves: 'green' })];
  assert.deepEqual(staleness(renderDoc(rows, meta), rows), []);
});

test('timings and reasons may change; a deterministic column may not', () => {
  const doc = renderDoc([row()], meta);
  assert.deepEqual(staleness(doc, [row({ max_gap_ms: 12, reason: 'other words', bound: 'other bound' })]), []);
  for (const change of [{ verdict: 'failed' }, { serves: 'green' }, { lost: 1 }, { duplicated: 2 }, { conflicts: 3 }, { pass: false }, { phase: 'init' }, { fault: 'x' }]) {
    const diff = staleness(doc, [row(change)]);
    assert.equal(diff.length, 1, `${JSON.stringify(change)} makes the doc stale`);
    assert.match(diff[0]!, /^row 1: the doc says \| .* \|, measured \| .* \|$/);
  }
  assert.match(staleness(doc, [row(), row()])[0]!, /^missing row 2/);
  assert.match(staleness(doc, [])[0]!, /^extra row 1/);
  assert.match(staleness('', [row()])[0]!, /^missing row 1/);
});

test('the results file round-trips rows and names a line that is not one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-reliability-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'r.jsonl');
  resetResults(path);
  appendResult(path, row());
  appendResult(path, row({ pass: false, error: 'boom' }));
  assert.deepEqual(readResults(path), [row(), row({ pass: false, error: 'boom' })]);
  writeFileSync(path, `${JSON.stringify(row())}\n{"fault":1}\n`);
  assert.throws(() => readResults(path), /r\.jsonl line 2: not a matrix row/);
});

test('reasons are masked of what changes from run to run', () => {
  assert.equal(maskReason('green (pid 4242) exited'), 'green (pid N) exited');
  assert.equal(maskReason("mkdir '/tmp/hh-world-abc/home/run/handoffs'"), 'mkdir …');
  assert.equal(maskReason('aborted: green exited (see /tmp/hh-world-x/home/logs/green-r2-1700000000000.log)'), 'aborted: green exited (see …)');
});
