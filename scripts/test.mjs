// Runs the test files under test/ with node's test runner and tsx (Node 20's --test takes no globs,
// so the files are listed here).
// Most files wait on timers, sockets and child processes more than they compute, so they run
// side by side; the files whose assertions are timing bounds under load (the fault matrices, the
// observation window's processes, random kills) run afterwards, one at a time, on a quiet machine.
//   node scripts/test.mjs [SUBSTRING...]   the files whose path contains one of the substrings (all without)
//   node scripts/test.mjs --quick          only the in-process tests (no sshd, no child processes): seconds
// HERMES_TEST_CONCURRENCY sets how many files run at once in the first part (default: the cores; one more
// loaded the timing bounds of the side-by-side files past what a 2-core runner keeps).
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Files run one at a time, after the others: their gap and latency bounds assume a quiet machine. */
const SERIAL = ['test/faults/matrix.test.ts', 'test/faults/matrix-discord.test.ts', 'test/faults/matrix-agent.test.ts', 'test/faults/window.test.ts', 'test/handoff/random-kills.test.ts', 'test/interop/matrix.test.ts'];
/** Folders whose tests run in-process (fake clock, fake host, in-memory peers): the inner loop. */
const QUICK = ['test/protocol/', 'test/text/', 'test/config/', 'test/engine/', 'test/peer/', 'test/report/', 'test/release/', 'test/run/'];
/** Files in those folders that start a browser or processes after all. */
const NOT_QUICK = ['test/report/html.test.ts'];

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function run(files, concurrency) {
  if (files.length === 0) return 0;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
  return r.status ?? 1;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.filter((a) => a !== '--quick');
const files = find('test')
  .sort()
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .filter((f) => !quick || (QUICK.some((d) => f.startsWith(d)) && !NOT_QUICK.includes(f)));
const n = Number(process.env.HERMES_TEST_CONCURRENCY) || availableParallelism();
const first = run(files.filter((f) => !SERIAL.includes(f)), n);
const second = run(files.filter((f) => SERIAL.includes(f)), 1);
process.exit(first || second);
