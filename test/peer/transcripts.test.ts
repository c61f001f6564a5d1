// docs/protocol.md's worked transcripts (section 19) and verdict file example (section 16) are what
// the Node peers produce: captured in-process (transcripts.ts). HERMES_TRANSCRIPTS_WRITE=1 rewrites them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureTranscripts } from './transcripts.ts';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'protocol.md');

/** The first fenced block after the heading that ends with `title`: where its body starts and ends in `doc`. */
function blockAfter(doc: string, title: string): { start: number; end: number } {
  const h = doc.search(new RegExp(`^#{2,3} ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.ok(h >= 0, `docs/protocol.md has a heading "${title}"`);
  const open = doc.indexOf('\n```', h);
  const start = doc.indexOf('\n', open + 1) + 1;
  const end = doc.indexOf('\n```', start);
  assert.ok(open > 0 && end > start, `a fenced block after "${title}"`);
  return { start, end };
}

test('the worked transcripts and the verdict file example in docs/protocol.md are what the Node peers send (fake clock, in-process)', async () => {
  const captured = await captureTranscripts();
  let doc = readFileSync(DOC, 'utf8');
  if (process.env.HERMES_TRANSCRIPTS_WRITE === '1') {
    for (const [title, body] of Object.entries(captured)) {
      const b = blockAfter(doc, title);
      doc = doc.slice(0, b.start) + body + doc.slice(b.end);
    }
    writeFileSync(DOC, doc);
  }
  for (const [title, body] of Object.entries(captured)) {
    const b = blockAfter(doc, title);
    assert.equal(doc.slice(b.start, b.end), body, `section "${title}" is stale: HERMES_TRANSCRIPTS_WRITE=1 node scripts/test.mjs peer/transcripts`);
  }
});
