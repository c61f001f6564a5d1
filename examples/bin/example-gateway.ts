// dist/examples/example-gateway.js: `hermes-handoff example-gateway`, loaded by dist/cli.js only when asked for.
import { runExampleGateway } from '../gateway/gateway.ts';
import { guarded } from '../../src/text/fatal.ts';

/** Runs the reference gateway with `argv`; resolves with the exit code (anything thrown: one line, exit 1). */
export function run(argv: string[]): Promise<number> {
  return guarded('example-gateway: ', (l) => void process.stderr.write(`${l}\n`), () => runExampleGateway(argv));
}
