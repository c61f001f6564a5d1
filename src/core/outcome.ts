import { z } from 'zod';
import { HealthSample, TimelineEntry } from '../protocol/frames.ts';
import { Mode } from './mode.ts';
import { ActionVerdict } from './verdict.ts';

/** One preflight check and what it found. */
export const Check = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export type Check = z.infer<typeof Check>;

/** What became of the observation window after a promotion: the standby's record in the verdict file. */
export const Observation = z.object({
  /** `observing`: the standby still watches green; the others: how the window ended. */
  state: z.enum(['observing', 'passed', 'reverted', 'superseded', 'standby-lost']),
  /** When the window ends or ended as planned (host clock, ms); null when not known. */
  until: z.number().int().nullable(),
  /** When it ended (host clock, ms); null while observing. */
  ended_at: z.number().int().nullable(),
  /** The standby's reason when it took back (`reverted`) or stood down (`superseded`, `standby-lost`). */
  reason: z.string().nullable().optional(),
});
export type Observation = z.infer<typeof Observation>;

/** What a run of the engine decided: the one value every report (outputs, summary, forge) is made from. */
export const Outcome = z.object({
  mode: Mode,
  verdict: ActionVerdict,
  reason: z.string(),
  target_name: z.string(),
  handoff_id: z.string().nullable(),
  release: z.string(),
  runtime: z.string(),
  blue_pid: z.number().int().nullable(),
  green_pid: z.number().int().nullable(),
  dark_window_ms: z.number().nullable(),
  bake_ms: z.number().int().nullable(),
  started_at: z.number().int(),
  duration_ms: z.number().int().nonnegative(),
  timeline: z.array(TimelineEntry),
  health: z.array(HealthSample),
  checks: z.array(Check),
  /** The last lines of green's log, secrets already removed; null when not read. */
  green_log_tail: z.string().nullable(),
  /** The observation window after a promotion, when the host reports one. */
  observation: Observation.nullable().optional(),
});
export type Outcome = z.infer<typeof Outcome>;
