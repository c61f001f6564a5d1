// Writes a run's figures into docs/performance.md, between its bench markers, so the table is always one real run.
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult, OrderResult } from './result.ts';

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
  const spreadOf = (x: { p50: number; p99: number; max: number; n: number } | null | undefined) => (x ? `${v(x.p50)} / ${v(x.p99)} / ${v(x.max)} ms over ${x.n}` : 'n/a');
  type Acc = { lost: number | null; duplicated: number | null; conflicts: number | null; takeovers: number | null };
  const acc = (a: Acc | null | undefined) => (a ? `${v(a.lost)} / ${v(a.duplicated)} / ${v(a.conflicts)} / ${v(a.takeovers)}` : 'n/a');
  const tg = r.platforms?.telegram;
  const dc = r.platforms?.discord;
  const order = r.handover_order ?? 'n/a';
  const rows: string[][] = [
    [`Telegram dark window (platform, ${order}) p50 / p99 / max`, spreadOf(tg?.dark_window_ms) + ' promotions', 'p99 <= 10 ms', met('Telegram dark window p99')],
    [`Discord dark window (platform, ${order}) p50 / p99 / max`, spreadOf(dc?.dark_window_ms) + ' promotions', 'p99 <= 50 ms', met('Discord dark window p99')],
    ['dark window (host, green, both platforms) p50 / p99', `${v(r.host_dark_window_ms?.p50)} / ${v(r.host_dark_window_ms?.p99)} ms`, '', ''],
    [`restart gap, init ${v(tg?.restart_gap_ms?.init_ms)} ms, p50 / p99: Telegram; Discord`, `${v(tg?.restart_gap_ms?.p50)} / ${v(tg?.restart_gap_ms?.p99)} ms; ${v(dc?.restart_gap_ms?.p50)} / ${v(dc?.restart_gap_ms?.p99)} ms`, '', ''],
    [`restart gap, init ${v(tg?.restart_gap_realistic_ms?.init_ms)} ms, p50 / p99: Telegram; Discord`, `${v(tg?.restart_gap_realistic_ms?.p50)} / ${v(tg?.restart_gap_realistic_ms?.p99)} ms; ${v(dc?.restart_gap_realistic_ms?.p50)} / ${v(dc?.restart_gap_realistic_ms?.p99)} ms over ${v(tg?.restart_gap_realistic_ms?.n)}`, '', ''],
    ['restart gap p50 / dark window p99: Telegram', `${v(tg?.dark_window_vs_restart)}x`, '>= 100x', met('Telegram dark window >=')],
    ['restart gap p50 / dark window p99: Discord', dc?.dark_window_ms?.p99 === 0 ? 'no gap at all' : `${v(dc?.dark_window_vs_restart)}x`, '>= 50x', met('Discord dark window >=')],
    [`lost / duplicated / conflicts / takeovers (${order}): Telegram; Discord`, `${acc(tg)}; ${acc(dc)}`, '0 / 0 / 0 / -', `${met('lost')} / ${met('duplicated')} / ${met('unplanned conflicts')}`],
  ];
  for (const [name, o] of Object.entries(r.handover_orders ?? {}) as [string, OrderResult | null][]) {
    if (!o) continue;
    rows.push(
      [`${name}: dark window Telegram; Discord`, `${spreadOf(o.telegram.dark_window_ms)}; ${spreadOf(o.discord.dark_window_ms)}`, '', ''],
      [`${name}: lost / dup / conflicts / takeovers, Telegram; Discord`, `${acc(o.telegram)}; ${acc(o.discord)} over ${o.promotions} promotions`, '', ''],
      [
        `${name}: green dies right after taking over (${o.failure_case?.fault ?? '-'}), lost / dup / conflicts / takeovers`,
        o.failure_case ? `${acc(o.failure_case.telegram)}; ${acc(o.failure_case.discord)} over ${o.failure_case.n} (${Object.entries(o.failure_case.verdicts).map(([k, n]) => `${n} ${k}`).join(', ')})` : 'n/a',
        '',
        '',
      ],
    );
  }
  rows.push(
    ['STATUS round trip, one SSH connection, p50 / p99', `${v(r.status_rtt_ms?.p50)} / ${v(r.status_rtt_ms?.p99)} ms over ${v(r.status_rtt_ms?.n)}`, '', ''],
    ['fresh `ssh host cmd` per poll, p50 / p99', `${v(r.ssh_per_poll_ms?.p50)} / ${v(r.ssh_per_poll_ms?.p99)} ms over ${v(r.ssh_per_poll_ms?.n)}`, '', ''],
    ['fresh ssh p50 / STATUS p50', `${v(r.status_vs_ssh)}x`, '>= 100x', met('STATUS')],
    ['SSH connections per action run', `${v(r.ssh_connections_per_run)} (verdict ${r.ssh_run?.verdict ?? 'n/a'})`, '1', met('exactly 1')],
    ['cold start: `node dist/index.js` to its SSH connection / `node -e 0`', `${v(r.cold_start_ms?.action_p50)} / ${v(r.cold_start_ms?.node_p50)} ms = ${v(r.cold_start_ratio)}x`, '<= 2x', met('cold start <=')],
    ['the same on Node 24 (what action.yml runs)', `${v(r.cold_start_node24_ms?.action_p50)} / ${v(r.cold_start_node24_ms?.node_p50)} ms = ${v(r.cold_start_node24_ratio)}x`, '<= 2x', met('cold start on Node 24')],
    ['what a runner loads for the action: `dist/index.js`, `dist/post.js` and their chunks', `${v(r.runner_bytes)} bytes`, '< 1 MB', met('what a runner loads')],
    ['dist/ (every .js, the examples included)', `${v(r.dist_bytes)} bytes`, '', ''],
  );
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
