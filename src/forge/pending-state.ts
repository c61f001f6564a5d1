// What the main step leaves for the post step, so a cancelled run does not leave a status at pending.
import * as core from '@actions/core';
import { z } from 'zod';
import { FlavorName } from './flavor.ts';

/** A pending commit status the main step set (no token: the post step reads that from its input). */
export const PendingStatus = z.object({
  flavor: FlavorName,
  apiUrl: z.url(),
  owner: z.string().min(1),
  repo: z.string().min(1),
  sha: z.string().min(1),
  context: z.string().min(1),
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
