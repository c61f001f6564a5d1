// The size of dist/: every .js file, and what a runner loads for the action (dist/index.js,
// dist/post.js and every chunk they import, statically or with import()).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Total bytes of the `.js` files under `dir` (recursively), and each file's size by relative path; rejects when there is none. */
export function distBytes(dir: string): { total: number; files: Record<string, number> } {
  const files: Record<string, number> = {};
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.js')) files[rel] = statSync(join(dir, rel)).size;
    }
  };
  walk('');
  if (Object.keys(files).length === 0) throw new Error(`no .js files in ${dir}: build first (node scripts/build.mjs)`);
  return { total: Object.values(files).reduce((a, b) => a + b, 0), files };
}

// esbuild's ESM output imports its own files by relative path: `from"./chunks/x.js"`, `import("./chunks/y.js")`.
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)["'](\.\.?\/[^"'\s]+\.js)["']/g;

/** The files under `dir` that `entries` load, following their relative imports (a string that names no file is not an import). */
export function loadedFiles(dir: string, entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (abs: string) => {
    if (seen.has(abs) || !existsSync(abs)) return;
    seen.add(abs);
    for (const m of readFileSync(abs, 'utf8').matchAll(RELATIVE_IMPORT)) visit(join(dirname(abs), m[1] as string));
  };
  for (const e of entries) visit(join(dir, e));
  return [...seen].map((f) => relative(dir, f)).sort();
}

/** What a runner loads for the action: dist/index.js, dist/post.js and their chunks, in bytes. */
export function runnerBytes(dir: string): { total: number; files: Record<string, number> } {
  const files = Object.fromEntries(loadedFiles(dir, ['index.js', 'post.js']).map((f) => [f, statSync(join(dir, f)).size]));
  if (!('index.js' in files)) throw new Error(`no index.js in ${dir}: build first (node scripts/build.mjs)`);
  return { total: Object.values(files).reduce((a, b) => a + b, 0), files };
}
