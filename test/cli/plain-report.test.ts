// The report a terminal gets from the CLI: plain text, snapshot by snapshot. Durations are written
// with the reports' own formatter, so the snapshots hold the layout and the words, not its rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainReport, wantsColor } from '../../src/cli/plain-report.ts';
import { inertText } from '../../src/cli/terminal-text.ts';
import { formatDuration as d } from '../../src/report/markdown.ts';
import { notReady, promoted, rolledBack } from './fixtures.ts';

const plain = (o: Parameters<typeof plainReport>[0]) => plainReport(o, { color: false, inert: inertText });

test('a promotion: the verdict and reason first, the figures, a compact timeline, the health summary', () => {
  assert.equal(
    plain(promoted()),
    `promoted: bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms
  target production, mode promote, release 7d41a09 (runtime claw), handoff 20261123T202900-7d41a09-a4e5a2
  took ${d(6480)}; blue pid 13667, green pid 14302; dark window ${d(19)}; bake ${d(3000)}

Timeline
    +0.000 s  reserved  release 7d41a09, runtime claw
    +0.723 s  init      green pid 14302
    +2.231 s  draining  green ready after 1502 ms
    +2.246 s  active    0 in-flight finished
    +2.254 s  baking    green polling after a 19 ms dark window
    +5.256 s  complete  promoted: bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms

Health over the bake
  3 heartbeats, 30 messages handled, 0 errors (0%), worst p99 ${d(5.942)}
`,
  );
});

test("a rollback: the timeline to the rollback, the errors, green's log", () => {
  assert.equal(
    plain(rolledBack()),
    `rolled-back: error rate 100% > 5% in 3 consecutive samples
  target production, mode promote, release 7d41a09 (runtime claw), handoff 20261123T202900-7d41a09-a4e5a2
  took ${d(7012)}; blue pid 13667, green pid 14302; dark window ${d(19)}; bake ${d(3000)}

Timeline
    +0.000 s  reserved      release 7d41a09, runtime claw
    +0.723 s  init          green pid 14302
    +2.231 s  draining      green ready after 1502 ms
    +2.246 s  active        0 in-flight finished
    +2.254 s  baking        green polling after a 19 ms dark window
    +5.301 s  rolling-back  error rate 100% > 5% in 3 consecutive samples
    +5.310 s  idle          rolled-back: error rate 100% > 5% in 3 consecutive samples

Health over the bake
  3 heartbeats, 30 messages handled, 30 errors (100%), worst p99 ${d(5.942)}

Green's log (last lines)
  | 2026-11-23T20:29:41.000Z [gateway green] error-burst: answering with errors
  | 2026-11-23T20:29:44.000Z [gateway green] stopped
`,
  );
});

test('a preflight: the checks, each ok or FAIL', () => {
  assert.equal(
    plain(notReady()),
    `not-ready: 1 of 3 checks failed: green command resolves
  target production, mode preflight, release 7d41a09 (runtime claw)
  took ${d(912)}; blue pid 13667, green pid -

Checks
  ok    host reachable          ssh as hermes
  ok    socket answers          blue pid 13667, release 7d41a09
  FAIL  green command resolves  hermes/bin/start-gateway not found on the host's PATH
`,
  );
});

test('no markdown reaches the terminal: no table pipes, headings, entities, mermaid or <details>', () => {
  for (const o of [promoted(), rolledBack(), notReady()]) {
    const text = plain({ ...o, target_name: 'hermes@127.0.0.1', reason: 'a "quoted" (reason) <b>' });
    assert.ok(text.includes('target hermes@127.0.0.1'), text);
    assert.ok(text.includes('a "quoted" (reason) <b>'), text);
    for (const md of ['&#64;', '&quot;', '\\(', '```', 'mermaid', '<details>', '| ---', '### ']) assert.ok(!text.includes(md), `${md} in:\n${text}`);
  }
});

test('host text cannot drive the terminal or the runner: escapes, line breaks and workflow commands are shown as text', () => {
  const o = rolledBack();
  const hostile = { ...o, reason: 'boom\u001b]0;pwned\u0007\n::error::fake', green_log_tail: '::add-mask::x\n\u001b[2Jcleared\n##[error]old form\n', timeline: [{ phase: 'init', at: 0, note: 'a\rb\u202eevil' }] };
  const text = plain(hostile);
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(text), JSON.stringify(text));
  assert.ok(text.startsWith('rolled-back: boom\\x1b]0;pwned\\x07\\n::error::fake\n'), text);
  assert.ok(!/^\s*::/m.test(text), text);
  assert.ok(!text.includes('##['), text);
  assert.ok(text.includes('| \\x3a:add-mask::x'), text);
  assert.ok(text.includes('a\\rb\\u202eevil'), text);
});

test('colours only when asked: the verdict coloured for what it means, nothing else changed', () => {
  const colored = plainReport(promoted(), { color: true, inert: inertText });
  assert.ok(colored.startsWith('\u001b[1m\u001b[32mpromoted\u001b[0m\u001b[0m: bake of 3 s'), JSON.stringify(colored.slice(0, 40)));
  // eslint-disable-next-line no-control-regex
  assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), plain(promoted()));
  assert.ok(plainReport(rolledBack(), { color: true, inert: inertText }).startsWith('\u001b[1m\u001b[33mrolled-back'));
  // A rollback that `hermes-handoff rollback` asked for is what was wanted.
  assert.ok(plainReport({ ...rolledBack(), mode: 'rollback' }, { color: true, inert: inertText }).startsWith('\u001b[1m\u001b[32mrolled-back'));
  assert.ok(plainReport(notReady(), { color: true, inert: inertText }).startsWith('\u001b[1m\u001b[31mnot-ready'));
});

test('colour needs a TTY and no NO_COLOR (an empty NO_COLOR does not count)', () => {
  assert.equal(wantsColor({ isTTY: true }, {}), true);
  assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(wantsColor({ isTTY: false }, {}), false);
  assert.equal(wantsColor({}, {}), false);
});
