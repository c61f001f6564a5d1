import type { Words } from '../core/reasons.ts';
import { flagOf } from './args.ts';

/** The CLI's words: inputs by their flag (`--bake-seconds`, a secret's file flag), modes as commands (`hermes-handoff status`). */
export const CLI_WORDS: Words = {
  kind: 'cli',
  input: flagOf,
  set: (name, value) => (name === 'mode' ? `hermes-handoff ${value}` : `${flagOf(name)} ${value}`),
  label: flagOf,
  inputs: 'flags',
  mode: (mode) => `hermes-handoff ${mode}`,
  rerun: (mode) => `run hermes-handoff ${mode} with the same flags`,
  deadline: 'the deadline (--timeout-seconds)',
};
