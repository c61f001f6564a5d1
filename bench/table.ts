// The human-readable form of a bench result (without --json).
import type { BenchResult } from './result.ts';

const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v} ms`);
const num = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : String(v));

/** Renders `r` as an aligned text table of figures, then the targets with met/MISSED. */
export function renderTable(r: BenchResult): string {
  const rows: [string, string][] = [
    ['dark window p50 / p99 / max (platform)', `${ms(r.dark_window_ms?.p50)} / ${ms(r.dark_window_ms?.p99)} / ${ms(r.dark_window_ms?.max)} over ${num(r.dark_window_ms?.n)} promotions`],
    ['dark window p50 / p99 (host)', `${ms(r.host_dark_window_ms?.p50)} / ${ms(r.host_dark_window_ms?.p99)}`],
    [`restart gap p50 / p99 (init ${num(r.restart_gap_ms?.init_ms)} ms)`, `${ms(r.restart_gap_ms?.p50)} / ${ms(r.restart_gap_ms?.p99)} over ${num(r.restart_gap_ms?.n)}`],
    [`restart gap p50 / p99 (init ${num(r.restart_gap_realistic_ms?.init_ms)} ms)`, `${ms(r.restart_gap_realistic_ms?.p50)} / ${ms(r.restart_gap_realistic_ms?.p99)} over ${num(r.restart_gap_realistic_ms?.n)}`],
    ['restart gap / dark window', `${num(r.dark_window_vs_restart)}x`],
    ['lost / duplicated / conflicts', `${num(r.lost)} / ${num(r.duplicated)} / ${num(r.conflicts)}`],
    ['STATUS round trip p50 / p99 (one SSH connection)', `${ms(r.status_rtt_ms?.p50)} / ${ms(r.status_rtt_ms?.p99)} over ${num(r.status_rtt_ms?.n)}`],
    ['fresh ssh per poll p50 / p99', `${ms(r.ssh_per_poll_ms?.p50)} / ${ms(r.ssh_per_poll_ms?.p99)} over ${num(r.ssh_per_poll_ms?.n)}`],
    ['fresh ssh / STATUS', `${num(r.status_vs_ssh)}x`],
    ['SSH connections per action run', `${num(r.ssh_connections_per_run)} (verdict ${r.ssh_run?.verdict ?? 'n/a'})`],
    ['cold start: action to first SSH connection / node -e 0', `${ms(r.cold_start_ms?.action_p50)} / ${ms(r.cold_start_ms?.node_p50)} = ${num(r.cold_start_ratio)}x`],
    ['the action as a runner loads it (index.js, post.js, their chunks)', `${num(r.runner_bytes)} bytes`],
    ['dist/ (every .js, the examples included)', `${num(r.dist_bytes)} bytes`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  lines.push('', 'targets:');
  for (const t of r.targets) lines.push(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${num(t.value)}`);
  lines.push('', `machine: node ${r.machine.node}, ${r.machine.cpus} x ${r.machine.cpu_model}, ${r.machine.platform}, ${r.machine.date}; load ${r.machine.load_1m.before} -> ${r.machine.load_1m.after}; took ${r.duration_s} s`);
  for (const e of r.errors) lines.push(`could not measure: ${e}`);
  return lines.join('\n') + '\n';
}
