// Reasons and hints the action, the CLI, the engine and the reports word the same way, each in the
// vocabulary of the interface in use: the action names inputs and modes (`bake-seconds`, `mode: status`),
// the CLI its flags and commands (`--bake-seconds`, `hermes-handoff status`).
import type { Mode } from './mode.ts';

/** How an interface names its inputs and modes in what it tells people. */
export interface Words {
  /** Which interface these are the words of. */
  readonly kind: 'action' | 'cli';
  /** An input as a message names it: `bake-seconds` (action), `--bake-seconds` (CLI; a secret's file flag, `--passphrase-file`). */
  input(name: string): string;
  /** An input given a value, as a user would write it: `timeout-seconds: 1090`, `--timeout-seconds 1090`. */
  set(name: string, value: string): string;
  /** The label of one bad input in a list of problems: `input "bake-seconds"`, `--bake-seconds`. */
  label(name: string): string;
  /** The plural noun for bad inputs: `inputs`, `flags`. */
  readonly inputs: string;
  /** Running mode `mode`: `mode: status`, `hermes-handoff status`. */
  mode(mode: Mode): string;
  /** What to do to learn how a handoff ended: `rerun with mode: status`, `run hermes-handoff status (same flags)`. */
  rerun(mode: Mode): string;
  /** The run's own deadline, in its own words: `the action's deadline`, `the deadline (--timeout-seconds)`. */
  readonly deadline: string;
}

/** The action's words: inputs by name, modes as `mode: X`. */
export const ACTION_WORDS: Words = {
  kind: 'action',
  input: (name) => name,
  set: (name, value) => `${name}: ${value}`,
  label: (name) => `input "${name}"`,
  inputs: 'inputs',
  mode: (mode) => `mode: ${mode}`,
  rerun: (mode) => `rerun with mode: ${mode}`,
  deadline: "the action's deadline",
};

/** The hint after a run that ended before the host decided, in the action's words (the commit status, the post step). */
export const RERUN_STATUS = ACTION_WORDS.rerun('status');

/** The reason when the host could not be reached at all. */
export function cannotConnect(target: string, why: string): string {
  return `cannot connect to ${target}: ${why}`;
}

/** The step's failure when the run is cancelled (SIGINT/SIGTERM): the handoff goes on without it. */
export function cancelledReason(signal: string, words: Words = ACTION_WORDS): string {
  return `cancelled (${signal}): the host finishes the handoff on its own; ${words.rerun('status')} to report it`;
}

/** The reason when the run's own deadline passed (while the host was in `phase`, when known; `detail` says what was under way): the host decides without it. */
export function deadlinePassed(words: Words, timeoutMs: number, phase: string | null, detail = ''): string {
  const where = phase === null ? '' : ` while the host was in phase ${phase}`;
  return `${words.deadline} of ${Math.round(timeoutMs / 1000)} s passed${where}${detail === '' ? '' : `: ${detail}`}; ${words.rerun('status')}`;
}

/** The reason when a followed handoff had not ended by the run's deadline. */
export function stillInPhase(words: Words, id: string, phase: string): string {
  return `handoff ${id} is still in phase ${phase}; ${words.rerun('status')}`;
}

/** The reason blue records for a rollback asked for by `words`' interface. */
export function rollbackRequested(words: Words): string {
  return `rollback requested by ${words.kind === 'action' ? `hermes-handoff (${words.mode('rollback')})` : words.mode('rollback')}`;
}

/** The commit status description the post step sets when the main step stopped before a verdict. */
export const CANCELLED_DESCRIPTION = `cancelled: the run stopped before a verdict (${RERUN_STATUS})`;
