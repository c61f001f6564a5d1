// What the host knows about handoffs when the socket cannot tell: its verdict files. Shared by status and rollback.
import { noSuchHandoff } from '../core/reasons.ts';
import type { StateFrame } from '../peer/observer.ts';
import type { VerdictRecord } from '../protocol/frames.ts';
import type { Remote } from './remote/index.ts';

/** The newest verdict record on the host, or null when there is none. */
export async function lastVerdict(remote: Remote): Promise<VerdictRecord | null> {
  const [last] = await remote.recentVerdicts(1);
  return last ? remote.verdict(last.handoff_id) : null;
}

/**
 * Null when the host knows handoff `id` (blue holds it or remembers its verdict, or its verdict file exists);
 * else the answer for the operator at once: no such handoff, what is under way, and the last one with its verdict.
 */
export async function unknownHandoff(remote: Remote, id: string, state: StateFrame | null): Promise<string | null> {
  if (state?.handoff?.id === id || state?.last_verdict?.handoff_id === id) return null;
  if (await remote.verdict(id)) return null;
  const [last] = await remote.recentVerdicts(1);
  return noSuchHandoff(id, {
    last: last ? { id: last.handoff_id, verdict: last.verdict ?? 'verdict file unreadable' } : null,
    underWay: state?.handoff ? { id: state.handoff.id, phase: state.phase } : null,
  });
}
