// dist/examples/fake-platform.js: `hermes-handoff fake-platform`, loaded by dist/cli.js only when asked for.
import { runFakePlatformCli } from '../gateway/platform/cli.ts';
import { stopLikeSigterm } from './stop-signals.ts';

/** Runs the fake chat platform with `argv`; resolves with the exit code. */
export function run(argv: string[]): Promise<number> {
  stopLikeSigterm();
  return runFakePlatformCli(argv);
}
