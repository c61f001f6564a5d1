// The report a terminal gets: plain text (a compact timeline, the health summary, the reason), with
// colours only when asked. Host text (reasons, notes, details, green's log) goes through `inert` first.
import type { Outcome } from '../core/outcome.ts';
import { VERDICTS, type ActionVerdict } from '../core/verdict.ts';
import { formatDuration } from '../report/markdown.ts';

/** How host text is made safe for a terminal: one line, and a block of lines (green's log). */
export interface InertText {
  line(text: string): string;
  lines(text: string): string[];
}

export interface PlainOptions {
  /** ANSI colours (a terminal that wants them: a TTY without NO_COLOR). */
  color: boolean;
  inert: InertText;
}

const TIMELINE_ROWS = 40;
const LOG_LINES = 20;

const SGR = { bold: '1', red: '31', green: '32', yellow: '33', dim: '2' } as const;
type Style = keyof typeof SGR;

/** The colour of a verdict: green for what was wanted, yellow for a decided undo, red for a failure. */
function verdictStyle(v: ActionVerdict, mode: Outcome['mode']): Style {
  if (VERDICTS[v].status === 'success' || (v === 'rolled-back' && mode === 'rollback')) return 'green';
  return v === 'rolled-back' || v === 'timed-out' ? 'yellow' : 'red';
}

/** A fraction as a percentage with at most one decimal ("0%", "7.2%"). */
const percent = (f: number) => `${+(f * 100).toFixed(1)}%`;

/** Seconds since `base`, as "+1.250 s". */
const since = (at: number, base: number) => `+${((at - base) / 1000).toFixed(3)} s`;

/** `o` as plain text for a terminal, ending with a newline. */
export function plainReport(o: Outcome, opts: PlainOptions): string {
  const paint = (style: Style, s: string) => (opts.color ? `\u001b[${SGR[style]}m${s}\u001b[0m` : s);
  const line = opts.inert.line;
  const out: string[] = [];

  out.push(`${paint('bold', paint(verdictStyle(o.verdict, o.mode), o.verdict))}: ${line(o.reason) || 'no reason given'}`);
  const about = [`target ${line(o.target_name)}`, `mode ${o.mode}`];
  if (o.release !== '') about.push(`release ${line(o.release)}${o.runtime ? ` (runtime ${line(o.runtime)})` : ''}`);
  if (o.handoff_id) about.push(`handoff ${line(o.handoff_id)}`);
  out.push(`  ${about.join(', ')}`);
  const figures = [`took ${formatDuration(o.duration_ms)}`];
  if (o.blue_pid !== null || o.green_pid !== null) figures.push(`blue pid ${o.blue_pid ?? '-'}, green pid ${o.green_pid ?? '-'}`);
  if (o.dark_window_ms !== null) figures.push(`dark window ${formatDuration(o.dark_window_ms)}`);
  if (o.bake_ms !== null) figures.push(`bake ${formatDuration(o.bake_ms)}`);
  out.push(`  ${figures.join('; ')}`);

  if (o.timeline.length > 0) {
    const base = o.timeline[0]?.at ?? 0;
    const shown = o.timeline.slice(-TIMELINE_ROWS);
    const width = Math.max(...shown.map((e) => line(e.phase).length));
    out.push('', paint('bold', 'Timeline'));
    if (o.timeline.length > shown.length) out.push(paint('dim', `  (the last ${shown.length} of ${o.timeline.length} entries)`));
    for (const e of shown) out.push(`  ${since(e.at, base).padStart(10)}  ${line(e.phase).padEnd(width)}${e.note ? `  ${line(e.note)}` : ''}`);
  }

  if (o.health.length > 0) {
    const handled = o.health.reduce((n, h) => n + h.handled, 0);
    const errors = o.health.reduce((n, h) => n + h.errors, 0);
    const worst = Math.max(...o.health.map((h) => h.latency_p99_ms));
    const rate = handled > 0 ? percent(errors / handled) : 'none handled';
    out.push('', paint('bold', 'Health over the bake'));
    out.push(`  ${o.health.length} heartbeat${o.health.length === 1 ? '' : 's'}, ${handled} message${handled === 1 ? '' : 's'} handled, ${errors} error${errors === 1 ? '' : 's'} (${rate}), worst p99 ${formatDuration(worst)}`);
  }

  if (o.checks.length > 0) {
    const width = Math.max(...o.checks.map((c) => line(c.name).length));
    out.push('', paint('bold', 'Checks'));
    for (const c of o.checks) out.push(`  ${c.ok ? paint('green', 'ok  ') : paint('red', 'FAIL')}  ${line(c.name).padEnd(width)}  ${line(c.detail)}`);
  }

  if (o.green_log_tail && o.green_log_tail.trim() !== '') {
    const tail = opts.inert.lines(o.green_log_tail).slice(-LOG_LINES);
    out.push('', paint('bold', "Green's log (last lines)"), ...tail.map((l) => `  | ${l}`));
  }
  return `${out.join('\n')}\n`;
}

/** Whether a stream wants colours: a TTY, and NO_COLOR unset or empty (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
