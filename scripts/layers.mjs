// The import rules of the code base, as data: each part, what it is, and what it may import.
// `.dependency-cruiser.mjs` turns them into lint rules (`npm run lint` fails on a wrong arrow) and
// scripts/gen-architecture.mjs writes them, with a graph of the real imports, into docs/architecture.md.

/**
 * @typedef {object} Layer
 * @property {string} path  a folder (its files and sub-folders that are not layers themselves), or one file
 * @property {string} is    what it is, one line
 * @property {string[]} may what it may import besides its own files and npm packages: layers, or single files of one
 */

/** @type {Layer[]} Listed from the leaves up; a module belongs to the longest path that contains it. */
export const LAYERS = [
  { path: 'src/protocol', is: 'the wire format and the pure state machine; no I/O', may: [] },
  { path: 'src/core', is: 'the shared vocabulary: Outcome, Mode, the verdict table, engine parameters, reasons, the host file layout, errorMessage', may: ['src/protocol'] },
  { path: 'src/text', is: 'text that leaves the run: scrubbing secrets and host addresses, host text made inert, redaction, the last-resort fatal line', may: [] },
  { path: 'src/peer', is: 'the blue and green roles and the observer client', may: ['src/protocol', 'src/core'] },
  { path: 'src/host', is: 'the Host port (host.ts), shell quoting for implementations that need a shell line (quote.ts), the host agent\'s operations and detection (agent.ts)', may: ['src/core'] },
  { path: 'src/host/local', is: 'the Host on this machine: argv without a shell', may: ['src/core', 'src/host/host.ts'] },
  { path: 'src/host/ssh', is: 'the Host over one pinned SSH connection', may: ['src/core', 'src/host/host.ts', 'src/host/quote.ts', 'src/host/agent.ts'] },
  { path: 'src/handoff', is: 'the engine: promote, preflight, status, rollback -> Outcome', may: ['src/core', 'src/protocol', 'src/peer', 'src/host/host.ts', 'src/host/agent.ts'] },
  { path: 'src/config', is: 'every input validated into one Settings', may: ['src/core', 'src/protocol', 'src/text', 'src/host/ssh/options.ts'] },
  { path: 'src/report', is: 'renders an Outcome as markdown', may: ['src/core', 'src/protocol', 'src/text'] },
  { path: 'src/forge', is: 'posts to GitHub or Gitea: statuses, comments, issues', may: ['src/core', 'src/report', 'src/text'] },
  { path: 'src/run', is: 'the one run pipeline: settings -> session -> outcome -> outputs -> reports', may: ['src/core', 'src/config', 'src/handoff', 'src/host', 'src/host/local', 'src/host/ssh', 'src/protocol', 'src/text'] },
  { path: 'src/app', is: "the action's side of a run: INPUT_*, @actions/core, the forge, the job summary", may: ['src/core', 'src/config', 'src/run', 'src/forge', 'src/report', 'src/text'] },
  { path: 'src/cli', is: "the CLI's side of a run: flags, stderr and stdout", may: ['src/core', 'src/config', 'src/run', 'src/report', 'src/text'] },
  { path: 'src/conformance', is: 'the scripted peer that drives any blue or green through the edge cases (hermes-handoff conformance)', may: ['src/core', 'src/protocol', 'src/peer', 'src/text'] },
  { path: 'src/main.ts', is: 'entry: the action (dist/index.js)', may: ['src/core', 'src/app', 'src/text'] },
  { path: 'src/post.ts', is: "entry: the action's post step (dist/post.js)", may: ['src/core', 'src/forge', 'src/text'] },
  { path: 'src/cli.ts', is: 'entry: hermes-handoff (dist/cli.js); loads the examples at run time, never imports them', may: ['src/core', 'src/cli', 'src/text', 'src/conformance'] },
  { path: 'examples', is: 'not the product: the demo, the reference gateway, the fake platforms (dist/examples/)', may: ['src/core', 'src/protocol', 'src/peer', 'src/handoff', 'src/host', 'src/host/local', 'src/text'] },
];

/** How dependency-cruiser reads the code: the lint, the tests and the graph use these same options. */
export const CRUISE_OPTIONS = {
  // `import type` arrows count: a type import is a dependency too.
  tsPreCompilationDeps: true,
  tsConfig: { fileName: 'tsconfig.json' },
  doNotFollow: { path: 'node_modules' },
  exclude: { path: '^(dist|node_modules|\\.tmp)/' },
  // Packages resolve as Node resolves them for ESM (some publish only `exports`).
  enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
};

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isFile = (p) => /\.[a-z]+$/.test(p);

/** The regex of the modules that belong to `layer` (its folder without the folders of more specific layers). */
export function layerPattern(layer, layers = LAYERS) {
  if (isFile(layer.path)) return `^${esc(layer.path)}$`;
  const inner = layers.filter((l) => l !== layer && l.path.startsWith(`${layer.path}/`)).map((l) => (isFile(l.path) ? `${esc(l.path.slice(layer.path.length + 1))}$` : `${esc(l.path.slice(layer.path.length + 1))}/`));
  return inner.length === 0 ? `^${esc(layer.path)}/` : `^${esc(layer.path)}/(?!${inner.join('|')})`;
}

/** The layer a module (a path relative to the repository) belongs to, or null for files outside every layer. */
export function layerOf(path, layers = LAYERS) {
  return layers.find((l) => new RegExp(layerPattern(l, layers)).test(path)) ?? null;
}

/** The dependency-cruiser rules that hold the table: one per layer, plus no cycles and nothing unresolved. */
export function forbiddenRules(layers = LAYERS) {
  const byPath = new Map(layers.map((l) => [l.path, l]));
  const rules = layers.map((layer) => {
    const allowed = [layer.path, ...layer.may].map((p) => {
      const target = byPath.get(p);
      if (target) return layerPattern(target, layers);
      if (isFile(p)) return `^${esc(p)}$`;
      throw new Error(`scripts/layers.mjs: ${layer.path} may import ${p}, which is neither a layer nor a file`);
    });
    return {
      name: `${layer.path.replace(/[/.]/g, '-')}-imports`,
      comment: `${layer.path} may import only: ${layer.may.length ? layer.may.join(', ') : 'nothing of ours'} (docs/architecture.md)`,
      severity: 'error',
      from: { path: layerPattern(layer, layers) },
      to: { path: '^(src|examples)/', pathNot: allowed },
    };
  });
  return [
    ...rules,
    { name: 'no-cycles', comment: 'arrows point one way: no import cycle in src/', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    { name: 'resolvable', comment: 'every import resolves to a file', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ];
}
