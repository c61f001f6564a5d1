// The human-readable form of a bench result (without --json).
import type { BenchResult, OrderResult } from './result.ts';

const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v} ms`);
const num = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : String(v));
type Acc = { lost: number | null; duplicated: number | null; conflicts: number | null; takeovers: number | null };
const acc = (a: Acc | undefined) => (a ? `${num(a.lost)} / ${num(a.duplicated)} / ${num(a.conflicts)} / ${num(a.takeovers)}` : 'n/a');
const spreadOf = (s: { p50: number; p99: number; max: number; n: number } | null | undefined) => (s ? `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} over ${s.n}` : 'n/a');

/** Renders `r` as an aligned text table of figures, then the targets with met/MISSED. */
export function renderTable(r: BenchResult): string {
  const rows: [string, string][] = [];
  for (const k of ['telegram', 'discord'] as const) {
    const p = r.platforms?.[k];
    rows.push(
      [`${k}: dark window p50 / p99 / max (${r.handover_order ?? 'n/a'})`, spreadOf(p?.dark_window_ms)],
      [`${k}: restart gap p50 / p99 (init ${num(p?.restart_gap_ms?.init_ms)} ms)`, `${ms(p?.restart_gap_ms?.p50)} / ${ms(p?.restart_gap_ms?.p99)}`],
      [`${k}: restart gap p50 / p99 (init ${num(p?.restart_gap_realistic_ms?.init_ms)} ms)`, `${ms(p?.restart_gap_realistic_ms?.p50)} / ${ms(p?.restart_gap_realistic_ms?.p99)}`],
      [`${k}: restart gap / dark window`, `${num(p?.dark_window_vs_restart)}x`],
      [`${k}: lost / duplicated / conflicts / takeovers`, acc(p)],
    );
  }
  for (const [order, o] of Object.entries(r.handover_orders ?? {}) as [string, OrderResult | null][]) {
    if (!o) continue;
    rows.push(
      [`${order}: dark window telegram / discord`, `${spreadOf(o.telegram.dark_window_ms)}; ${spreadOf(o.discord.dark_window_ms)}`],
      [`${order}: lost / dup / conflicts / takeovers, telegram; discord`, `${acc(o.telegram)}; ${acc(o.discord)} (${o.promotions} promotions)`],
      [`${order}: green dies after taking over (${o.failure_case?.n ?? 0}x)`, o.failure_case ? `${acc(o.failure_case.telegram)}; ${acc(o.failure_case.discord)}; ${JSON.stringify(o.failure_case.verdicts)}` : 'n/a'],
    );
  }
  rows.push(
    ['dark window p50 / p99 (host, both platforms)', `${ms(r.host_dark_window_ms?.p50)} / ${ms(r.host_dark_window_ms?.p99)}`],
    ['STATUS round trip p50 / p99 (one SSH connection)', `${ms(r.status_rtt_ms?.p50)} / ${ms(r.status_rtt_ms?.p99)} over ${num(r.status_rtt_ms?.n)}`],
    ['fresh ssh per poll p50 / p99', `${ms(r.ssh_per_poll_ms?.p50)} / ${ms(r.ssh_per_poll_ms?.p99)} over ${num(r.ssh_per_poll_ms?.n)}`],
    ['fresh ssh / STATUS', `${num(r.status_vs_ssh)}x`],
    ['SSH connections per action run', `${num(r.ssh_connections_per_run)} (verdict ${r.ssh_run?.verdict ?? 'n/a'})`],
    ['cold start: action to first SSH connection / node -e 0', `${ms(r.cold_start_ms?.action_p50)} / ${ms(r.cold_start_ms?.node_p50)} = ${num(r.cold_start_ratio)}x`],
    ['the action as a runner loads it (index.js, post.js, their chunks)', `${num(r.runner_bytes)} bytes`],
    ['dist/ (every .js, the examples included)', `${num(r.dist_bytes)} bytes`],
  );
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  lines.push('', 'targets:');
  for (const t of r.targets) lines.push(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${num(t.value)}`);
  lines.push('', `machine: node ${r.machine.node}, ${r.machine.cpus} x ${r.machine.cpu_model}, ${r.machine.platform}, ${r.machine.date}; load ${r.machine.load_1m.before} -> ${r.machine.load_1m.after}; took ${r.duration_s} s`);
  for (const e of r.errors) lines.push(`could not measure: ${e}`);
  return lines.join('\n') + '\n';
}
