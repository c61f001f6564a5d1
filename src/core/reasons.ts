// Reasons and hints the action, the CLI, the engine and the reports word the same way.

/** The hint after a run that ended before the host decided: the host finishes on its own, a status run reports it. */
export const RERUN_STATUS = 'rerun with mode: status';

/** The reason when the host could not be reached at all. */
export function cannotConnect(target: string, why: string): string {
  return `cannot connect to ${target}: ${why}`;
}

/** The step's failure when the runner cancels the run (SIGINT/SIGTERM): the handoff goes on without it. */
export function cancelledReason(signal: string): string {
  return `cancelled (${signal}): the host finishes the handoff on its own; ${RERUN_STATUS} to report it`;
}

/** The commit status description the post step sets when the main step stopped before a verdict. */
export const CANCELLED_DESCRIPTION = `cancelled: the run stopped before a verdict (${RERUN_STATUS})`;
