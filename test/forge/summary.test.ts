import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJobSummary } from '../../src/app/job-summary.ts';
import { createScrubber } from '../../src/text/scrub.ts';
import { memoryLog, outcome } from './fixtures.ts';

test('job summary: unset logs and succeeds; unwritable warns; set appends the scrubbed report with the host output, which the log gets too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-summary-'));
  const saved = process.env.GITHUB_STEP_SUMMARY;
  t.after(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  delete process.env.GITHUB_STEP_SUMMARY;
  const log = memoryLog();
  assert.equal(await writeJobSummary(outcome('promoted'), { log }), false);
  assert.match(log.infos[0] ?? '', /GITHUB_STEP_SUMMARY is unset\): the report is in this step's output `report`/);
  assert.deepEqual(log.warns, []);

  process.env.GITHUB_STEP_SUMMARY = join(dir, 'missing', 'summary.md');
  const log2 = memoryLog();
  assert.equal(await writeJobSummary(outcome('promoted'), { log: log2 }), false);
  assert.match(log2.warns[0] ?? '', /not writable/);

  const file = join(dir, 'summary.md');
  writeFileSync(file, 'earlier step\n');
  process.env.GITHUB_STEP_SUMMARY = file;
  const log3 = memoryLog();
  const o = outcome('rolled-back', { reason: 'green failed with hunter2-db', green_log_tail: 'token=db_p4ss@<x>\nline two\n' });
  assert.equal(await writeJobSummary(o, { log: log3, runUrl: 'https://forge.example/r/1', scrub: createScrubber(['hunter2-db', 'db_p4ss@<x>']) }), true);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('earlier step\n### ↩️ Rolled back on `prod`\n\n**Reason:** `green failed with ***`'), text.slice(0, 80));
  // The job summary is one of the two places the host's output goes by default (issue 9 item 4); the log is the other.
  assert.match(text, /<summary>Green's log \(last lines\)<\/summary>\n\n```text\ntoken=\*\*\*\nline two\n```/);
  assert.deepEqual(log3.infos.slice(0, 3), ["green's log (last lines), 2 lines:", '  | token=***', '  | line two']);
  assert.ok(!text.includes('hunter2-db'));
  assert.ok(!text.includes('p4ss'));
  assert.match(text, /\[Open the run\]\(https:\/\/forge\.example\/r\/1\)/);
});
