// The action's entry, as the runner starts it (dist/index.js). Thin: the work is in app/action.ts.
import { parseWithoutCompiling } from './core/one-shot.ts';
import { cancelledReason } from './core/reasons.ts';
import { errorCommand, fatalLine, installFatalHandlers } from './text/fatal.ts';

const PREFIX = 'hermes-handoff: ';
/** A fatal line as the step's error: written at once (stdout to a pipe is synchronous), no @actions/core needed. */
const writeError = (line: string) => void process.stdout.write(errorCommand(line));

// Nothing escapes as a stack trace or an unhandled rejection: one scrubbed line, exit 1.
installFatalHandlers(PREFIX, writeError);

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
    (e: unknown) => {
      writeError(fatalLine(PREFIX, e));
      process.exit(1);
    },
  );
