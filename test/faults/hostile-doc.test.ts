// The "hostile host" section of docs/reliability.md: rendered from measured rows, spliced after the
// fault matrix without disturbing it, and found stale when a deterministic column changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHostileResult, hostileSectionOf, hostileStaleness, readHostileResults, renderHostileSection, resetHostileResults, withHostileSection, type HostileRow } from './hostile-doc.ts';
import { renderDoc, staleness, type MatrixRow } from './reliability-doc.ts';

const row = (over: Partial<HostileRow> = {}): HostileRow => ({
  attack: 'green rolls back with | workflow commands',
  via: 'handoff socket -> sshd -> dist/index.js',
  verdict: 'failed',
  reason: 'green rolled back: x\\n::set-env name=A::`b`',
  host_commands: 0,
  control_chars: 0,
  secrets_shown: 0,
  crashed: false,
  own_commands: 'add-mask, group, endgroup, error',
  pass: true,
  ...over,
});
const meta = { node: '20.0.0', when: '2025-01-01' };
const matrixRow: MatrixRow = { fault: 'green hang', phase: 'baking', verdict: 'rolled-back', reason: 'r', serves: 'blue', lost: 0, duplicated: 0, conflicts: 0, max_gap_ms: 1, bound_ms: 2, bound: 'b', pass: true };

test('a rendered section agrees with its rows; counts, verdicts and pass are what makes it stale', () => {
  const rows = [row(), row({ attack: 'a 100 KB token', verdict: 'failed' })];
  const doc = withHostileSection('# Reliability\n', renderHostileSection(rows, meta));
  assert.deepEqual(hostileStaleness(doc, rows), []);
  assert.deepEqual(hostileStaleness(doc, [row({ reason: 'other words', own_commands: 'x' }), rows[1]!]), [], 'the reason and own commands may change');
  for (const change of [{ host_commands: 1 }, { control_chars: 3 }, { secrets_shown: 1 }, { crashed: true }, { pass: false }, { verdict: 'promoted' }, { attack: 'x' }]) {
    const diff = hostileStaleness(doc, [row(change), rows[1]!]);
    assert.equal(diff.length, 1, JSON.stringify(change));
    assert.match(diff[0]!, /^row 1: the doc says/);
  }
  assert.match(hostileStaleness(doc, [...rows, row()])[0]!, /^missing row 3/);
  assert.match(hostileStaleness('# no section\n', rows)[0]!, /^missing row 1/);
});

test('the section sits after the fault matrix: replacing it keeps the matrix, and the matrix check ignores it', () => {
  const matrix = renderDoc([matrixRow], meta);
  const doc = withHostileSection(matrix, renderHostileSection([row()], meta));
  assert.ok(doc.startsWith(matrix.trimEnd()));
  assert.deepEqual(staleness(doc, [matrixRow]), [], 'the hostile table is not read as matrix rows');
  const again = withHostileSection(doc, renderHostileSection([row(), row({ attack: 'b' })], meta));
  assert.ok(again.startsWith(matrix.trimEnd()));
  assert.equal(again.split('## Hostile host').length, 2, 'one section, replaced in place');
  assert.equal(hostileSectionOf(again), renderHostileSection([row(), row({ attack: 'b' })], meta));
});

test('the results file round-trips rows and names a line that is not one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-hostile-doc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'h.jsonl');
  resetHostileResults(path);
  appendHostileResult(path, row());
  appendHostileResult(path, row({ pass: false, error: 'boom' }));
  assert.deepEqual(readHostileResults(path), [row(), row({ pass: false, error: 'boom' })]);
  writeFileSync(path, `${JSON.stringify(row())}\n{"attack":1}\n`);
  assert.throws(() => readHostileResults(path), /h\.jsonl line 2: not a hostile-host row/);
});
