// The human report of an outcome: one markdown text for comments, issues and the job summary.
import type { Outcome } from '../core/outcome.ts';
import type { ActionVerdict } from '../core/verdict.ts';
import type { HealthSample, TimelineEntry } from '../protocol/frames.ts';
import { codeBlock, escapeMarkdown as esc, mermaidLabel, safeUrl } from './escape.ts';

export interface RenderOptions {
  /** The run's page; linked at the end when it is an http(s) URL. */
  runUrl?: string | null;
  /** A hidden marker put first (so a rerun finds this text again). */
  marker?: string;
}

const HEALTH_ROWS = 30;
const TIMELINE_ROWS = 100;
const LOG_LINES = 80;
const LOG_CHARS = 8000;

const HEADLINE: Record<ActionVerdict, string> = {
  promoted: '✅ Promoted',
  unchanged: '✅ Unchanged',
  ready: '✅ Ready',
  'rolled-back': '↩️ Rolled back',
  reverted: '⏪ Reverted after promotion',
  failed: '❌ Failed',
  'timed-out': '⏱️ Timed out',
  'not-ready': '❌ Not ready',
};

/** `ms` as a short human duration ("850 ms", "12.3 s", "2 min 05 s"); "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Seconds from `base` with a sign, e.g. "+1.250 s". */
function rel(at: number, base: number): string {
  return `+${((at - base) / 1000).toFixed(3)} s`;
}

/** Every row of a table, cells already escaped. */
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Up to `n` samples spread evenly over `xs`, always keeping the last. */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T);
  return out;
}

/** A time of day "HH:mm:ss.SSS" that is `ms` after midnight: mermaid's gantt parses it on every version both forges ship. */
function clock(ms: number): string {
  const t = Math.max(0, Math.min(ms, 24 * 3600_000 - 1));
  const h = Math.floor(t / 3600_000);
  const m = Math.floor((t % 3600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const f = Math.floor(t % 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(f).padStart(3, '0')}`;
}

/** A mermaid gantt of the phases (bars from each phase to the next), or '' with fewer than one entry. */
function gantt(timeline: TimelineEntry[], base: number, end: number): string {
  if (timeline.length === 0) return '';
  const lastAt = timeline[timeline.length - 1]?.at ?? base;
  const total = Math.max(end, lastAt) - base;
  const tail = Math.max(50, Math.round(total * 0.02));
  const lines = ['```mermaid', 'gantt', '  title Handoff phases (min:s from the first phase)', '  dateFormat HH:mm:ss.SSS', '  axisFormat %M:%S', '  section phases'];
  timeline.slice(0, TIMELINE_ROWS).forEach((e, i) => {
    const next = timeline[i + 1];
    const start = e.at - base;
    const stop = next ? Math.max(next.at - base, start + 1) : Math.max(end - base, start + tail);
    lines.push(`  ${mermaidLabel(e.phase)} :p${i}, ${clock(start)}, ${clock(stop)}`);
  });
  lines.push('```');
  return lines.join('\n');
}

function healthTable(health: HealthSample[], base: number): string {
  const rows = spread(health, HEALTH_ROWS).map((h) => {
    const rate = h.handled > 0 ? `${((h.errors / h.handled) * 100).toFixed(1)} %` : '—';
    return [String(h.seq), rel(h.at, base), String(h.handled), String(h.errors), rate, formatDuration(h.latency_p50_ms), formatDuration(h.latency_p99_ms)];
  });
  const note = health.length > HEALTH_ROWS ? `\n\n${HEALTH_ROWS} of ${health.length} samples, evenly spread.` : '';
  return table(['#', 'at', 'handled', 'errors', 'error rate', 'p50', 'p99'], rows) + note;
}

/** The last lines of a log, bounded in lines and characters. */
function tailOf(log: string): string {
  const lines = log.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n').slice(-LOG_LINES);
  const text = lines.join('\n');
  return text.length > LOG_CHARS ? text.slice(text.length - LOG_CHARS) : text;
}

/** Markdown for an outcome: verdict and reason first, then details, timeline, health, checks, green's log and the run link. Outside text is escaped. */
export function renderReport(outcome: Outcome, opts: RenderOptions = {}): string {
  const o = outcome;
  const out: string[] = [];
  if (opts.marker) out.push(opts.marker);
  out.push(`### ${HEADLINE[o.verdict]}: ${esc(o.reason) || 'no reason given'}`);

  const details: string[][] = [
    ['Target', esc(o.target_name)],
    ['Mode', o.mode],
    ['Release', esc(o.release)],
    ['Runtime', esc(o.runtime)],
    ['Handoff id', o.handoff_id ? esc(o.handoff_id) : '—'],
    ['Duration', formatDuration(o.duration_ms)],
    ['Bake', formatDuration(o.bake_ms)],
    ['Dark window', formatDuration(o.dark_window_ms)],
    ['Blue / green pid', `${o.blue_pid ?? '—'} / ${o.green_pid ?? '—'}`],
  ];
  out.push(table(['', ''], details));

  // Host clock times: shown relative to the first phase so runner/host clock skew cannot matter.
  const base = o.timeline[0]?.at ?? o.health[0]?.at ?? 0;
  const end = Math.max(base, ...o.timeline.map((e) => e.at), ...o.health.map((h) => h.at));
  if (o.timeline.length > 0) {
    out.push('#### Timeline');
    const rows = o.timeline.slice(0, TIMELINE_ROWS).map((e) => [esc(e.phase), rel(e.at, base), e.note ? esc(e.note) : '']);
    out.push(table(['phase', 'at', 'note'], rows));
    if (o.timeline.length > TIMELINE_ROWS) out.push(`${TIMELINE_ROWS} of ${o.timeline.length} entries shown.`);
    out.push(gantt(o.timeline, base, end));
  }
  if (o.health.length > 0) {
    out.push('#### Health over the bake');
    out.push(healthTable(o.health, base));
  }
  if (o.checks.length > 0) {
    out.push('#### Preflight checks');
    out.push(table(['check', 'result', 'detail'], o.checks.map((c) => [esc(c.name), c.ok ? '✅ ok' : '❌ failed', esc(c.detail)])));
  }
  if (o.green_log_tail && o.green_log_tail.trim() !== '') {
    out.push(`<details><summary>Green's log (last lines)</summary>\n\n${codeBlock(tailOf(o.green_log_tail), 'text')}\n\n</details>`);
  }
  const url = safeUrl(opts.runUrl);
  if (url) out.push(`[Open the run](${url})`);
  return `${out.join('\n\n')}\n`;
}
