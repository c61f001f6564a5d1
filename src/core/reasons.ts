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

/** Where docs/handoff.md says how to start the gateway when nothing listens on its socket. */
export const START_GATEWAY_DOC = 'docs/handoff.md#when-blue-is-not-running';

/** The reason when a socket file is there but nothing accepts connections on it: the gateway is gone. */
export function staleSocket(socket: string): string {
  return `nothing accepts connections on ${socket}: blue is not running (stale socket). Start the gateway (${START_GATEWAY_DOC})`;
}

/** The reason when there is no socket at all where the gateway should listen (`words` name the input that sets it). */
export function missingSocket(socket: string, words: Words = ACTION_WORDS): string {
  return `nothing listens on ${socket}: there is no socket there, so blue is not running (or ${words.input('socket-path')} points elsewhere). Start the gateway (${START_GATEWAY_DOC})`;
}

/** The reason when a status or rollback names a handoff the host does not know: what the host knows instead. */
export function noSuchHandoff(
  id: string,
  known: { last: { id: string; verdict: string } | null; underWay: { id: string; phase: string } | null },
): string {
  const under = known.underWay ? `; handoff ${known.underWay.id} is under way (phase ${known.underWay.phase})` : '';
  const last = known.last ? `; the last one was ${known.last.id} (${known.last.verdict})` : '; no handoff has a verdict there yet';
  return `no handoff ${id} on this host${under}${last}`;
}

/** The reason when a key the host agent marks read-only is used for a mode that changes something. */
export function readOnlyKey(mode: Mode, words: Words = ACTION_WORDS): string {
  return `this SSH key is the host agent's read-only key, for preflight and status only: ${words.mode(mode)} needs the deploy key (docs/host-setup.md#the-deploy-keys-and-the-host-agent)`;
}

/** The reason when the run's deadline passed while another handoff held the host: this run judged no release. */
export function busyTimedOut(timeoutMs: number, holder: string, words: Words = ACTION_WORDS): string {
  return `${words.deadline} of ${Math.round(timeoutMs / 1000)} s passed while ${holder} held the host; this run judged no release: rerun it once that handoff has ended`;
}

/** The reason when a busy host was freed too late: what is left of the run's deadline cannot hold the bake. */
export function busyNoTimeLeft(timeoutMs: number, holder: string, bakeMs: number, words: Words = ACTION_WORDS): string {
  return `${holder} held the host until less of ${words.deadline} of ${Math.round(timeoutMs / 1000)} s was left than a bake of ${Math.round(bakeMs / 1000)} s needs; this run judged no release: rerun it`;
}
