// Bundles the action and the CLI into self-contained ESM files in dist/.
// ssh2's optional native add-ons are left out: the pure-JS paths are used, so
// dist/ runs with no node_modules on any Linux runner, on Node 20 and 24.
import { build } from 'esbuild';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const outdir = process.argv[2] ?? 'dist';
rmSync(outdir, { recursive: true, force: true });

// CommonJS dependencies (ssh2, ...) expect require, __filename and __dirname.
const banner = [
  "import { createRequire as __hhCreateRequire } from 'node:module';",
  "import { fileURLToPath as __hhFileURLToPath } from 'node:url';",
  "import { dirname as __hhDirname } from 'node:path';",
  'const require = __hhCreateRequire(import.meta.url);',
  'const __filename = __hhFileURLToPath(import.meta.url);',
  'const __dirname = __hhDirname(__filename);',
].join('\n');

await build({
  entryPoints: { index: 'src/main.ts', cli: 'src/cli.ts', post: 'src/post.ts' },
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
  // The optional native modules: ssh2 falls back to pure JS when these fail to load.
  external: ['cpu-features', '*.node'],
  legalComments: 'none',
  logLevel: 'warning',
  minifySyntax: true,
});

// dist/ is ESM on its own, wherever it is copied to.
writeFileSync(`${outdir}/package.json`, JSON.stringify({ type: 'module' }) + '\n');
chmodSync(`${outdir}/cli.js`, 0o755);
