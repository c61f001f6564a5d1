// npm run gallery: screenshots of every report artefact of a few verdicts, as GitHub and Gitea readers see
// them, rendered by headless Chromium (Debian's `chromium`: apt-get install -y chromium) into docs/gallery/.
// Not part of npm test. Mermaid draws the charts in the page itself, so a chart that does not render shows.
/* global document */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { artefactsOf, page, showcase } from '../test/report/artefacts.ts';

const OUT = 'docs/gallery';
const VERDICTS = ['promoted', 'rolled-back', 'reverted', 'failed', 'timed-out', 'not-ready'];
const mermaidJs = readFileSync('node_modules/mermaid/dist/mermaid.min.js', 'utf8');

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const index = ['# Report gallery', '', 'Made by `npm run gallery` (headless Chromium, the GitHub-like stylesheet of the rendering tests, mermaid drawing the charts).', ''];
try {
  const tab = await browser.newPage({ viewport: { width: 960, height: 600 } });
  for (const verdict of VERDICTS) {
    index.push(`## ${verdict}`, '');
    for (const a of await artefactsOf(showcase(verdict), false)) {
      if (!['pr-comment', 'failure-issue', 'summary', 'status'].includes(a.name)) continue;
      await tab.setContent(page(`${verdict}: ${a.name}`, a, mermaidJs), { waitUntil: 'load' });
      await tab.waitForFunction(() => document.body.dataset.done !== undefined || !document.querySelector('pre.mermaid'), null, { timeout: 20_000 });
      const done = await tab.evaluate(() => document.body.dataset.done ?? 'no charts');
      if (done.startsWith('error')) throw new Error(`${verdict}/${a.name}: mermaid could not draw a chart: ${done}`);
      const file = `${verdict}-${a.name}.png`;
      await tab.screenshot({ path: join(OUT, file), fullPage: true });
      index.push(`- ${a.name}: [${file}](${file})`);
      console.log(`wrote ${join(OUT, file)}`);
    }
    index.push('');
  }
} finally {
  await browser.close();
}
writeFileSync(join(OUT, 'README.md'), `${index.join('\n')}\n`);
