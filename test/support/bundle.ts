// The reference gateway as spawned tests run it: dist/cli.js built from the current sources by
// scripts/build.mjs (once per test process, shared with the runner tests), so spawned gateways start in
// a fraction of the time tsx needs per process on a small machine.
import { join } from 'node:path';
import { builtDist } from './action-runner.ts';

/** Resolves with the path of a bundled cli.js built from the current sources (built on the first call, reused after). */
export function cliBundle(): Promise<string> {
  return Promise.resolve(join(builtDist(), 'cli.js'));
}
