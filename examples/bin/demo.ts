// dist/examples/demo.js: `hermes-handoff demo`, loaded by dist/cli.js only when asked for.
import { runDemoCli } from '../demo/cli.ts';
import { guarded } from '../../src/text/fatal.ts';

/** Runs `demo [flags]`; resolves with the exit code (anything thrown: one scrubbed line, exit 1). */
export function run(argv: string[]): Promise<number> {
  return guarded('hermes-handoff demo: ', (l) => void process.stderr.write(`${l}\n`), () => runDemoCli(argv));
}
