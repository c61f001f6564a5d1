// Fails when dist/ is not what the sources build to: the runner runs dist/, not src/.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tmp = mkdtempSync(join(tmpdir(), 'hermes-dist-'));
try {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', tmp], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const list = (dir, sub = '') =>
    readdirSync(join(dir, sub)).flatMap((f) => (statSync(join(dir, sub, f)).isDirectory() ? list(dir, join(sub, f)) : [join(sub, f)]));
  const want = list(tmp).sort();
  let have = [];
  try {
    have = list('dist').sort();
  } catch {
    /* missing */
  }
  const stale = [];
  for (const f of new Set([...want, ...have])) {
    let a = null;
    let b = null;
    try { a = readFileSync(join(tmp, f)); } catch { /* not built */ }
    try { b = readFileSync(join('dist', f)); } catch { /* not committed */ }
    if (!a || !b || !a.equals(b)) stale.push(f);
  }
  if (stale.length > 0) {
    console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run build\` and commit dist/.`);
    process.exit(1);
  }
  console.log(`dist/ is up to date (${want.length} files).`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
