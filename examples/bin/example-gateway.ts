// dist/examples/example-gateway.js: `hermes-handoff example-gateway`, loaded by dist/cli.js only when asked for.
import { runExampleGateway } from '../gateway/gateway.ts';
import { USAGE } from '../gateway/config.ts';
import { guarded } from '../../src/text/fatal.ts';
import { stopLikeSigterm } from './stop-signals.ts';

const HELP = `Usage: hermes-handoff ${USAGE}

The reference gateway (not the product): blue when started plainly, green when HERMES_HANDOFF_ID is
set (as hermes-handoff promote starts it). It serves the platforms given by --platform (or --config) and listens on
$HERMES_HOME/run/handoff.sock. docs/gateway.md describes its flags, environment and faults.
SIGINT, SIGTERM or SIGHUP stop it cleanly; a second one ends it at once.
`;

/** Runs the reference gateway with `argv`; resolves with the exit code (anything thrown: one line, exit 1). */
export function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return Promise.resolve(0);
  }
  stopLikeSigterm();
  return guarded('example-gateway: ', (l) => void process.stderr.write(`${l}\n`), () => runExampleGateway(argv));
}
