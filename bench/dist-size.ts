// The size of what the runner may load: every .js file under dist/, the split chunks included.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
