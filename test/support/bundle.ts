// Builds src/cli.ts once per test process into a temp dir, so spawned gateways start in a
// fraction of the time tsx needs per process on a small machine. Removed when the process exits.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The same banner as scripts/build.mjs: bundled CommonJS dependencies expect require, __filename and __dirname.
const BANNER = [
  "import { createRequire as __hhCreateRequire } from 'node:module';",
  "import { fileURLToPath as __hhFileURLToPath } from 'node:url';",
  "import { dirname as __hhDirname } from 'node:path';",
  'const require = __hhCreateRequire(import.meta.url);',
  'const __filename = __hhFileURLToPath(import.meta.url);',
  'const __dirname = __hhDirname(__filename);',
].join('\n');

let built: Promise<string> | null = null;

/** Resolves with the path of a bundled cli.js (built on the first call, reused after); the temp dir goes at process exit. */
export function cliBundle(): Promise<string> {
  built ??= buildOnce();
  return built;
}

async function buildOnce(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hermes-bundle-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'cli.js');
  await build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: BANNER },
    external: ['cpu-features', '*.node'],
    logLevel: 'warning',
  });
  // ESM on its own, so node does not have to guess from the syntax.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return outfile;
}
