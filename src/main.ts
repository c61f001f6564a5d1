// The action's entry, as the runner starts it (dist/index.js). Thin: the work is in app/action.ts.
import { runAction } from './app/action.ts';

/** Reports `message` as the step's failure and exits 1 (@actions/core is loaded only when needed). */
function fail(message: string): void {
  void import('@actions/core').then((core) => {
    core.setFailed(message);
    process.exit(1);
  });
}

// A cancelled run: the host finishes the handoff on its own; the post step marks the status.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => fail(`cancelled (${sig}): the host finishes the handoff on its own; rerun with mode: status to report it`));
}

runAction().then(
  (code) => process.exit(code),
  (e: unknown) => fail(`hermes-handoff: ${e instanceof Error ? e.message : String(e)}`),
);
