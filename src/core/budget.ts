// How long a promotion may take at most, from the deadlines it runs under and the engine's own waits:
// the action's deadline (timeout-seconds) must cover it, or a healthy but slow promotion times out.
import { DEFAULT_DEADLINES, type Deadlines, type Thresholds } from '../protocol/deadlines.ts';

/** How long the engine waits for blue's answer to STATUS, and again to RESERVE. */
export const ANSWER_MS = 10_000;
/** How long the engine, after a promoted verdict, waits to see the socket answer from green. */
export const CONFIRM_TAKEOVER_MS = 15_000;

/** The drain deadline the engine asks for: the protocol's default, but never longer than the rollback grace, which must cover green's own drain (protocol.md section 10). */
export function drainFor(rollbackGraceMs: number | undefined): number {
  return Math.min(DEFAULT_DEADLINES.drain_ms, rollbackGraceMs ?? DEFAULT_DEADLINES.rollback_grace_ms);
}

/** One part of a promotion's longest run: what it is, the input that sets it (if any), and how long. */
export interface BudgetPart {
  what: string;
  input: string | null;
  ms: number;
}

/**
 * The parts of the longest promotion the deadlines allow once green has connected: green's start-up
 * to ready, the drain, green's confirm, the bake, the wait for the heartbeat that ends it, the takeover,
 * and the engine's own waits around them. prepare-command and green's launch come on top (unbounded here).
 */
export function promotionBudget(bakeMs: number, deadlines: Pick<Deadlines, 'ack_ms' | 'drain_ms' | 'confirm_ms' | 'takeover_ms'>, thresholds: Pick<Thresholds, 'max_heartbeat_age_ms'>): BudgetPart[] {
  return [
    { what: 'the bake', input: 'bake-seconds', ms: bakeMs },
    { what: "green's start-up to ready", input: 'ack-timeout-seconds', ms: deadlines.ack_ms },
    { what: 'the drain', input: null, ms: deadlines.drain_ms },
    { what: "green's confirm", input: null, ms: deadlines.confirm_ms },
    { what: 'the last heartbeat', input: 'max-heartbeat-age-seconds', ms: thresholds.max_heartbeat_age_ms },
    { what: 'the takeover', input: null, ms: deadlines.takeover_ms },
    { what: "blue's answers to STATUS and RESERVE", input: null, ms: 2 * ANSWER_MS },
    { what: 'seeing green answer on the socket', input: null, ms: CONFIRM_TAKEOVER_MS },
  ];
}

/** The total of `parts`, in milliseconds. */
export function budgetMs(parts: readonly BudgetPart[]): number {
  return parts.reduce((n, p) => n + p.ms, 0);
}
