import type { Outcome } from '../core/outcome.ts';

/** The step outputs of an outcome, by output name (see action.yml). `report` is added by the caller. */
export function outputsOf(o: Outcome): Record<string, string> {
  const n = (v: number | null) => (v === null ? '' : String(Math.round(v)));
  return {
    verdict: o.verdict,
    reason: o.reason,
    'handoff-id': o.handoff_id ?? '',
    release: o.release,
    'blue-pid': n(o.blue_pid),
    'green-pid': n(o.green_pid),
    'dark-window-ms': n(o.dark_window_ms),
    'duration-ms': String(o.duration_ms),
    timeline: JSON.stringify(o.timeline),
    checks: JSON.stringify(o.checks),
  };
}
