// Mermaid gantt charts of a handoff: times relative to the first phase, on a scale chosen so the axis
// shows a handful of distinct tick labels, for a run of 300 ms as for a bake of two hours or a day's window.
import { mermaidLabel } from './escape.ts';

/** One bar: a label and its start and end, in ms from the chart's base. */
export interface Bar {
  label: string;
  start: number;
  end: number;
}

/** A section of bars. */
export interface Section {
  name: string;
  bars: Bar[];
}

/** The tick spacing mermaid can draw (its `tickInterval` units), smallest first. */
const STEPS: ReadonlyArray<readonly [number, string]> = [
  [100, '100millisecond'],
  [200, '200millisecond'],
  [500, '500millisecond'],
  [1_000, '1second'],
  [2_000, '2second'],
  [5_000, '5second'],
  [10_000, '10second'],
  [15_000, '15second'],
  [30_000, '30second'],
  [60_000, '1minute'],
  [120_000, '2minute'],
  [300_000, '5minute'],
  [600_000, '10minute'],
  [900_000, '15minute'],
  [1_800_000, '30minute'],
  [3_600_000, '1hour'],
  [7_200_000, '2hour'],
  [10_800_000, '3hour'],
  [21_600_000, '6hour'],
  [43_200_000, '12hour'],
  [86_400_000, '1day'],
];

/** At most this many ticks on an axis. */
const MAX_TICKS = 8;

/** The scale for a chart spanning `totalMs`: tick spacing, mermaid's tickInterval and a d3 axis format that labels each tick differently. */
export function scaleFor(totalMs: number): { stepMs: number; tickInterval: string; axisFormat: string; unit: string } {
  const [stepMs, tickInterval] = STEPS.find(([ms]) => totalMs / ms <= MAX_TICKS) ?? STEPS[STEPS.length - 1]!;
  // Every tick is a whole multiple of the step from midnight of day 1, so these formats never repeat a label within the span.
  if (stepMs < 1_000) return { stepMs, tickInterval, axisFormat: '%S.%L', unit: 's.ms' };
  if (stepMs < 60_000) return { stepMs, tickInterval, axisFormat: '%M:%S', unit: 'min:s' };
  if (stepMs < 3_600_000) return { stepMs, tickInterval, axisFormat: '%H:%M', unit: 'h:min' };
  return { stepMs, tickInterval, axisFormat: 'day %-d %H:%M', unit: 'day and h:min, day 1 first' };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `ms` after the chart's base as a local date-time on 1 January 2000 onwards. Mermaid parses and
 * draws local time, so relative offsets come out the same in every time zone.
 */
export function chartTime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const day = Math.floor(t / 86_400_000);
  const h = Math.floor((t % 86_400_000) / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  return `2000-01-${pad(day + 1)} ${pad(h)}:${pad(m)}:${pad(s)}.${pad(t % 1000, 3)}`;
}

/** A mermaid gantt block of `sections` (times in ms from the base), titled `title` plus the axis unit; '' without bars. */
export function gantt(title: string, sections: Section[]): string {
  const bars = sections.flatMap((s) => s.bars);
  if (bars.length === 0) return '';
  const total = Math.max(1, ...bars.map((b) => b.end));
  const scale = scaleFor(total);
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${mermaidLabel(title)} (${scale.unit})`,
    '  dateFormat YYYY-MM-DD HH:mm:ss.SSS',
    `  axisFormat ${scale.axisFormat}`,
    `  tickInterval ${scale.tickInterval}`,
    '  todayMarker off',
  ];
  let n = 0;
  for (const s of sections) {
    if (s.bars.length === 0) continue;
    lines.push(`  section ${mermaidLabel(s.name)}`);
    for (const b of s.bars) lines.push(`  ${mermaidLabel(b.label)} :b${n++}, ${chartTime(b.start)}, ${chartTime(Math.max(b.end, b.start + 1))}`);
  }
  lines.push('```');
  return lines.join('\n');
}
