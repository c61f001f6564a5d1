// dist/examples/example-gateway.js: `hermes-handoff example-gateway`, loaded by dist/cli.js only when asked for.
import { runExampleGateway } from '../gateway/gateway.ts';
import { stopLikeSigterm } from './stop-signals.ts';

/** Runs the reference gateway with `argv`; resolves with the exit code. */
export function run(argv: string[]): Promise<number> {
  stopLikeSigterm();
  return runExampleGateway(argv);
}
