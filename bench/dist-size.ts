// The size of what the runner loads: every dist/*.js file.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Total bytes of the `.js` files directly in `dir`, and each file's size; rejects when there is none. */
export function distBytes(dir: string): { total: number; files: Record<string, number> } {
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.js')) files[name] = statSync(join(dir, name)).size;
  }
  if (Object.keys(files).length === 0) throw new Error(`no .js files in ${dir}: build first (node scripts/build.mjs)`);
  return { total: Object.values(files).reduce((a, b) => a + b, 0), files };
}
