// Host text made inert before the CLI prints it (the one escaping path, src/text/host-text.ts): a
// terminal must not act on escape sequences from the host, and a CLI run inside a CI step must not
// print a workflow command.
import { oneLine, safeLines } from '../text/host-text.ts';
import type { InertText } from './plain-report.ts';

const LINE = 10_000;
const LINES = 100_000;

/** The CLI's inert text: each host line escaped on its own, a block kept as lines. */
export const inertText: InertText = {
  line: (text) => oneLine(text, LINE),
  lines: (text) => safeLines(text, { maxLines: LINES, maxLine: LINE }),
};

/** `text` for a terminal: its lines kept, each one inert. Every write of a run goes through this or oneLine. */
export function terminalText(text: string): string {
  return inertText.lines(text).join('\n') + '\n';
}
