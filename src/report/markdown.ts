// The human report of an outcome: one markdown text for comments, issues and the job summary.
// Headings hold only the action's own words; every value from the host is in a code span or block.
import type { Outcome } from '../core/outcome.ts';
import { VERDICTS, type ActionVerdict } from '../core/verdict.ts';
import type { HealthSample, TimelineEntry } from '../protocol/frames.ts';
import { codeBlock, inlineCode, safeUrl } from './escape.ts';
import { formatDuration, formatPercent, utcMinute } from './format.ts';
import { gantt, type Section } from './gantt.ts';
import { errorRate, pickSamples } from './health.ts';
import type { Standing } from './judgement.ts';

export { formatDuration } from './format.ts';

export interface RenderOptions {
  /** The run's page; linked at the end when it is an http(s) URL. */
  runUrl?: string | null;
  /** A hidden marker put first (so a rerun finds this text again). */
  marker?: string;
  /** Show green's log tail and prepare-command's output (job summary; comments only when the workflow opts in). */
  hostOutput?: boolean;
  /** `again`: a later failure, as a comment on the open failure issue. */
  heading?: 'report' | 'again';
  /** What the outcome stands for (judgement.ts); a report of another release says so. */
  standing?: Standing;
}

export const HEALTH_ROWS = 30;
const TIMELINE_ROWS = 100;
const LOG_LINES = 80;
const LOG_CHARS = 8000;
/** Reasons longer than this, or with line breaks, go in a code block rather than a code span. */
const INLINE_REASON = 200;

