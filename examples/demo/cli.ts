import { parseArgs } from 'node:util';
import { GREEN_FAULTS } from '../gateway/faults.ts';
import { runDemo } from './demo.ts';
import { errorMessage } from '../../src/core/errors.ts';

const USAGE = 'demo [--fault F] [--json] [--init-ms N] [--bake-ms N] [--rate R] [--keep]';

/** `hermes-handoff demo`: prints the timeline, then one JSON line; exit 0 when nothing was lost or answered twice and a verdict was reached. */
export async function runDemoCli(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        fault: { type: 'string', default: 'none' },
        json: { type: 'boolean', default: false },
        'init-ms': { type: 'string', default: '1500' },
        'bake-ms': { type: 'string', default: '3000' },
        rate: { type: 'string', default: '50' },
        'blue-fault': { type: 'string', default: 'none' },
        keep: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`demo: ${errorMessage(e)}\nusage: ${USAGE}\n`);
    return 2;
  }
  const num = (name: string, s: string, min: number) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(s)}`);
    return n;
  };
  let initMs: number, bakeMs: number, rate: number;
  try {
    if (!(GREEN_FAULTS as readonly string[]).includes(v.fault!)) throw new Error(`--fault: expected one of ${GREEN_FAULTS.join(', ')}, got ${JSON.stringify(v.fault)}`);
    initMs = num('init-ms', v['init-ms']!, 0);
    bakeMs = num('bake-ms', v['bake-ms']!, 0);
    rate = num('rate', v.rate!, 0);
  } catch (e) {
    process.stderr.write(`demo: ${errorMessage(e)}\nusage: ${USAGE}\n`);
    return 2;
  }
  const out = (line: string) => (v.json ? process.stderr : process.stdout).write(line + '\n');
  out(`hermes-handoff demo: promote the reference gateway (legacy -> claw), fault ${v.fault}, init ${initMs} ms, bake ${bakeMs} ms`);
  const { result } = await runDemo({ fault: v.fault!, initMs, bakeMs, rate, out, keep: v.keep, blueFault: v['blue-fault'] });
  if (!v.json) {
    out(`verdict: ${result.verdict}: ${result.reason}`);
    out(`served by ${result.served_by}; dark window ${result.dark_window_ms} ms (init ${result.init_ms} ms); lost ${result.lost}, duplicated ${result.duplicated}, conflicts ${result.conflicts}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  const decided = result.verdict !== 'timed-out';
  return decided && result.lost === 0 && result.duplicated === 0 && result.served_by !== 'both' && result.served_by !== 'none' ? 0 : 1;
}
