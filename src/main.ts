// The action's entry, as the runner starts it (dist/index.js). Thin: the work is in app/action.ts.
import { errorMessage } from './core/errors.ts';
import { parseWithoutCompiling } from './core/one-shot.ts';
import { cancelledReason } from './core/reasons.ts';

/** Reports `message` as the step's failure and exits 1 (@actions/core is loaded only when needed). */
function fail(message: string): void {
  void import('@actions/core').then((core) => {
    core.setFailed(message);
    process.exit(1);
  });
}

// A cancelled run: the host finishes the handoff on its own; the post step marks the status.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => fail(cancelledReason(sig)));
}

parseWithoutCompiling();
import('./app/action.ts')
  .then(({ runAction }) => runAction())
  .then(
    (code) => process.exit(code),
    (e: unknown) => fail(`hermes-handoff: ${errorMessage(e)}`),
  );
