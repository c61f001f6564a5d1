// dist/examples/fake-platform.js: `hermes-handoff fake-platform`, loaded by dist/cli.js only when asked for.
import { runFakePlatformCli } from '../gateway/platform/cli.ts';
import { guarded } from '../../src/text/fatal.ts';
import { stopLikeSigterm } from './stop-signals.ts';

/** Runs the fake chat platform with `argv`; resolves with the exit code (anything thrown: one line, exit 1). */
export function run(argv: string[]): Promise<number> {
  stopLikeSigterm();
  return guarded('fake-platform: ', (l) => void process.stderr.write(`${l}\n`), () => runFakePlatformCli(argv));
}
