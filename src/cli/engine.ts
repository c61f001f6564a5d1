// `hermes-handoff promote|preflight|status|rollback`: the action's run from a terminal.
import { readFile } from 'node:fs/promises';
import { readSettings, InputError } from '../config/schema.ts';
import type { Settings } from '../config/settings.ts';
import { renderReport } from '../report/markdown.ts';
import { runPipeline, type RunIo } from '../run/pipeline.ts';
import { oneLine, safeLines } from '../text/host-text.ts';
import { CliArgsError, CliHelp, flagOf, parseCliArgs } from './args.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `text` for a terminal: its lines kept, each one inert (no escape sequence, no control character,
 * no workflow command if a CI step runs the CLI). Every write of a run goes through this or oneLine.
 */
export function terminalText(text: string): string {
  return safeLines(text, { maxLines: 100_000, maxLine: 10_000 }).join('\n') + '\n';
}

/** The terminal's side of a run: log lines and the report on stderr, the outputs as one JSON line on stdout. */
const terminalIo: RunIo = {
  log: { info: (m) => process.stderr.write(`${oneLine(m)}\n`), warn: (m) => process.stderr.write(`warning: ${oneLine(m)}\n`) },
  async publish({ outcome, outputs, scrub }) {
    process.stderr.write(terminalText(scrub(renderReport(outcome))));
    // The outputs are made from the inert outcome, and JSON escapes the rest: one line, no escape sequence.
    process.stdout.write(scrub(JSON.stringify(outputs)) + '\n');
  },
};

/** `hermes-handoff promote|preflight|status|rollback [flags]`: the action's engine from a terminal. Exit 0 success, 1 a failed verdict, 2 bad input. */
export async function runEngineCli(cmd: string, argv: string[]): Promise<number> {
  let settings: Settings;
  try {
    const args = await parseCliArgs([cmd, ...argv], process.env, (p) => readFile(p, 'utf8'), readStdin);
    settings = readSettings((name) => (name === 'mode' ? args.command : args.getInput(name)), process.env);
  } catch (e) {
    if (e instanceof CliHelp) {
      process.stdout.write(e.text);
      return 0;
    }
    if (e instanceof CliArgsError) {
      process.stderr.write(`hermes-handoff ${cmd}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`hermes-handoff ${cmd}: ${e.describe(flagOf)}\n`);
      return 2;
    }
    throw e;
  }
  return runPipeline(settings, terminalIo);
}
