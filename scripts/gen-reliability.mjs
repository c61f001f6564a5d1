// Writes docs/reliability.md from measured runs: the fault matrix (test/faults/matrix.test.ts and
// matrix-discord.test.ts, one table each) and the
// hostile-host tests (test/faults/hostile-host.test.ts, the "Hostile host" section at the end).
// With no arguments it runs both (a few minutes: real sshd, gateways and platform) and rewrites the
// doc from the rows they measured; it refuses to write a doc with a failed row.
// `--only matrix` or `--only hostile` reruns one of them and keeps the other's part of the doc as it is.
// `--from FILE` renders an existing matrix results file (JSON lines; FILE-discord.jsonl beside it too)
// instead of running the matrix;
// `--hostile-from FILE` the same for the hostile-host rows.
// `--out FILE` writes elsewhere (tests use it on temp copies).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MATRIX = [join('test', 'faults', 'matrix.test.ts'), join('test', 'faults', 'matrix-discord.test.ts')];
const HOSTILE = [join('test', 'faults', 'hostile-host.test.ts')];

function option(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name}: expected a value after it`);
  return v;
}

/** Runs test `files` with their rows going to `out` (through `envName`); returns the test runner's exit status. */
function runTests(files, envName, out) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, [envName]: out, HERMES_RELIABILITY_REGEN: '1' },
  });
  return r.status ?? 1;
}

/** Rows from `from`, or from a fresh run of `files`; with the run's exit status. */
function measure(from, files, envName, read) {
  if (from) return { rows: read(from), status: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'hh-reliability-'));
  try {
    const out = join(dir, 'rows.jsonl');
    const status = runTests(files, envName, out);
    return { rows: read(out), status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True (after saying why) when `rows` may not be written. */
function refuse(what, rows, status, label) {
  if (rows.length === 0) {
    process.stderr.write(`gen-reliability: ${what} produced no rows (is sshd installed?); docs/reliability.md not written\n`);
    return true;
  }
  const failed = rows.filter((r) => !r.pass);
  if (failed.length > 0 || status !== 0) {
    for (const r of failed) process.stderr.write(`gen-reliability: FAILED ${label(r)}: ${r.error ?? 'see the test output'}\n`);
    process.stderr.write(`gen-reliability: ${failed.length} of ${rows.length} rows of ${what} failed (test exit ${status}); docs/reliability.md not written\n`);
    return true;
  }
  return false;
}

async function main(args) {
  const doc = await tsImport('../test/faults/reliability-doc.ts', import.meta.url);
  const hostile = await tsImport('../test/faults/hostile-doc.ts', import.meta.url);
  const target = option(args, '--out') ?? doc.DOC_PATH;
  const only = option(args, '--only');
  if (only !== null && only !== 'matrix' && only !== 'hostile') throw new Error(`--only: expected matrix or hostile, got ${only}`);
  const meta = { node: process.versions.node, when: new Date().toISOString().slice(0, 10) };
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';

  let text = current;
  if (only !== 'hostile') {
    // Each matrix file writes its own results file beside `out` (the Discord one: out-discord.jsonl).
    const readBoth = (out) =>
      doc.TABLES.flatMap((t) => {
        const path = doc.resultsPath({ HERMES_RELIABILITY_OUT: out }, t);
        return existsSync(path) ? doc.readResults(path) : [];
      });
    const m = measure(option(args, '--from'), MATRIX, 'HERMES_RELIABILITY_OUT', readBoth);
    if (refuse('the fault matrix', m.rows, m.status, (r) => `${r.fault} (${r.phase})`)) return 1;
    // The matrix part is the whole doc up to the hostile section, which is kept as it was.
    text = `${doc.renderDoc(m.rows, meta)}\n${hostile.hostileSectionOf(current)}`;
  }
  if (only !== 'matrix') {
    const h = measure(option(args, '--hostile-from'), HOSTILE, 'HERMES_HOSTILE_OUT', (p) => (existsSync(p) ? hostile.readHostileResults(p) : []));
    if (refuse('the hostile-host tests', h.rows, h.status, (r) => r.attack)) return 1;
    text = hostile.withHostileSection(text, hostile.renderHostileSection(h.rows, meta));
  }
  writeFileSync(target, text.replace(/\n+$/, '\n'));
  process.stdout.write(`gen-reliability: wrote ${relative(root, target) || target}\n`);
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
