import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { GREEN_FAULTS } from '../gateway/faults.ts';
import { describeGaps, runDemo, type DemoResult } from './demo.ts';
import { DemoResources } from './processes.ts';
import { errorMessage } from '../../src/core/errors.ts';
import { ActionVerdict, exitCodeFor } from '../../src/core/verdict.ts';

const USAGE = `Usage: hermes-handoff demo [flags]

A full promotion of the reference gateway on this machine: a fake chat platform under load, the
reference gateway as blue in a temporary HERMES_HOME, then a promote to a new release through the
local transport. Needs Node 20 or later on Linux, nothing else. Ctrl-C stops everything it started.

  --fault F         a fault in green: ${GREEN_FAULTS.join(', ')} (default none)
  --expect VERDICT  the verdict the run should end with; exit 0 only then (default: exit like the
                    action: 0 for promoted, 1 for rolled-back, failed or timed-out)
  --json            stdout gets only the result as one JSON object (progress goes to stderr); it is
                    also written to --json-file
  --json-file PATH  where the JSON result is written too (default .tmp/demo.json with --json)
  --init-ms N       green's start-up time (default 1500)
  --bake-ms N       the bake (default 3000)
  --rate R          messages per second (default 50)
  --keep            keep the temp HERMES_HOME (its path is printed)

Exit status: 0 as above, 1 a verdict not expected (or a message lost or answered twice), 2 bad flags,
130 interrupted (Ctrl-C), 143 terminated, 141 the output was closed.
`;

const SHORT_USAGE = 'usage: demo [--fault F] [--expect VERDICT] [--json] [--json-file PATH] [--init-ms N] [--bake-ms N] [--rate R] [--keep] (hermes-handoff demo --help)';

/** Where --json writes the result when --json-file is not given (relative to the current directory). */
export const DEFAULT_JSON_FILE = '.tmp/demo.json';

/** Exit codes for an interrupted demo: 128 + the signal number, as a shell reports them. */
const STOP_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, EPIPE: 141 } as const;
type StopCause = keyof typeof STOP_CODES;

/**
 * Stops the demo's processes and removes its temp dir on SIGINT, SIGTERM, SIGHUP or a closed stdout or
 * stderr (`| head`), then exits with 128 + the signal. A second signal kills what is left at once.
 * Returns the function that removes the handlers.
 */
function stopOnInterrupt(res: DemoResources, say: (line: string) => void): { release(): void; interrupted(): boolean } {
  let cause: StopCause | null = null;
  const stop = (c: StopCause) => {
    if (cause !== null) {
      if (c !== 'EPIPE') {
        res.kill();
        process.exit(STOP_CODES[cause]);
      }
      return;
    }
    cause = c;
    if (c !== 'EPIPE') say(`demo: ${c}: stopping the gateways and removing the temp HERMES_HOME`);
    void res.stop().finally(() => process.exit(STOP_CODES[c]));
  };
  const onSignal = (s: NodeJS.Signals) => stop(s as StopCause);
  // After a pipe closes, every later write fails too: those errors are expected, not crashes.
  const onError = (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' ? stop('EPIPE') : stop('SIGTERM'));
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
  return {
    release: () => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    },
    interrupted: () => cause !== null,
  };
}

/**
 * `hermes-handoff demo`: prints the run as it goes, then the verdict and the platform's accounting
 * (or, with --json, only the JSON result on stdout). Exit 0 when the verdict is the expected one (by
 * default the action's exit code for it) and no message was lost or answered twice.
 */
export async function runDemoCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        fault: { type: 'string', default: 'none' },
        expect: { type: 'string' },
        json: { type: 'boolean', default: false },
        'json-file': { type: 'string' },
        'init-ms': { type: 'string', default: '1500' },
        'bake-ms': { type: 'string', default: '3000' },
        rate: { type: 'string', default: '50' },
        'blue-fault': { type: 'string', default: 'none' },
        keep: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`demo: ${errorMessage(e)}\n${SHORT_USAGE}\n`);
    return 2;
  }
  const num = (name: string, s: string, min: number) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(s)}`);
    return n;
  };
  let initMs: number, bakeMs: number, rate: number;
  let expect: ActionVerdict | null = null;
  try {
    if (!(GREEN_FAULTS as readonly string[]).includes(v.fault!)) throw new Error(`--fault: expected one of ${GREEN_FAULTS.join(', ')}, got ${JSON.stringify(v.fault)}`);
    if (v.expect !== undefined) {
      const e = ActionVerdict.safeParse(v.expect);
      if (!e.success) throw new Error(`--expect: expected a verdict (${ActionVerdict.options.join(', ')}), got ${JSON.stringify(v.expect)}`);
      expect = e.data;
    }
    initMs = num('init-ms', v['init-ms']!, 0);
    bakeMs = num('bake-ms', v['bake-ms']!, 0);
    rate = num('rate', v.rate!, 0);
  } catch (e) {
    process.stderr.write(`demo: ${errorMessage(e)}\n${SHORT_USAGE}\n`);
    return 2;
  }
  const out = (line: string) => void (v.json ? process.stderr : process.stdout).write(line + '\n');
  const res = new DemoResources();
  res.keep = v.keep;
  const interrupt = stopOnInterrupt(res, (line) => void process.stderr.write(line + '\n'));

  out(`hermes-handoff demo: promote the reference gateway (legacy -> claw), fault ${v.fault}, init ${initMs} ms, bake ${bakeMs} ms`);
  let result: DemoResult;
  try {
    ({ result } = await runDemo({ fault: v.fault!, initMs, bakeMs, rate, out, blueFault: v['blue-fault'], resources: res }));
  } catch (e) {
    // Interrupted: the handler exits once everything is stopped; nothing more is said here.
    if (interrupt.interrupted()) await new Promise(() => {});
    process.stderr.write(`demo: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    if (!interrupt.interrupted()) interrupt.release();
    if (v.keep && res.dir) out(`kept ${res.dir}`);
  }
  if (interrupt.interrupted()) await new Promise(() => {});
  const clean = result.lost === 0 && result.duplicated === 0 && result.served_by !== 'both' && result.served_by !== 'none';
  const wanted = expect === null ? exitCodeFor({ verdict: result.verdict as ActionVerdict, mode: 'promote' }, true) === 0 : result.verdict === expect;
  if (!v.json) {
    out(`verdict: ${result.verdict}: ${result.reason}`);
    out(`served by ${result.served_by}; ${describeGaps(result)}; lost ${result.lost}, duplicated ${result.duplicated}, conflicts ${result.conflicts}`);
  }
  if (!wanted) {
    process.stderr.write(
      expect === null
        ? `demo: the run ended ${result.verdict}, which fails the action too (--expect ${result.verdict} if that is what you wanted)\n`
        : `demo: expected ${expect}, the run ended ${result.verdict}\n`,
    );
  }
  if (!clean) process.stderr.write(`demo: the platform counted ${result.lost} lost and ${result.duplicated} duplicated messages; served by ${result.served_by}\n`);
  const json = JSON.stringify(result);
  if (v.json) process.stdout.write(json + '\n');
  const file = v['json-file'] ?? (v.json ? DEFAULT_JSON_FILE : null);
  if (file !== null) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, json + '\n');
      process.stderr.write(`demo: the JSON result is also in ${file}\n`);
    } catch (e) {
      process.stderr.write(`demo: could not write ${file}: ${errorMessage(e)}\n`);
    }
  }
  return wanted && clean ? 0 : 1;
}
