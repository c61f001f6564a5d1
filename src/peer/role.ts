import type { VerdictRecord } from '../protocol/frames.ts';
import type { PeerOs } from './os.ts';

/** What a gateway process is at start (protocol.md section 8.3, the restart rule). */
export type StartupRole =
  | { role: 'blue' }
  | { role: 'green'; handoffId: string }
  /** Restarted after its handoff promoted it: serves as blue, binding with the live-listener check. */
  | { role: 'restarted'; handoffId: string; verdict: VerdictRecord }
  /** Started for a handoff that ended otherwise: exit 0 at once, writing nothing. */
  | { role: 'exit'; reason: string };

/**
 * The restart rule: a process started with HERMES_HANDOFF_ID reads that handoff's verdict file first.
 * None: it is the handoff's green. `promoted`: a restart after the promotion, it serves as blue.
 * Anything else: the handoff is over and this process has nothing to do.
 */
export function startupRole(os: PeerOs, home: string, handoffId: string | null): StartupRole {
  if (handoffId === null) return { role: 'blue' };
  const state = os.files.verdictState(home, handoffId);
  if (state === null) return { role: 'green', handoffId };
  const verdict = state === 'promoted' ? os.files.readVerdict(home, handoffId) : null;
  if (verdict) return { role: 'restarted', handoffId, verdict };
  return { role: 'exit', reason: `handoff ${handoffId} already ended ${state}; nothing to do` };
}

/**
 * Whether handoff `handoffId` is still promoted: a restarted green that has bound the socket asks once
 * more before its first poll, so a take-back the standby decided meanwhile wins (protocol.md section 8.3).
 */
export function stillPromoted(os: PeerOs, home: string, handoffId: string): boolean {
  return os.files.verdictState(home, handoffId) === 'promoted';
}
