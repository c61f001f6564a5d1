// Every report artefact of every verdict, on GitHub and on Gitea, rendered to HTML as the forges render
// markdown (marked, GitHub-flavoured) and checked the way a reader would meet it; every mermaid block is
// parsed by mermaid itself (issue 14 items 10, 11, 13, 16 and its Tests section).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ActionVerdict, VERDICTS } from '../../src/core/verdict.ts';
import { DESCRIPTION_MAX } from '../../src/report/status-line.ts';
import { artefactsOf, page, showcase, toHtml } from './artefacts.ts';

const PARSER = fileURLToPath(new URL('./mermaid-parse.mjs', import.meta.url));

/** Each chart parsed by mermaid (in a plain Node process): null when it parses, else mermaid's error. */
function parseCharts(charts: string[]): Array<string | null> {
  const r = spawnSync(process.execPath, [PARSER], { input: JSON.stringify(charts), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`mermaid-parse.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<string | null>;
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The HTML with every code span and code block removed: what a forge would still link, mention or mark up. */
const outsideCode = (html: string) => html.replace(/<pre>[\s\S]*?<\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '');

/** The mermaid charts in rendered `html`. */
const chartsIn = (html: string) => [...html.matchAll(/<code class="language-mermaid">([\s\S]*?)<\/code>/g)].map((m) => decode(m[1] ?? ''));

let parsed: Promise<Map<string, string | null>> | null = null;
/** Every chart of every verdict's artefacts on both forges, parsed by mermaid once, in one process (mermaid takes seconds to start). */
function parsedCharts(): Promise<Map<string, string | null>> {
  parsed ??= (async () => {
    const all = new Set<string>();
    for (const gitea of [false, true]) {
      for (const verdict of ActionVerdict.options) {
        for (const a of await artefactsOf(showcase(verdict), gitea)) if (a.name !== 'status') for (const c of chartsIn(toHtml(a.text))) all.add(c);
      }
    }
    const list = [...all];
    const results = parseCharts(list);
    return new Map(list.map((c, i) => [c, results[i] ?? null]));
  })();
  return parsed;
}

for (const gitea of [false, true]) {
  for (const verdict of ActionVerdict.options) {
    test(`${verdict} on ${gitea ? 'Gitea' : 'GitHub'}: every artefact reads right as HTML`, async () => {
      const artefacts = await artefactsOf(showcase(verdict), gitea);
      const names = artefacts.map((a) => a.name);
      assert.ok(names.includes('summary') && names.includes('status') && names.includes('pr-comment'), names.join(', '));
      if (VERDICTS[verdict].failureIssue === 'open-or-comment') assert.ok(names.includes('failure-issue') && names.includes('failure-comment'), `${verdict}: ${names.join(', ')}`);
      for (const a of artefacts) {
        const where = `${verdict}/${a.name}`;
        if (a.name === 'status') {
          const description = a.text.split(': ').slice(2).join(': ');
          assert.ok(description.length <= DESCRIPTION_MAX, `${where}: ${description.length} characters`);
          assert.ok(description.startsWith(VERDICTS[verdict].word), `${where}: ${description}`);
          assert.ok(!/^(\w[\w ]*): \1:/i.test(description), `${where}: a double prefix: ${description}`);
          continue;
        }
        const html = toHtml(a.text);
        // Headings: the action's words only, an H3 first and H4 sections under it.
        const headings = [...html.matchAll(/<h(\d)[^>]*>([\s\S]*?)<\/h\1>/g)].map((m) => ({ level: Number(m[1]), text: decode(m[2]!.replace(/<[^>]+>/g, '')) }));
        assert.ok(headings.length > 0, where);
        assert.equal(headings[0]?.level, 3, `${where}: first heading`);
        assert.ok(headings.slice(1).every((h) => h.level === 4), `${where}: ${headings.map((h) => h.level).join(',')}`);
        assert.match(headings[0]!.text, new RegExp(`^\\S+ ${VERDICTS[verdict].word.replace(/^./, (c) => c.toUpperCase())}( again)? on prod$`), `${where}: ${headings[0]!.text}`);
        for (const h of headings) assert.ok(!/evil|octocat|#12|heading|green said/.test(h.text), `${where}: host text in a heading: ${h.text}`);
        // Outside code: no autolink, no mention, no issue reference, no host markup.
        const bare = outsideCode(html);
        const text = bare.replace(/&#?\w+;/g, ' ');
        for (const bad of ['evil.example', '@octocat', '@ops', '#12', '#3']) assert.ok(!text.includes(bad), `${where}: ${bad} outside code`);
        for (const bad of ['<b>bold', '<strong>no']) assert.ok(!bare.includes(bad), `${where}: ${bad} as markup`);
        for (const m of bare.matchAll(/<a [^>]*href="([^"]*)"/g)) assert.match(m[1] ?? '', /\/acme\/gateway\/actions(\/runs\/\d+)?$/, `${where}: a link that is not the run: ${m[1]}`);
        // Tables: every header cell says what its column is.
        for (const th of html.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)) assert.notEqual((th[1] ?? '').trim(), '', `${where}: an empty header cell`);
        // The host's own output only where only run readers see it.
        assert.equal(a.text.includes('error burst'), a.name === 'summary', `${where}: green's log`);
        // Mermaid parses every chart.
        const charts = chartsIn(html);
        const verdicts = await parsedCharts();
        assert.deepEqual(
          charts.map((c) => verdicts.get(c)),
          charts.map(() => null),
          `${where}: mermaid rejected a chart`,
        );
        assert.match(page(where, a), /^<!doctype html>/);
      }
    });
  }
}

test('the checks catch what they look for (so a pass means something)', () => {
  const html = toHtml('### ✅ Promoted: see https://evil.example @octocat\n\n| | |\n| --- | --- |\n| a | b |\n');
  assert.ok(outsideCode(html).includes('evil.example'), 'a bare URL is autolinked outside code');
  assert.match(html, /<th><\/th>/);
  assert.ok(!outsideCode(toHtml('`https://evil.example @octocat #12`')).includes('evil'));
  const [bad] = parseCharts(['gantt\n  dateFormat HH:mm\n  bad line without colon (((']);
  assert.match(bad ?? '', /Parse error/);
});
