// Bundles the action, the CLI and the examples into ESM files in dist/.
// ssh2's optional native add-ons are left out: the pure-JS paths are used, so
// dist/ runs with no node_modules on any Linux runner, on Node 20 and 24.
//   node scripts/build.mjs [OUTDIR] [--metafile FILE]   (OUTDIR default dist; the metafile is esbuild's, for tests)
import { build } from 'esbuild';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product's entries: what a runner loads (index, post) and the `hermes-handoff` bin (cli). */
export const PRODUCT_ENTRIES = { index: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' };

/**
 * Not the product: the demo, the reference gateway and the fake platform. dist/cli.js loads these with
 * a computed import() only when one of their commands is run, so none of their code is in its bundle.
 */
export const EXAMPLE_ENTRIES = {
  'examples/demo': 'examples/bin/demo.ts',
  'examples/example-gateway': 'examples/bin/example-gateway.ts',
  'examples/fake-platform': 'examples/bin/fake-platform.ts',
};

// CommonJS dependencies (ssh2, ...) expect require, __filename and __dirname.
const banner = [
  "import { createRequire as __hhCreateRequire } from 'node:module';",
  "import { fileURLToPath as __hhFileURLToPath } from 'node:url';",
  "import { dirname as __hhDirname } from 'node:path';",
  'const require = __hhCreateRequire(import.meta.url);',
  'const __filename = __hhFileURLToPath(import.meta.url);',
  'const __dirname = __hhDirname(__filename);',
].join('\n');

/**
 * Modules of dependencies that nothing in hermes-handoff ever runs, replaced by small stand-ins so
 * they stay out of what a runner loads. Each is matched by the importing package and the import path,
 * so an update that moves them only makes the bundle bigger (test/structure/bundle.test.ts then fails).
 */
export const LEFT_OUT = [
  {
    why: "@actions/core's OIDC client (getIDToken, never called): it brings @actions/http-client and undici, about 700 KB",
    importer: /[\\/]@actions[\\/]core[\\/]lib[\\/]core\.js$/,
    path: './oidc-utils.js',
    contents: "export class OidcClient { static getIDToken() { return Promise.reject(new Error('hermes-handoff does not bundle the OIDC client')); } }",
  },
  {
    why: "@actions/core's `platform` (runner OS details through @actions/exec, never read)",
    importer: /[\\/]@actions[\\/]core[\\/]lib[\\/]core\.js$/,
    path: './platform.js',
    contents: 'export {};',
  },
  {
    why: "ssh2's SSH server (`Server`, never run: hermes-handoff is only a client)",
    importer: /[\\/]ssh2[\\/]lib[\\/]index\.js$/,
    path: './server.js',
    contents: "module.exports = class Server { constructor() { throw new Error('hermes-handoff does not bundle the ssh2 server'); } };",
  },
  {
    why: "ssh2's HTTP(S) agents over SSH (never used): they load node's http, https and tls at start",
    importer: /[\\/]ssh2[\\/]lib[\\/]index\.js$/,
    path: './http-agents.js',
    contents: 'module.exports = {};',
  },
  {
    why: "ssh2's key generation (`utils.generateKeyPair`, never called: keys come from the operator)",
    importer: /[\\/]ssh2[\\/]lib[\\/]index\.js$/,
    path: './keygen.js',
    contents: 'module.exports = {};',
  },
  {
    why: "zod's error messages in 60 languages (`z.locales`, never read): English, zod's default, stays",
    importer: /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/,
    path: '../locales/index.js',
    contents: "export { default as en } from './en.js';",
  },
];

/** The esbuild plugin that puts the LEFT_OUT stand-ins in place of the modules they replace. */
const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const i = LEFT_OUT.findIndex((x) => x.path === args.path && x.importer.test(args.importer));
      // A path without this machine's directories, so the build is the same wherever it runs.
      const target = `${args.resolveDir}/${args.path}`;
      return i < 0 ? undefined : { path: `${i}:${args.path}`, namespace: 'left-out', pluginData: { i, dir: dirname(target) } };
    });
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({ contents: LEFT_OUT[args.pluginData.i].contents, loader: 'js', resolveDir: args.pluginData.dir }));
  },
};

/** Builds every entry into `outdir` (emptied first); resolves with esbuild's metafile. */
export async function buildDist(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { ...PRODUCT_ENTRIES, ...EXAMPLE_ENTRIES },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.js' },
    // The action loads its forge and report code with import() once it has started connecting.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: banner },
    // The optional native modules: ssh2 falls back to pure JS when these fail to load. (Only ssh2's
    // add-on by its path: a bare `*.node` would also catch grammY's require('./platform.node'), a .js file.)
    external: ['cpu-features', '*/build/Release/sshcrypto.node'],
    plugins: [leaveOut],
    legalComments: 'none',
    // Module paths as seen, not through symlinks: a checkout whose node_modules is a symlink (a git
    // worktree) builds byte for byte what a fresh clone builds, so check-dist agrees on both.
    preserveSymlinks: true,
    logLevel: 'warning',
    // Minified: what a runner loads stays well under 1 MB (about 0.7 MB) and parses faster. Names are
    // not kept: esbuild's keepNames wraps every function in a call, which costs more start-up than it saves.
    minify: true,
    metafile: true,
  });
  // dist/ is ESM on its own, wherever it is copied to.
  writeFileSync(`${outdir}/package.json`, JSON.stringify({ type: 'module' }) + '\n');
  chmodSync(`${outdir}/cli.js`, 0o755);
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--metafile');
  const metaPath = at >= 0 ? args.splice(at, 2)[1] : null;
  const meta = await buildDist(args[0] ?? 'dist');
  if (metaPath) writeFileSync(metaPath, JSON.stringify(meta));
}
