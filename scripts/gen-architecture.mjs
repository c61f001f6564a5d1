// Writes the import rules (scripts/layers.mjs) and a graph of the real imports between the parts
// into docs/architecture.md, between its generated markers. The graph comes from dependency-cruiser's
// reading of the code, so it shows what the code does, and the rules what it may do.
//   node scripts/gen-architecture.mjs [--check] [--out FILE]
// `--check` writes nothing and exits 1 when the file is out of date.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import { CRUISE_OPTIONS, LAYERS, layerOf } from './layers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The markdown table of the rules: each part, what it is, what it may import. */
export function rulesTable(layers = LAYERS) {
  const code = (p) => `\`${p}\``;
  const rows = layers.map((l) => `| ${code(l.path)} | ${l.is} | ${l.may.length ? l.may.map(code).join(', ') : 'nothing of ours'} |`);
  return ['| part | what it is | may import (besides its own files and npm packages) |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Every import between two parts, as [from, to] layer paths, sorted. */
export async function layerEdges(baseDir = root) {
  const r = await cruise(['src', 'examples'], { ...CRUISE_OPTIONS, baseDir });
  const edges = new Set();
  for (const m of r.output.modules) {
    const from = layerOf(m.source);
    if (!from) continue;
    for (const d of m.dependencies) {
      const to = layerOf(d.resolved);
      if (to && to !== from) edges.add(`${from.path}\t${to.path}`);
    }
  }
  return [...edges].sort().map((e) => e.split('\t'));
}

/** A mermaid flowchart of `edges`, nodes in the order of LAYERS. */
export function mermaidGraph(edges, layers = LAYERS) {
  const id = (p) => p.replace(/[^A-Za-z0-9]/g, '_');
  const used = new Set(edges.flat());
  const nodes = layers.filter((l) => used.has(l.path)).map((l) => `  ${id(l.path)}["${l.path}"]`);
  return ['```mermaid', 'flowchart BT', ...nodes, ...edges.map(([a, b]) => `  ${id(a)} --> ${id(b)}`), '```'].join('\n');
}

/** Replaces the text between `<!-- generated:NAME:start -->` and its end marker. */
function splice(text, name, body, file) {
  const start = `<!-- generated:${name}:start -->`;
  const end = `<!-- generated:${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${start} ... ${end} section`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

/** docs/architecture.md with its generated sections brought up to date. */
export async function render(text, file = 'docs/architecture.md') {
  const withRules = splice(text, 'rules', rulesTable(), file);
  return splice(withRules, 'graph', mermaidGraph(await layerEdges()), file);
}

async function main(args) {
  const at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : join(root, 'docs', 'architecture.md');
  if (!out) throw new Error('--out: expected a file path after it');
  const shown = relative(process.cwd(), out) || out;
  const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const text = await render(current, shown);
  if (args.includes('--check')) {
    if (text === current) return 0;
    console.error(`${shown} is out of date with the code's imports or scripts/layers.mjs: run node scripts/gen-architecture.mjs`);
    return 1;
  }
  writeFileSync(out, text);
  console.log(`wrote ${shown}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 2;
    },
  );
}
