// The bench's one JSON object: its schema, and the targets judged from it.
import { z } from 'zod';
import { HANDOVER_ORDERS } from '../examples/gateway/agent.ts';

const Spread = z.object({ p50: z.number(), p99: z.number(), max: z.number(), n: z.number().int() });
const P50p99 = z.object({ p50: z.number(), p99: z.number() });
const Restart = z.object({ p50: z.number(), p99: z.number(), n: z.number().int(), init_ms: z.number().int() });
const Target = z.object({ target: z.string(), value: z.number().nullable(), met: z.boolean() });
export type Target = z.infer<typeof Target>;
const Count = z.number().int().nullable();

/** One platform's accounting over a set of promotions: lost, answered twice, unplanned conflicts, planned takeovers. */
const Accounting = z.object({ lost: Count, duplicated: Count, conflicts: Count, takeovers: Count });

/** One platform's headline figures (from the promotions in the chosen handover order, and the restarts). */
const PlatformResult = Accounting.extend({
  /** The platform's switch_gap_ms per promotion: Telegram, no poll in flight; Discord, no live connection (blue's close to green's RESUMED). */
  dark_window_ms: Spread.nullable(),
  /** The platform's max_gap_ms over a stop-then-start restart. */
  restart_gap_ms: Restart.nullable(),
  restart_gap_realistic_ms: Restart.nullable(),
  /** restart_gap_realistic_ms.p50 / dark_window_ms.p99 (null when either is missing, or the dark window is 0: no gap at all). */
  dark_window_vs_restart: z.number().nullable(),
});

/** One handover order's promotions, and its failure case (every green dies right after taking over). */
const OrderResult = z.object({
  promotions: z.number().int(),
  verdicts: z.record(z.string(), z.number().int()),
  telegram: Accounting.extend({ dark_window_ms: Spread.nullable() }),
  discord: Accounting.extend({ dark_window_ms: Spread.nullable() }),
  failure_case: z
    .object({ fault: z.string(), n: z.number().int(), verdicts: z.record(z.string(), z.number().int()), telegram: Accounting, discord: Accounting })
    .nullable(),
});
export type OrderResult = z.infer<typeof OrderResult>;

/** Everything one run measured; a figure that could not be measured is null and named in `errors`. */
export const BenchResult = z.object({
  /** Telegram's dark window in the chosen order (the first round's headline figure; `platforms` has both). */
  dark_window_ms: Spread.nullable(),
  host_dark_window_ms: P50p99.nullable(),
  promotions: z
    .object({ n: z.number().int(), verdicts: z.record(z.string(), z.number().int()), init_ms: z.number(), bake_ms: z.number(), rate: z.number(), produced: z.number().int() })
    .nullable(),
  /** Telegram's restart gaps and ratio (as in the first round; `platforms` has both). */
  restart_gap_ms: Restart.nullable(),
  restart_gap_realistic_ms: Restart.nullable(),
  dark_window_vs_restart: z.number().nullable(),
  /** Sums over both platforms, in the chosen order's promotions. */
  lost: z.number().int().nullable(),
  duplicated: z.number().int().nullable(),
  conflicts: z.number().int().nullable(),
  /** The handover order the reference gateway uses (its default), whose promotions give the headline figures. */
  handover_order: z.enum(HANDOVER_ORDERS).nullable(),
  platforms: z.object({ telegram: PlatformResult, discord: PlatformResult }).nullable(),
  /** Both orders measured side by side (the other with fewer promotions), each with its failure case. */
  handover_orders: z.object({ 'break-before-make': OrderResult.nullable(), 'make-before-break': OrderResult.nullable() }).nullable(),
  status_rtt_ms: Spread.nullable(),
  ssh_per_poll_ms: Spread.nullable(),
  status_vs_ssh: z.number().nullable(),
  ssh_connections_per_run: z.number().int().nullable(),
  ssh_run: z.object({ verdict: z.string(), exit_code: z.number().int().nullable(), authenticated: z.number().int(), wall_ms: z.number() }).nullable(),
  cold_start_ratio: z.number().nullable(),
  cold_start_ms: z.object({ action_p50: z.number(), node_p50: z.number(), n: z.number().int() }).nullable(),
  /** The same on Node 24, the runtime action.yml names (null when node@24 could not be fetched). */
  cold_start_node24_ratio: z.number().nullable(),
  cold_start_node24_ms: z.object({ action_p50: z.number(), node_p50: z.number(), n: z.number().int() }).nullable(),
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
  /** Promotions that did not end as expected (a finding, not a failure to measure). */
  promotion_failures: z.array(z.string()),
});
export type BenchResult = z.infer<typeof BenchResult>;

/** Judges every target on `r`; a target whose figure is missing is not met. */
export function judgeTargets(r: Omit<BenchResult, 'targets' | 'errors' | 'promotion_failures'>): Target[] {
  const t = (target: string, value: number | null, ok: (v: number) => boolean): Target => ({ target, value, met: value !== null && ok(value) });
  const tg = r.platforms?.telegram;
  const dc = r.platforms?.discord;
  // No gap at all (make-before-break) is below any restart: the ratio is then null but the target met.
  const below = (target: string, p: typeof tg, times: number): Target => {
    if (p?.dark_window_ms && p.dark_window_ms.p99 === 0 && p.restart_gap_realistic_ms) return { target, value: null, met: true };
    return t(target, p?.dark_window_vs_restart ?? null, (v) => v >= times);
  };
  return [
    t('Telegram dark window p99 <= 10 ms', tg?.dark_window_ms?.p99 ?? null, (v) => v <= 10),
    t('Discord dark window p99 <= 50 ms', dc?.dark_window_ms?.p99 ?? null, (v) => v <= 50),
    below('Telegram dark window >= 100x below a restart (restart p50 / dark p99)', tg, 100),
    below('Discord dark window >= 50x below a restart (restart p50 / dark p99)', dc, 50),
    t('STATUS round trip >= 100x below a fresh ssh per poll (ssh p50 / STATUS p50)', r.status_vs_ssh, (v) => v >= 100),
    t('exactly 1 SSH connection per run', r.ssh_connections_per_run, (v) => v === 1),
    t('cold start <= 2x node -e 0', r.cold_start_ratio, (v) => v <= 2),
    t('cold start on Node 24 <= 2x node -e 0', r.cold_start_node24_ratio, (v) => v <= 2),
    t('what a runner loads for the action < 1 MB', r.runner_bytes, (v) => v < 1_000_000),
    t('lost == 0 (both platforms)', r.lost, (v) => v === 0),
    t('duplicated == 0 (both platforms)', r.duplicated, (v) => v === 0),
    t('unplanned conflicts == 0 (both platforms)', r.conflicts, (v) => v === 0),
  ];
}
