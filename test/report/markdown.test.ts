// The report's markdown, piece by piece: headings, host text in code, the details, the bake, the pids,
// the health rows kept, the charts' scales, the observation window, rerun lines (issue 14 items 8-10, 12, 13, 15, 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeFormat } from 'd3-time-format';
import { renderReport, appendRerunLine, bakeText, RERUN_TAG } from '../../src/report/markdown.ts';
import { formatDuration, formatPercent } from '../../src/report/format.ts';
import { escapeMarkdown, codeBlock, inlineCode, safeUrl } from '../../src/report/escape.ts';
import { chartTime, scaleFor } from '../../src/report/gantt.ts';
import { pickSamples } from '../../src/report/health.ts';
import { outcome, T0 } from '../forge/fixtures.ts';

const sample = (seq: number, errors = 0, p99 = 40) => ({ seq, at: T0 + 10_000 + seq * 1000, handled: 100, errors, latency_p50_ms: 10, latency_p99_ms: p99 });

test('the report leads with the verdict word and the target, then the reason in code, details, timeline, chart, health and the run link', () => {
  const md = renderReport(outcome('promoted'), { runUrl: 'https://forge.example/acme/gateway/actions/runs/1', marker: '<!-- hermes-handoff:prod -->' });
  const lines = md.split('\n');
  assert.equal(lines[0], '<!-- hermes-handoff:prod -->');
  assert.equal(lines[2], '### ✅ Promoted on `prod`');
  assert.equal(lines[4], '**Reason:** `green healthy through the bake`');
  const order = ['| Detail | Value |', '| Target | `prod` |', '| Release | `0123456789abcdef0123456789abcdef01234567` |', '| Dark window | 4 ms |', '#### Timeline', '```mermaid', '#### Health over the bake', '[Open the run](https://forge.example/acme/gateway/actions/runs/1)'];
  let at = 0;
  for (const piece of order) {
    const i = md.indexOf(piece, at);
    assert.ok(i >= at, `${piece} after position ${at}`);
    at = i;
  }
  assert.match(md, /\| `reserved` \| \+0 ms \|/);
  assert.match(md, /\| `baking` \| \+3\.9 s \|/);
  assert.match(md, /\| 2 \| \+23\.9 s \| 42 \| 0 \| 0% \| 13 ms \| 44 ms \|/);
  assert.ok(!/^#{1,6} .*(green healthy|0123456789)/m.test(md), 'no host text in a heading');
});

test('outside text is inert: in code spans and blocks only, never a heading, a link, a mention or a reference', () => {
  const evil = 'boom <script>alert(1)</script> [click](javascript:alert(1)) @octocat #12 https://evil.example | cell `code` **bold**\n# heading';
  const md = renderReport(
    outcome('rolled-back', { reason: evil, release: 'v1|<b>x</b>', timeline: [{ phase: 'baking<img src=x>', at: 1, note: '| a | b | @root' }], green_log_tail: 'line ``` breaks out?\n</details><script>x</script>' }),
    { hostOutput: true },
  );
  // The multi-line reason is a code block; no line of it starts a heading outside the fence.
  assert.match(md, /\*\*Reason:\*\*\n\n```text\nboom <script>alert\(1\)<\/script> \[click\]\(javascript:alert\(1\)\) @octocat #12 https:\/\/evil\.example \| cell `code` \*\*bold\*\*\n# heading\n```/);
  const outsideCode = md.replace(/(`{3,})[a-z]*\n[\s\S]*?\n\1/g, '').replace(/(`+)(?!`)[\s\S]*?\1/g, '');
  for (const bad of ['<script', '<img', '<b>', '@octocat', '@root', '#12', 'https://evil', '](javascript']) assert.ok(!outsideCode.includes(bad), `${bad} outside code`);
  assert.match(md, /\| Release \| `v1\\\|<b>x<\/b>` \|/);
  assert.match(md, /\| `baking<img src=x>` \| \+0 ms \| `\\\| a \\\| b \\\| @root` \|/);
  assert.match(md, /````text\nline ``` breaks out\?\n<\/details><script>x<\/script>\n````/);
  assert.match(md, / {2}baking img src x :b0,/);
});

test('inlineCode, escapeMarkdown, codeBlock and safeUrl', () => {
  assert.equal(inlineCode('a`b'), '``a`b``');
  assert.equal(inlineCode('`x'), '`` `x ``');
  assert.equal(inlineCode('a|b', { cell: true }), '`a\\|b`');
  assert.equal(inlineCode('line1\nline2\u001b[31m\u202e'), '`line1 ⏎ line2\\u001b[31m\\u202e`');
  assert.equal(inlineCode(''), '—');
  assert.equal(inlineCode('x'.repeat(400)).length, 302);
  assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
  assert.equal(escapeMarkdown('#1 @me'), '\\#1 &#64;me');
  assert.equal(codeBlock('plain'), '```\nplain\n```');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('https://x.example/a(b)'), 'https://x.example/a%28b%29');
});

test('the details table has a header; preflight shows its checks and no bake', () => {
  const md = renderReport(outcome('not-ready'), {});
  assert.match(md, /^### ❌ Not ready on `prod`\n\n\*\*Reason:\*\* `not-ready reason`/);
  assert.ok(!md.includes('|  |  |'), 'no empty header row');
  assert.match(md, /\| `ssh` \| ✅ ok \| `connected, host key pinned` \|/);
  assert.match(md, /\| `socket` \| ❌ failed \| `no listener on handoff.sock` \|/);
  assert.ok(!md.includes('#### Timeline'));
  assert.ok(!md.includes('```mermaid'));
  assert.ok(!md.includes('Open the run'));
});

test('headings never go down a level before they go up: H3 first, H4 sections under it, also for a failure comment', () => {
  for (const heading of ['report', 'again'] as const) {
    const md = renderReport(outcome('rolled-back'), { heading });
    const levels = [...md.matchAll(/^(#{1,6}) /gm)].map((m) => m[1]!.length);
    assert.equal(levels[0], 3, heading);
    assert.ok(levels.slice(1).every((l) => l === 4), `${heading}: ${levels.join(',')}`);
  }
  assert.match(renderReport(outcome('failed'), { heading: 'again' }), /^### ❌ Failed again on `prod`/);
});

test('the bake shows what was baked of what was planned (issue 14 item 9)', () => {
  const t = (phase: string, at: number) => ({ phase, at: T0 + at });
  assert.equal(bakeText({ bake_ms: 8000, timeline: [t('active', 0), t('baking', 100), t('rolling-back', 700)], health: [] }), '600 ms of 8 s');
  assert.equal(bakeText({ bake_ms: 8000, timeline: [t('reserved', 0), t('init', 300)], health: [] }), 'not reached (8 s planned)');
  assert.equal(bakeText({ bake_ms: 300_000, timeline: [t('baking', 0), t('complete', 300_050)], health: [] }), '5 min of 5 min');
  assert.equal(bakeText({ bake_ms: 300_000, timeline: [t('baking', 0)], health: [sample(40)] }), '50 s of 5 min (still baking when the run ended)');
  assert.equal(bakeText({ bake_ms: null, timeline: [], health: [] }), '—');
  assert.match(renderReport(outcome('failed', { bake_ms: 8000, timeline: [t('reserved', 0)] })), /\| Bake \| not reached \(8 s planned\) \|/);
});

test("green's pid is green's own; the launcher's is shown only as such (issue 14 item 12)", () => {
  assert.match(renderReport(outcome('promoted', { green_pid: 4200, launcher_pid: 4199 })), /\| Green pid \| 4200 \|/);
  assert.match(renderReport(outcome('failed', { green_pid: null, launcher_pid: 4199 })), /\| Green pid \| — \(green never connected; its launcher ran as pid 4199\) \|/);
});

test('the health table keeps the samples with errors and the worst ones when it thins (issue 14 item 8)', () => {
  // 500 quiet samples with one error burst at 137 and the slowest p99 at 321.
  const health = Array.from({ length: 500 }, (_, i) => sample(i, i === 137 ? 1 : 0, i === 321 ? 900 : 40));
  const shown = pickSamples(health, 30).map((h) => h.seq);
  assert.equal(shown.length, 30);
  for (const seq of [0, 137, 321, 499]) assert.ok(shown.includes(seq), `sample ${seq} kept`);
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b));
  const md = renderReport(outcome('promoted', { health }));
  assert.match(md, /\| 137 \| \+2 min 27 s \| 100 \| \*\*1\*\* \| 1% \|/);
  assert.match(md, /30 of 500 samples: every sample with errors, the slowest p99s/);
  // A rollback after three consecutive breaches shows all three, not only the last.
  const burst = Array.from({ length: 200 }, (_, i) => sample(i, i >= 197 ? 9 : 0));
  assert.deepEqual(pickSamples(burst, 30).filter((h) => h.errors > 0).map((h) => h.seq), [197, 198, 199]);
  // More error samples than rows: the worst rates are kept and the note says how many are not shown.
  const noisy = Array.from({ length: 100 }, (_, i) => sample(i, 1 + (i % 7)));
  assert.match(renderReport(outcome('rolled-back', { health: noisy })), /every sample with errors but 70 \(the lowest rates\)/);
  assert.equal(formatPercent(1 / 1000), '0.1%');
  assert.equal(formatPercent(1 / 100_000), '0.001%');
  assert.equal(formatPercent(0), '0%');
});

test('chart scales label every tick differently, for a 300 ms run as for a 2-hour bake or a day-long window (issue 14 item 16)', () => {
  const base = new Date(2000, 0, 1).getTime();
  for (const total of [300, 900, 4_200, 59_000, 75_000, 7_200_000, 7_500_000, 86_400_000, 90_000_000]) {
    const s = scaleFor(total);
    assert.match(s.tickInterval, /^([1-9][0-9]*)(millisecond|second|minute|hour|day|week|month)$/, 'a tickInterval mermaid accepts');
    const fmt = timeFormat(s.axisFormat);
    const labels: string[] = [];
    for (let t = 0; t <= total; t += s.stepMs) labels.push(fmt(new Date(base + t)));
    assert.ok(labels.length >= 2 && labels.length <= 9, `${total} ms: ${labels.length} ticks`);
    assert.equal(new Set(labels).size, labels.length, `${total} ms: ${labels.join(' ')}`);
  }
  assert.equal(chartTime(0), '2000-01-01 00:00:00.000');
  assert.equal(chartTime(2 * 3600_000 + 61_001), '2000-01-01 02:01:01.001');
  assert.equal(chartTime(25 * 3600_000), '2000-01-02 01:00:00.000');
});

test('the observation window: a detail row, timeline rows and a chart of its own (issue 13 item 4)', () => {
  const complete = T0 + 64_000;
  const until = complete + 86_400_000;
  const watching = renderReport(outcome('promoted', { observation: { state: 'observing', until, ended_at: null } }));
  assert.match(watching, /\| Observation \| observing until 2025-06-16 \d\d:\d\d UTC: blue stands by/);
  assert.match(watching, /\| `observation ends` \| \+24 h 1 min \|/);
  assert.equal((watching.match(/```mermaid/g) ?? []).length, 2);
  assert.match(watching, /title Observation window from the first phase \(day and h:min, day 1 first\)/);
  const ended = complete + 3 * 3600_000 + 12 * 60_000;
  const reverted = renderReport(
    outcome('reverted', { reason: 'green exited 3 h 12 min after promotion; blue resumed from its cursors', observation: { state: 'reverted', until, ended_at: ended, reason: 'green exited' } }),
  );
  assert.match(reverted, /^### ⏪ Reverted on `prod`/);
  assert.match(reverted, /\| `observation reverted` \| \+3 h 13 min \| `green exited` \|/);
  assert.match(reverted, /blue serves again :b\d+,/);
});

test('an unchanged rerun keeps the report and adds its line; at most ten rerun lines stay (issue 14 item 15)', () => {
  const real = renderReport(outcome('promoted'), { marker: '<!-- hermes-handoff:prod -->' });
  let body = real;
  for (let i = 0; i < 12; i++) body = appendRerunLine(body, outcome('unchanged'), 'https://forge.example/r/9', T0 + i * 60_000);
  assert.ok(body.startsWith(real.trimEnd()), 'the real report is kept whole');
  const reruns = body.split('\n').filter((l) => l.startsWith(RERUN_TAG));
  assert.equal(reruns.length, 10);
  assert.match(reruns.at(-1) ?? '', /🔁 2025-06-15 \d\d:\d\d UTC: unchanged, release `0123456789abcdef0123456789abcdef01234567` already serves \(\[run\]\(https:\/\/forge\.example\/r\/9\)\)$/);
  assert.ok(!body.includes('\n\n\n'));
});

test('formatDuration follows the one rule (round-2 decision 8)', () => {
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(4.24), '4 ms');
  assert.equal(formatDuration(1_500), '1.5 s');
  assert.equal(formatDuration(5_000), '5 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatDuration(120_000), '2 min');
  assert.equal(formatDuration(3_780_000), '1 h 3 min');
  assert.equal(formatDuration(7_200_000), '2 h');
});
