import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, formatDuration } from '../../src/report/markdown.ts';
import { escapeMarkdown, codeBlock, safeUrl } from '../../src/report/escape.ts';
import { outcome } from './fixtures.ts';

test('the report leads with the verdict and reason, then details, timeline, gantt, health and the run link', () => {
  const md = renderReport(outcome('promoted'), { runUrl: 'https://forge.example/acme/gateway/actions/runs/1', marker: '<!-- hermes-handoff:prod -->' });
  const lines = md.split('\n');
  assert.equal(lines[0], '<!-- hermes-handoff:prod -->');
  assert.equal(lines[2], '### ✅ Promoted: green healthy through the bake');
  const order = ['| Target | prod |', '| Release | 0123456789abcdef0123456789abcdef01234567 |', '| Dark window | 4.2 ms |', '#### Timeline', '```mermaid', '#### Health over the bake', '[Open the run](https://forge.example/acme/gateway/actions/runs/1)'];
  let at = 0;
  for (const piece of order) {
    const i = md.indexOf(piece, at);
    assert.ok(i >= at, `${piece} after position ${at}`);
    at = i;
  }
  assert.match(md, /\| reserved \| \+0\.000 s \|/);
  assert.match(md, /\| baking \| \+3\.900 s \|/);
  assert.match(md, /gantt\n {2}title .*\n {2}dateFormat HH:mm:ss\.SSS\n {2}axisFormat %M:%S\n {2}section phases\n {2}reserved :p0, 00:00:00\.000, 00:00:03\.100\n/);
  assert.match(md, /\| 2 \| \+23\.900 s \| 42 \| 0 \| 0\.0 % \| 13 ms \| 44 ms \|/);
});

test('outside text cannot inject markup, links, mentions, table cells or HTML', () => {
  const evil = 'boom <script>alert(1)</script> [click](javascript:alert(1)) @octocat | cell `code` **bold**\n# heading';
  const md = renderReport(
    outcome('rolled-back', { reason: evil, release: 'v1|<b>x</b>', timeline: [{ phase: 'baking<img src=x>', at: 1, note: '| a | b |' }], green_log_tail: 'line ``` breaks out?\n</details><script>x</script>' }),
    {},
  );
  const outsideFence = md.replace(/````text[\s\S]*?````/, '');
  assert.ok(!outsideFence.includes('<script>'));
  assert.ok(!outsideFence.includes('</details><script>'));
  assert.ok(!md.includes('<img'));
  assert.ok(!md.includes('<b>'));
  assert.ok(!md.includes('](javascript'));
  assert.ok(!md.includes('@octocat'));
  assert.ok(!/\n# heading/.test(md));
  assert.match(md, /^### ↩️ Rolled back: boom &lt;script&gt;alert\\\(1\\\)&lt;\/script&gt; \\\[click\\\]\\\(javascript:alert\\\(1\\\)\\\) &#64;octocat \\\| cell \\`code\\` \\\*\\\*bold\\\*\\\* \\# heading$/m);
  assert.match(md, /\| Release \| v1\\\|&lt;b&gt;x&lt;\/b&gt; \|/);
  assert.match(md, /\| baking&lt;img src=x&gt; \| \+0\.000 s \| \\\| a \\\| b \\\| \|/);
  // The log goes in a fence longer than any backtick run in it; HTML inside a fence is inert text.
  assert.match(md, /````text\nline ``` breaks out\?\n<\/details><script>x<\/script>\n````/);
  // Mermaid labels keep only safe characters.
  assert.match(md, / {2}baking img src x :p0,/);
});

test('escapeMarkdown, codeBlock and safeUrl', () => {
  assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
  assert.equal(escapeMarkdown('x & y'), 'x &amp; y');
  assert.equal(escapeMarkdown('#1 @me'), '\\#1 &#64;me');
  assert.equal(codeBlock('plain'), '```\nplain\n```');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('https://x.example/a(b)'), 'https://x.example/a%28b%29');
  assert.equal(safeUrl(null), null);
});

test('preflight reports list the checks; nothing from a missing bake is shown', () => {
  const md = renderReport(outcome('not-ready'), {});
  assert.match(md, /^### ❌ Not ready: not-ready reason/);
  assert.match(md, /\| ssh \| ✅ ok \| connected, host key pinned \|/);
  assert.match(md, /\| socket \| ❌ failed \| no listener on handoff.sock \|/);
  assert.ok(!md.includes('#### Timeline'));
  assert.ok(!md.includes('```mermaid'));
  assert.ok(!md.includes('Open the run'));
});

test('long health series are thinned to 30 rows, keeping first and last', () => {
  const health = Array.from({ length: 500 }, (_, i) => ({ seq: i, at: 1000 + i * 100, handled: 10, errors: 0, latency_p50_ms: 1, latency_p99_ms: 2 }));
  const md = renderReport(outcome('promoted', { health }), {});
  const rows = md.split('\n').filter((l) => /^\| \d+ \| \+/.test(l));
  assert.equal(rows.length, 30);
  assert.ok(rows[0]?.startsWith('| 0 |'));
  assert.ok(rows.at(-1)?.startsWith('| 499 |'));
  assert.match(md, /30 of 500 samples/);
});

test('formatDuration', () => {
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(4.24), '4.2 ms');
  assert.equal(formatDuration(12_340), '12.3 s');
  assert.equal(formatDuration(125_000), '2 min 05 s');
});
