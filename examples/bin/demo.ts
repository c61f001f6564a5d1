// dist/examples/demo.js: `hermes-handoff demo`, loaded by dist/cli.js only when asked for.
import { runDemoCli } from '../demo/cli.ts';

/** Runs `demo [flags]`; resolves with the exit code. */
export function run(argv: string[]): Promise<number> {
  return runDemoCli(argv);
}
