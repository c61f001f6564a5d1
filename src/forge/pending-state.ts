// What the main step leaves for the post step, so a cancelled run does not leave a status at pending.
// Only the status itself is saved: where the API is and which repository comes from the runner's
// environment when the post step runs, never from saved state.
import * as core from '@actions/core';
import { z } from 'zod';

/** A pending commit status the main step set (no token and no API URL: the post step takes those from its own input and environment). */
export const PendingStatus = z.object({
  sha: z.string().regex(/^[0-9a-f]{7,64}$/i),
  context: z.string().min(1).max(255),
  targetUrl: z.string().nullable(),
});
export type PendingStatus = z.infer<typeof PendingStatus>;

export const STATE_PENDING = 'status-pending';
export const STATE_FINISHED = 'status-finished';

/** Records (core.saveState) that `p` is pending; call after Reporter.begin returned it. */
export function savePendingState(p: PendingStatus): void {
  core.saveState(STATE_PENDING, JSON.stringify(PendingStatus.parse(p)));
}

/** Records that the main step set the final status; call after Reporter.finish. */
export function markFinished(): void {
  core.saveState(STATE_FINISHED, 'true');
}

/** The pending status the main step left unfinished, or null (none, finished, or unreadable state). */
export function readUnfinishedPending(getState: (name: string) => string = core.getState): PendingStatus | null {
  if (getState(STATE_FINISHED) === 'true') return null;
  const raw = getState(STATE_PENDING);
  if (!raw) return null;
  try {
    const r = PendingStatus.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
