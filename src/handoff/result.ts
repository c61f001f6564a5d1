import type { HealthSample, TimelineEntry, VerdictRecord } from '../protocol/frames.ts';
import type { Mode } from '../core/mode.ts';
import type { Check, Observation, Outcome } from '../core/outcome.ts';
import { observationOf } from './observation.ts';
import type { ActionVerdict } from '../core/verdict.ts';
import type { EngineParams } from '../core/params.ts';

/** Collects what a run learns, then makes the Outcome. */
export class OutcomeBuilder {
  handoffId: string | null = null;
  bluePid: number | null = null;
  greenPid: number | null = null;
  darkWindowMs: number | null = null;
  bakeMs: number | null = null;
  release: string;
  readonly timeline: TimelineEntry[] = [];
  readonly health: HealthSample[] = [];
  readonly checks: Check[] = [];
  greenLogTail: string | null = null;
  /** The pid the launcher started; green's own pid comes only from the verdict record (its HELLO). */
  launcherPid: number | null = null;
  /** prepare-command's output when it failed (host text: job summary and log only, by default). */
  prepareOutput: string | null = null;
  /** What held the host when RESERVE was refused as busy. */
  busyWith: string | null = null;
  /** The promotion's observation window, from the verdict record. */
  observation: Observation | null = null;

  /** Starts collecting for a run of `p.mode` that began at `startedAt`. */
  constructor(
    private readonly p: EngineParams,
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {
    this.release = p.release;
  }

  /** Takes everything a verdict record says. */
  absorb(r: VerdictRecord): void {
    this.handoffId = r.handoff_id;
    this.bluePid = r.blue_pid;
    this.greenPid = r.green_pid ?? this.greenPid;
    this.darkWindowMs = r.dark_window_ms;
    this.release = r.release;
    if (r.timeline.length > this.timeline.length) this.timeline.splice(0, this.timeline.length, ...r.timeline);
    if (r.health.length > this.health.length) this.health.splice(0, this.health.length, ...r.health);
    this.observation = observationOf(r, this.now());
  }

  /** The final Outcome with this verdict and reason. */
  done(verdict: ActionVerdict, reason: string, mode: Mode = this.p.mode): Outcome {
    return {
      mode,
      verdict,
      reason,
      target_name: this.p.targetName,
      handoff_id: this.handoffId,
      release: this.release,
      runtime: this.p.runtime,
      blue_pid: this.bluePid,
      green_pid: this.greenPid,
      dark_window_ms: this.darkWindowMs,
      bake_ms: this.bakeMs,
      started_at: this.startedAt,
      duration_ms: Math.max(0, this.now() - this.startedAt),
      timeline: this.timeline,
      health: this.health,
      checks: this.checks,
      green_log_tail: this.greenLogTail,
      prepare_output: this.prepareOutput,
      launcher_pid: this.launcherPid,
      busy_with: this.busyWith,
      ...(this.observation ? { observation: this.observation } : {}),
    };
  }
}
