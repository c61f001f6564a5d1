// The conformance command's case runner (src/conformance/cases.ts): one line per case, a deadline per
// case, clean-ups that run pass or fail, and whatever the peer sent shown as inert text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mismatch, runCases, show, type Case } from '../../src/conformance/cases.ts';

test('one line per case: ok with its notes, FAIL with what was expected and what came; clean-ups always run', async () => {
  const lines: string[] = [];
  const cleaned: string[] = [];
  const cases: Case<null>[] = [
    {
      name: 'passes',
      ms: 1_000,
      async run(_x, scope) {
        scope.defer(() => cleaned.push('a'));
        scope.note('a note');
      },
    },
    {
      name: 'fails',
      ms: 1_000,
      async run(_x, scope) {
        scope.defer(() => cleaned.push('b'));
        throw new Mismatch('ERROR busy', show({ code: 'bad_frame' }));
      },
    },
    { name: 'hangs', ms: 100, run: () => new Promise<void>(() => {}) },
    {
      name: 'throws',
      ms: 1_000,
      async run() {
        throw new Error('boom');
      },
    },
  ];
  const s = await runCases(cases, null, (l) => lines.push(l));
  assert.deepEqual(s, { passed: 1, failed: 3 });
  assert.match(lines[0]!, /^ok {3}passes \(\d+ ms\): a note$/);
  assert.match(lines[1]!, /^FAIL fails \(\d+ ms\): expected ERROR busy, got \{"code":"bad_frame"\}$/);
  assert.match(lines[2]!, /^FAIL hangs \(\d+ ms\): expected the case over within 100 ms, got it was still waiting$/);
  assert.match(lines[3]!, /^FAIL throws \(\d+ ms\): an error: "boom"$/);
  assert.deepEqual(cleaned, ['a', 'b']);
});

test('a case after a failed precondition is reported as not run', async () => {
  const lines: string[] = [];
  const cases: Case<null>[] = [
    {
      name: 'setup',
      ms: 1_000,
      async run() {
        throw new Mismatch('a', 'b');
      },
    },
    { name: 'later', ms: 1_000, run: async () => {} },
  ];
  const s = await runCases(cases, null, (l) => lines.push(l), (n) => n === 'setup');
  assert.deepEqual(s, { passed: 0, failed: 2 });
  assert.equal(lines[1], 'FAIL later: not run, because "setup" failed and the cases after it depend on it');
});

test("the peer's text is inert: no line break, control character or workflow command gets through", () => {
  for (const hostile of ['x\n::error::pwned', '\u001b[31mred', 'a\u2028b', '##[error]boom', '::set-output name=x::y']) {
    const s = show(hostile);
    assert.ok(![...'\n\r\u001b\u2028'].some((c) => s.includes(c)), s);
    assert.doesNotMatch(s, /##\[/, s);
    assert.doesNotMatch(s, /^\s*::/, s);
  }
  assert.equal(show('x'.repeat(1000), 50).length, 50);
});
