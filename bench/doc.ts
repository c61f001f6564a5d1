// Writes a run's figures into docs/performance.md, between its bench markers, so the table is always one real run.
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './result.ts';

const START = '<!-- bench:figures:start -->';
const END = '<!-- bench:figures:end -->';

const v = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? 'n/a' : `${x}${unit}`);

/** The markdown table of `r`'s figures, targets and machine. */
export function renderFigures(r: BenchResult): string {
  const target = (prefix: string) => r.targets.find((t) => t.target.startsWith(prefix));
  const met = (prefix: string) => {
    const t = target(prefix);
    return t ? (t.met ? 'met' : '**missed**') : '';
  };
  const rows: string[][] = [
    ['dark window (platform) p50 / p99 / max', `${v(r.dark_window_ms?.p50)} / ${v(r.dark_window_ms?.p99)} / ${v(r.dark_window_ms?.max)} ms over ${v(r.dark_window_ms?.n)} promotions`, 'p99 <= 20 ms', met('dark window p99')],
    ['dark window (host, green) p50 / p99', `${v(r.host_dark_window_ms?.p50)} / ${v(r.host_dark_window_ms?.p99)} ms`, '', ''],
    [`restart gap, init ${v(r.restart_gap_ms?.init_ms)} ms, p50 / p99`, `${v(r.restart_gap_ms?.p50)} / ${v(r.restart_gap_ms?.p99)} ms over ${v(r.restart_gap_ms?.n)}`, '', ''],
    [`restart gap, init ${v(r.restart_gap_realistic_ms?.init_ms)} ms, p50 / p99`, `${v(r.restart_gap_realistic_ms?.p50)} / ${v(r.restart_gap_realistic_ms?.p99)} ms over ${v(r.restart_gap_realistic_ms?.n)}`, '', ''],
    ['restart gap p50 / dark window p99', `${v(r.dark_window_vs_restart)}x`, '>= 100x', met('dark window >=')],
    ['lost / duplicated / conflicts', `${v(r.lost)} / ${v(r.duplicated)} / ${v(r.conflicts)}`, '0 / 0 / -', `${met('lost')} / ${met('duplicated')}`],
    ['STATUS round trip, one SSH connection, p50 / p99', `${v(r.status_rtt_ms?.p50)} / ${v(r.status_rtt_ms?.p99)} ms over ${v(r.status_rtt_ms?.n)}`, '', ''],
    ['fresh `ssh host cmd` per poll, p50 / p99', `${v(r.ssh_per_poll_ms?.p50)} / ${v(r.ssh_per_poll_ms?.p99)} ms over ${v(r.ssh_per_poll_ms?.n)}`, '', ''],
    ['fresh ssh p50 / STATUS p50', `${v(r.status_vs_ssh)}x`, '>= 100x', met('STATUS')],
    ['SSH connections per action run', `${v(r.ssh_connections_per_run)} (verdict ${r.ssh_run?.verdict ?? 'n/a'})`, '1', met('exactly 1')],
    ['cold start: `node dist/index.js` to its SSH connection / `node -e 0`', `${v(r.cold_start_ms?.action_p50)} / ${v(r.cold_start_ms?.node_p50)} ms = ${v(r.cold_start_ratio)}x`, '<= 2x', met('cold start')],
    ['what a runner loads for the action: `dist/index.js`, `dist/post.js` and their chunks', `${v(r.runner_bytes)} bytes`, '< 1 MB', met('what a runner loads')],
    ['dist/ (every .js, the examples included)', `${v(r.dist_bytes)} bytes`, '', ''],
  ];
  const m = r.machine;
  return [
    '| figure | value | target | |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Measured ${m.date} on Node ${m.node}, ${m.cpus} x ${m.cpu_model}, ${m.platform}; 1-minute load average ${m.load_1m.before} at the start and ${m.load_1m.after} at the end; the run took ${r.duration_s} s.` +
      (r.errors.length > 0 ? ` Not measured: ${r.errors.join('; ')}.` : '') +
      (r.promotion_failures.length > 0 ? ` Promotions that did not end promoted: ${r.promotion_failures.join('; ')}.` : ''),
  ].join('\n');
}

/** Throws unless the markdown file at `path` has the bench markers (checked before a run, not after it). */
export function checkDoc(path: string): void {
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  if (a < 0 || text.indexOf(END) < a) throw new Error(`${path} has no ${START} ... ${END} section to write the figures into`);
}

/** Replaces the text between the bench markers of the markdown file at `path` with `r`'s figures; throws when the markers are missing. */
export function updateDoc(path: string, r: BenchResult): void {
  checkDoc(path);
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  writeFileSync(path, `${text.slice(0, a + START.length)}\n${renderFigures(r)}\n${text.slice(b)}`);
}
