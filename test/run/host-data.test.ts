// The pipeline makes what the host sent back inert once, before any sink: the outcome's reason, notes,
// check details and green's log tail (inertOutcome), every log line, and the phase details; the host's
// token is checked before it is masked; published text masks secrets of any length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSettings } from '../../src/config/schema.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { inertOutcome, NOTE_MAX, REASON_MAX } from '../../src/run/host-data.ts';
import { runPipeline, type RunResult } from '../../src/run/pipeline.ts';

const EVIL = 'x\n::set-env name=BASH_ENV::$(id)\r::add-path::/evil\u2028##[add-path]/e \x1b[31m password=hunter2-Pw9';

function outcome(over: Partial<Outcome> = {}): Outcome {
  return {
    mode: 'promote',
    verdict: 'failed',
    reason: `green rolled back: ${EVIL}`,
    target_name: 'staging',
    handoff_id: '20261130T073822-r2-e99cc8',
    release: 'r2',
    runtime: 'claw',
    blue_pid: 1,
    green_pid: 2,
    dark_window_ms: null,
    bake_ms: 1000,
    started_at: 0,
    duration_ms: 10,
    timeline: [{ phase: 'init', at: 0, note: EVIL }],
    health: [],
    checks: [{ name: 'socket', ok: false, detail: EVIL }],
    green_log_tail: `${'old line\n'.repeat(100)}${EVIL}\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz\n-----END OPENSSH PRIVATE KEY-----\n`,
    ...over,
  };
}

// eslint-disable-next-line no-control-regex -- the point: no raw control character in any field
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const COMMAND = /(^|\n)[\s]*::|##\[/;

test('inertOutcome: reason, notes and details are one inert line each, the tail inert lines; credentials redacted; bounded', () => {
  const o = inertOutcome(outcome(), ['r2']);
  for (const [what, text] of [
    ['reason', o.reason],
    ['note', o.timeline[0]!.note!],
    ['detail', o.checks[0]!.detail],
  ] as const) {
    assert.ok(!text.includes('\n') && !RAW.test(text) && !COMMAND.test(text), `${what}: ${JSON.stringify(text)}`);
    assert.ok(text.includes('password=[redacted]') && !text.includes('hunter2'), `${what} redacted: ${text}`);
  }
  assert.equal(o.reason, 'green rolled back: x\\n::set-env name=BASH_ENV::$(id)\\r::add-path::/evil\\u2028#\\x23[add-path]/e \\x1b[31m password=[redacted]');
  const tail = o.green_log_tail!.split('\n');
  assert.ok(tail.length <= 40, `the last 40 lines: ${tail.length}`);
  for (const l of tail) assert.ok(!RAW.test(l) && !COMMAND.test(l), JSON.stringify(l));
  assert.equal(tail.at(-1), '[redacted private key]');
  assert.ok(tail.includes('\\x3a:add-path::/evil\\u2028#\\x23[add-path]/e \\x1b[31m password=[redacted]'), tail.join('\n'));
  const long = inertOutcome(outcome({ reason: 'r'.repeat(100_000), timeline: [{ phase: 'p'.repeat(500), at: 0, note: 'n'.repeat(10_000) }] }), []);
  assert.equal(long.reason.length, REASON_MAX);
  assert.equal(long.timeline[0]!.note!.length, NOTE_MAX);
  assert.equal(long.timeline[0]!.phase.length, 64);
});

test('inertOutcome: prepare-command output, what held the host and the standby reason are host text too', () => {
  const o = inertOutcome(outcome({ prepare_output: `fatal: https://bot:hunter2-Pw9@git.example/x\n${EVIL}`, busy_with: EVIL, observation: { state: 'reverted', until: 1, ended_at: 2, reason: EVIL } }), ['r2']);
  for (const l of o.prepare_output!.split('\n')) assert.ok(!RAW.test(l) && !COMMAND.test(l) && !l.includes('hunter2'), JSON.stringify(l));
  for (const text of [o.busy_with!, o.observation!.reason!]) {
    assert.ok(!text.includes('\n') && !RAW.test(text) && !COMMAND.test(text) && !text.includes('hunter2'), JSON.stringify(text));
  }
  assert.equal(o.observation!.state, 'reverted');
});

test('a run on a host whose token file holds workflow commands: failed, a clear reason, the contents never masked or shown', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hh-run-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  const contents = `::set-env name=BASH_ENV::x\nZq7-token-contents-${'q'.repeat(70)}\n`;
  writeFileSync(join(home, 'run', 'handoff.token'), contents, { mode: 0o600 });
  const settings = readSettings(
    (n) => ({ mode: 'promote', transport: 'local', 'hermes-home': home, 'green-command': 'true', release: 'r2', 'green-env': 'SHORT=hex\nLONG=long-value-1' })[n] ?? '',
    {},
  );
  const lines: string[] = [];
  const masks: string[] = [];
  let result: RunResult | null = null;
  const code = await runPipeline(settings, {
    log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    mask: (s) => masks.push(s),
    publish: async (r) => {
      result = r;
    },
  });
  assert.equal(code, 1);
  assert.ok(result);
  const r: RunResult = result;
  assert.equal(r.outcome.verdict, 'failed');
  assert.match(r.outcome.reason, /^the handoff token \S+\/run\/handoff\.token is not a token this protocol writes: expected 64 lowercase hex digits \(docs\/protocol\.md 2\.3\), but it holds \d+ characters/);
  assert.ok(r.outcome.reason.includes(`holds ${contents.trim().length} characters`), r.outcome.reason);
  assert.deepEqual(masks, ['long-value-1'], 'the contents were never taken as the token (nor masked); a 3-character value is no runner mask');
  const everything = JSON.stringify([lines, r.outcome, r.published, r.outputs]);
  assert.ok(!everything.includes('Zq7-token-contents'), 'nothing of the file is shown');
  for (const l of lines) assert.ok(!l.includes('\n') && !COMMAND.test(l), JSON.stringify(l));
  assert.ok(!r.outputs.reason!.includes('\n'), 'the reason output is one line');
  // Published beyond the run: the 3-character green-env value is masked there, not in the log's copy.
  assert.match(r.outcome.reason, /lowercase hex digits/);
  assert.match(r.published.reason, /lowercase \*\*\* digits/);
});
