// The action's post step (dist/post.js): finishes a commit status the main step left pending.
import * as core from '@actions/core';
import { cancelPendingStatus } from './forge/cancel-pending.ts';
import { errorMessage } from './core/errors.ts';
import { installFatalHandlers, registerFatalScrub } from './text/fatal.ts';
import { oneLine } from './text/host-text.ts';
import { createScrubber } from './text/scrub.ts';

const PREFIX = 'hermes-handoff post step: ';
const token = core.getInput('github-token');
const scrub = createScrubber([token]);
registerFatalScrub(scrub);
// A post step must never fail the job over reporting: whatever escapes is one scrubbed warning, exit 0.
installFatalHandlers(PREFIX, (line) => core.warning(line), 0);

try {
  await cancelPendingStatus({ getState: core.getState, token, log: { info: (m) => core.info(oneLine(m)), warn: (m) => core.warning(oneLine(m)) } });
} catch (e) {
  core.warning(oneLine(scrub(`${PREFIX}${errorMessage(e)}`)));
}
