// The engine as the run loads it: with import(), once connecting has started, so building the
// protocol's schemas does not delay the first packet to the host (a separate chunk in dist/).
export { runMode } from '../handoff/run.ts';
export { OutcomeBuilder } from '../handoff/result.ts';
