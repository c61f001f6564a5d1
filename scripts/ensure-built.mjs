// Builds dist/ when it is missing (or predates the examples' own bundle), so `npm run demo` works from a fresh clone.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
if (!existsSync('dist/cli.js') || !existsSync('dist/examples/demo.js')) {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
