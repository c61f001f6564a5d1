// Parses mermaid charts with mermaid itself, in plain Node ESM with a jsdom window (mermaid sanitises
// titles and labels with DOMPurify, which needs one): reads a JSON array of chart texts on stdin, prints a
// JSON array of null (parsed) or the parser's error message, one per chart.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

mermaid.initialize({ startOnLoad: false });
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const chart of JSON.parse(input)) {
  try {
    await mermaid.parse(chart);
    out.push(null);
  } catch (e) {
    out.push(String(e?.message ?? e));
  }
}
process.stdout.write(JSON.stringify(out));
