// Writes docs/reliability.md from a run of the fault matrix (test/faults/matrix.test.ts and matrix-discord.test.ts).
// With no arguments it runs the matrix (a few minutes: real sshd, gateways and platform) and rewrites
// the doc from the rows it measured; it refuses to write a doc with a failed cell.
// `--from FILE` renders an existing results file (JSON lines; FILE-discord.jsonl beside it too) instead of running the matrix.
// `--out FILE` writes elsewhere (tests use it on temp copies).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MATRIX = [join('test', 'faults', 'matrix.test.ts'), join('test', 'faults', 'matrix-discord.test.ts')];

function option(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name}: expected a file path after it`);
  return v;
}

/** Runs the matrix with its rows going to `out`; returns the test runner's exit status. */
function runMatrix(out) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...MATRIX], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, HERMES_RELIABILITY_OUT: out, HERMES_RELIABILITY_REGEN: '1' },
  });
  return r.status ?? 1;
}

async function main(args) {
  const doc = await tsImport('../test/faults/reliability-doc.ts', import.meta.url);
  const target = option(args, '--out') ?? doc.DOC_PATH;
  const from = option(args, '--from');
  let rows;
  let status = 0;
  /** The rows of both tables from the results files of `out`. */
  const readBoth = (out) => doc.TABLES.flatMap((t) => {
    const path = doc.resultsPath({ HERMES_RELIABILITY_OUT: out }, t);
    return existsSync(path) ? doc.readResults(path) : [];
  });
  if (from) {
    rows = readBoth(from);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'hh-reliability-'));
    try {
      const out = join(dir, 'reliability.jsonl');
      status = runMatrix(out);
      rows = readBoth(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const failed = rows.filter((r) => !r.pass);
  if (rows.length === 0) {
    process.stderr.write('gen-reliability: the matrix produced no rows (is sshd installed?); docs/reliability.md not written\n');
    return 1;
  }
  if (failed.length > 0 || status !== 0) {
    for (const r of failed) process.stderr.write(`gen-reliability: FAILED ${r.fault} (${r.phase}): ${r.error ?? 'see the test output'}\n`);
    process.stderr.write(`gen-reliability: ${failed.length} of ${rows.length} cells failed (test exit ${status}); ${relative(root, target)} not written\n`);
    return 1;
  }
  const when = new Date().toISOString().slice(0, 10);
  writeFileSync(target, doc.renderDoc(rows, { node: process.versions.node, when }));
  process.stdout.write(`gen-reliability: wrote ${relative(root, target) || target} (${rows.length} cells, all passed)\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`gen-reliability: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
