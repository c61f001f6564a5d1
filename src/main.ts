// The action's entry, as the runner starts it (dist/index.js).
import * as core from '@actions/core';
import { runAction } from './app/action.ts';

// A cancelled run: the host finishes the handoff on its own; the post step marks the status.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    core.setFailed(`cancelled (${sig}): the host finishes the handoff on its own; rerun with mode: status to report it`);
    process.exit(1);
  });
}

runAction().then(
  (code) => process.exit(code),
  (e: unknown) => {
    core.setFailed(`hermes-handoff: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
