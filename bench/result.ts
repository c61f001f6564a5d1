// The bench's one JSON object: its schema, and the targets judged from it.
import { z } from 'zod';

const Spread = z.object({ p50: z.number(), p99: z.number(), max: z.number(), n: z.number().int() });
const P50p99 = z.object({ p50: z.number(), p99: z.number() });
const Restart = z.object({ p50: z.number(), p99: z.number(), n: z.number().int(), init_ms: z.number().int() });
const Target = z.object({ target: z.string(), value: z.number().nullable(), met: z.boolean() });
export type Target = z.infer<typeof Target>;

/** Everything one run measured; a figure that could not be measured is null and named in `errors`. */
export const BenchResult = z.object({
  dark_window_ms: Spread.nullable(),
  host_dark_window_ms: P50p99.nullable(),
  promotions: z
    .object({ n: z.number().int(), verdicts: z.record(z.string(), z.number().int()), init_ms: z.number(), bake_ms: z.number(), rate: z.number(), produced: z.number().int() })
    .nullable(),
  restart_gap_ms: Restart.nullable(),
  restart_gap_realistic_ms: Restart.nullable(),
  dark_window_vs_restart: z.number().nullable(),
  lost: z.number().int().nullable(),
  duplicated: z.number().int().nullable(),
  conflicts: z.number().int().nullable(),
  status_rtt_ms: Spread.nullable(),
  ssh_per_poll_ms: Spread.nullable(),
  status_vs_ssh: z.number().nullable(),
  ssh_connections_per_run: z.number().int().nullable(),
  ssh_run: z.object({ verdict: z.string(), exit_code: z.number().int().nullable(), authenticated: z.number().int(), wall_ms: z.number() }).nullable(),
  cold_start_ratio: z.number().nullable(),
  cold_start_ms: z.object({ action_p50: z.number(), node_p50: z.number(), n: z.number().int() }).nullable(),
  dist_bytes: z.number().int().nullable(),
  dist_files: z.record(z.string(), z.number().int()).nullable(),
  /** What a runner loads for the action: dist/index.js, dist/post.js and the chunks they import. */
  runner_bytes: z.number().int().nullable(),
  runner_files: z.record(z.string(), z.number().int()).nullable(),
  targets: z.array(Target),
  machine: z.object({ node: z.string(), cpus: z.number().int(), cpu_model: z.string(), platform: z.string(), date: z.string(), load_1m: z.object({ before: z.number(), after: z.number() }) }),
  duration_s: z.number(),
  /** Figures that could not be measured, and why (the bench then exits 1). */
  errors: z.array(z.string()),
  /** Promotions that did not end promoted (a finding, not a failure to measure). */
  promotion_failures: z.array(z.string()),
});
export type BenchResult = z.infer<typeof BenchResult>;

/** Judges every target on `r`; a target whose figure is missing is not met. */
export function judgeTargets(r: Omit<BenchResult, 'targets' | 'errors' | 'promotion_failures'>): Target[] {
  const t = (target: string, value: number | null, ok: (v: number) => boolean): Target => ({ target, value, met: value !== null && ok(value) });
  return [
    t('dark window p99 <= 20 ms', r.dark_window_ms?.p99 ?? null, (v) => v <= 20),
    t('dark window >= 100x below the restart gap (restart p50 / dark p99)', r.dark_window_vs_restart, (v) => v >= 100),
    t('STATUS round trip >= 100x below a fresh ssh per poll (ssh p50 / STATUS p50)', r.status_vs_ssh, (v) => v >= 100),
    t('exactly 1 SSH connection per run', r.ssh_connections_per_run, (v) => v === 1),
    t('cold start <= 2x node -e 0', r.cold_start_ratio, (v) => v <= 2),
    t('what a runner loads for the action < 1 MB', r.runner_bytes, (v) => v < 1_000_000),
    t('lost == 0', r.lost, (v) => v === 0),
    t('duplicated == 0', r.duplicated, (v) => v === 0),
  ];
}
