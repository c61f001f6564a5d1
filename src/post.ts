// The action's post step (dist/post.js): finishes a commit status the main step left pending.
import * as core from '@actions/core';
import { cancelPendingStatus } from './forge/cancel-pending.ts';
import { errorMessage } from './core/errors.ts';

try {
  await cancelPendingStatus({ getState: core.getState, token: core.getInput('github-token'), log: { info: core.info, warn: core.warning } });
} catch (e) {
  // A post step must never fail the job over reporting.
  core.warning(`hermes-handoff post step: ${errorMessage(e)}`);
}