const EMOJI: Record<ActionVerdict, string> = {
  promoted: '✅',
  unchanged: '✅',
  ready: '✅',
  'rolled-back': '↩️',
  reverted: '⏪',
  failed: '❌',
  'timed-out': '⏱️',
  'not-ready': '❌',
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Every row of a table; cells already made safe, the header never empty. */
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A host value in a table cell. */
const cell = (text: string | null | undefined) => (text === null || text === undefined || text === '' ? '—' : inlineCode(text, { cell: true }));

/** Time from `base`, e.g. "+3.9 s". */
function rel(at: number, base: number): string {
  return `+${formatDuration(Math.max(0, at - base))}`;
}

/** The first timeline entry of `phase`, with the one after it. */
function phaseSpan(timeline: TimelineEntry[], phase: string): { start: number; end: number | null } | null {
  const i = timeline.findIndex((e) => e.phase === phase);
  if (i < 0) return null;
  const next = timeline.slice(i + 1).find((e) => e.phase !== phase);
  return { start: timeline[i]!.at, end: next ? next.at : null };
}

/** What was baked of what was planned: "0.6 s of 8 s", "not reached (8 s planned)". */
export function bakeText(o: Pick<Outcome, 'bake_ms' | 'timeline' | 'health'>): string {
  if (o.bake_ms === null) return '—';
  const planned = formatDuration(o.bake_ms);
  const span = phaseSpan(o.timeline, 'baking');
  if (!span) return `not reached (${planned} planned)`;
  if (span.end !== null) return `${formatDuration(span.end - span.start)} of ${planned}`;
  const last = Math.max(span.start, ...o.health.map((h) => h.at));
  return `${formatDuration(last - span.start)} of ${planned} (still baking when the run ended)`;
}

/** Green's pid: its own (from its HELLO); the launcher's only as a labelled fallback. */
function greenPidText(o: Pick<Outcome, 'green_pid' | 'launcher_pid'>): string {
  if (o.green_pid !== null) return String(o.green_pid);
  if (o.launcher_pid !== null && o.launcher_pid !== undefined) return `— (green never connected; its launcher ran as pid ${o.launcher_pid})`;
  return '—';
}

/** One line about the observation window. */
export function observationText(o: Pick<Outcome, 'observation'>): string | null {
  const w = o.observation;
  if (!w) return null;
  const until = w.until === null ? '' : ` until ${utcMinute(w.until)}`;
  switch (w.state) {
    case 'observing':
      return `observing${until}: blue stands by and takes back if green fails`;
    case 'passed':
      return `observed${w.ended_at === null ? '' : ` until ${utcMinute(w.ended_at)}`}: the window passed and the standby exited`;
    case 'reverted':
      return `reverted${w.ended_at === null ? '' : ` at ${utcMinute(w.ended_at)}`}: blue took back control`;
    case 'superseded':
      return `ended by a later handoff${w.ended_at === null ? '' : ` at ${utcMinute(w.ended_at)}`}`;
    case 'standby-lost':
      return `ended early${w.ended_at === null ? '' : ` at ${utcMinute(w.ended_at)}`}: the standby was lost (green serves on)`;
  }
}

function healthTable(health: HealthSample[], base: number): string {
  const shown = pickSamples(health, HEALTH_ROWS);
  const rows = shown.map((h) => {
    const rate = h.handled > 0 ? formatPercent(errorRate(h)) : '—';
    const errors = h.errors > 0 ? `**${h.errors}**` : '0';
    return [String(h.seq), rel(h.at, base), String(h.handled), errors, rate, formatDuration(h.latency_p50_ms), formatDuration(h.latency_p99_ms)];
  });
  const out = [table(['#', 'At', 'Handled', 'Errors', 'Error rate', 'p50', 'p99'], rows)];
  if (health.length > shown.length) {
    const withErrors = health.filter((h) => h.errors > 0).length;
    const shownErrors = shown.filter((h) => h.errors > 0).length;
    const left = withErrors - shownErrors;
    out.push(
      `${shown.length} of ${health.length} samples: every sample with errors${left > 0 ? ` but ${left} (the lowest rates)` : ''}, the slowest p99s, the first, the last and an even spread.`,
    );
  }
  return out.join('\n\n');
}

/** The last lines of a log, bounded in lines and characters. */
function tailOf(log: string): string {
  const lines = log.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n').slice(-LOG_LINES);
  const text = lines.join('\n');
  return text.length > LOG_CHARS ? text.slice(text.length - LOG_CHARS) : text;
}

/** A host text as a paragraph's value: a code span, or a code block when long or multi-line. */
function hostValue(text: string): string {
  return /[\r\n]/.test(text) || text.length > INLINE_REASON ? `\n\n${codeBlock(text, 'text')}` : ` ${inlineCode(text, { max: INLINE_REASON })}`;
}

/** The heading: the action's words and the target name (an input, still in a code span). */
function heading(o: Outcome, opts: RenderOptions): string {
  const word = VERDICTS[o.verdict].word;
  const again = opts.heading === 'again' ? ' again' : '';
  return `### ${EMOJI[o.verdict]} ${capital(word)}${again} on ${inlineCode(o.target_name)}`;
}

/** Markdown for an outcome: verdict and reason first, then details, timeline, health, checks, host output and the run link. */
export function renderReport(outcome: Outcome, opts: RenderOptions = {}): string {
  const o = outcome;
  const out: string[] = [];
  if (opts.marker) out.push(opts.marker);
  out.push(heading(o, opts));
  out.push(`**Reason:**${hostValue(o.reason || 'no reason given')}`);
  if (o.busy_with) out.push(`**Another handoff held the host:**${hostValue(o.busy_with)} This run judged no release; issues are left as they are.`);
  if (opts.standing === 'other-release') {
    out.push(`This is the verdict of release ${inlineCode(o.release)}, not of the commit this run is on: issues are left as they are.`);
  }

  const details: string[][] = [
    ['Target', cell(o.target_name)],
    ['Mode', cell(o.mode)],
    ['Release', cell(o.release)],
    ['Runtime', cell(o.runtime)],
    ['Handoff', cell(o.handoff_id)],
    ['Duration', formatDuration(o.duration_ms)],
    ['Bake', bakeText(o)],
    ['Dark window', formatDuration(o.dark_window_ms)],
    ['Blue pid', o.blue_pid === null ? '—' : String(o.blue_pid)],
    ['Green pid', greenPidText(o)],
  ];
  const watch = observationText(o);
  if (watch) details.push(['Observation', watch]);
  out.push(table(['Detail', 'Value'], details));

  // Host clock times: shown relative to the first phase so runner/host clock skew cannot matter.
  const base = o.timeline[0]?.at ?? o.health[0]?.at ?? 0;
  const end = Math.max(base, ...o.timeline.map((e) => e.at), ...o.health.map((h) => h.at));
  if (o.timeline.length > 0) {
    out.push('#### Timeline');
    const rows = o.timeline.slice(0, TIMELINE_ROWS).map((e) => [cell(e.phase), rel(e.at, base), e.note ? cell(e.note) : '']);
    const w = o.observation;
    if (w) {
      if (w.until !== null) rows.push([cell('observation ends'), rel(w.until, base), cell(utcMinute(w.until))]);
      if (w.ended_at !== null) rows.push([cell(`observation ${w.state}`), rel(w.ended_at, base), w.reason ? cell(w.reason) : cell(utcMinute(w.ended_at))]);
    }
    out.push(table(['Phase', 'At', 'Note'], rows));
    if (o.timeline.length > TIMELINE_ROWS) out.push(`${TIMELINE_ROWS} of ${o.timeline.length} entries shown.`);
    out.push(phasesChart(o.timeline, base, end));
    const win = windowChart(o, base, end);
    if (win) out.push(win);
  }
  if (o.health.length > 0) {
    out.push('#### Health over the bake');
    out.push(healthTable(o.health, base));
  }
  if (o.checks.length > 0) {
    out.push('#### Preflight checks');
    out.push(table(['Check', 'Result', 'Detail'], o.checks.map((c) => [cell(c.name), c.ok ? '✅ ok' : '❌ failed', cell(c.detail)])));
  }
  const prepare = o.prepare_output?.trim() ? o.prepare_output : null;
  const log = o.green_log_tail?.trim() ? o.green_log_tail : null;
  if (opts.hostOutput) {
    if (prepare) out.push(`<details><summary>Output of prepare-command</summary>\n\n${codeBlock(tailOf(prepare), 'text')}\n\n</details>`);
    if (log) out.push(`<details><summary>Green's log (last lines)</summary>\n\n${codeBlock(tailOf(log), 'text')}\n\n</details>`);
  } else if (prepare || log) {
    out.push(`${log ? "Green's log" : "prepare-command's output"}${prepare && log ? " and prepare-command's output are" : ' is'} in the job summary and the run log, not here.`);
  }
  const url = safeUrl(opts.runUrl);
  if (url) out.push(`[Open the run](${url})`);
  return `${out.join('\n\n')}\n`;
}

/** The phases as bars, each from its entry to the next (the last runs to the end of the record). */
function phasesChart(timeline: TimelineEntry[], base: number, end: number): string {
  const total = Math.max(end, timeline[timeline.length - 1]?.at ?? base) - base;
  const tail = Math.max(50, Math.round(total * 0.02));
  const bars = timeline.slice(0, TIMELINE_ROWS).map((e, i) => {
    const next = timeline[i + 1];
    const start = e.at - base;
    return { label: e.phase, start, end: next ? next.at - base : Math.max(end - base, start + tail) };
  });
  return gantt('Handoff phases from the first', [{ name: 'phases', bars }]);
}

/** The observation window after the promotion, on its own scale (hours, where the phases take seconds). */
function windowChart(o: Outcome, base: number, end: number): string {
  const w = o.observation;
  if (!w) return '';
  const promoted = (phaseSpan(o.timeline, 'complete')?.start ?? end) - base;
  const stop = (w.ended_at ?? w.until ?? end) - base;
  if (stop <= promoted) return '';
  const sections: Section[] = [
    { name: 'handoff', bars: [{ label: 'handoff', start: 0, end: promoted }] },
    { name: 'observation', bars: [{ label: w.state === 'observing' ? 'standby observing' : 'standby observed', start: promoted, end: stop }] },
  ];
  if (w.state === 'reverted') sections.push({ name: 'after', bars: [{ label: 'blue serves again', start: stop, end: stop + Math.max(60_000, Math.round((stop - promoted) * 0.03)) }] });
  return gantt('Observation window from the first phase', sections);
}

/** The hidden tag that starts each rerun line appended under a report. */
export const RERUN_TAG = '<!-- hermes-handoff-rerun -->';
/** At most this many rerun lines are kept under a report. */
const RERUN_LINES = 10;

/** `body` (an earlier report) with one line for an `unchanged` rerun appended; older rerun lines beyond the last ten are dropped. */
export function appendRerunLine(body: string, o: Outcome, runUrl: string | null, now: number): string {
  const url = safeUrl(runUrl);
  const line = `${RERUN_TAG}🔁 ${utcMinute(now)}: unchanged, release ${inlineCode(o.release)} already serves${url ? ` ([run](${url}))` : ''}`;
  const lines = body.replace(/\s+$/, '').split('\n');
  const reruns = lines.filter((l) => l.startsWith(RERUN_TAG));
  const keep = new Set(reruns.slice(-(RERUN_LINES - 1)));
  const kept = lines.filter((l) => !l.startsWith(RERUN_TAG) || keep.has(l));
  // Each line its own paragraph: a forge may or may not turn a single line break into <br>.
  return `${kept.join('\n').replace(/\n{3,}/g, '\n\n')}\n\n${line}\n`;
}
