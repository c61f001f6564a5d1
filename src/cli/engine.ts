// `hermes-handoff promote|preflight|status|rollback`: the action's run from a terminal.
import { readFile } from 'node:fs/promises';
import { readSettings, InputError } from '../config/schema.ts';
import type { Settings } from '../config/settings.ts';
import { cancelledReason } from '../core/reasons.ts';
import { renderReport } from '../report/markdown.ts';
import { runPipeline, type RunIo } from '../run/pipeline.ts';
import { oneLine } from '../text/host-text.ts';
import { CliArgsError, CliHelp, parseCliArgs, type CliOutput } from './args.ts';
import { plainReport, wantsColor } from './plain-report.ts';
import { inertText, terminalText } from './terminal-text.ts';
import { CLI_WORDS } from './words.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The terminal's side of a run: log lines on stderr; the report (plain text, or markdown with
 * --format markdown) on stdout, or on stderr with --json, when stdout gets only the outputs as one JSON line.
 */
function terminalIo(output: CliOutput): RunIo {
  return {
    log: { info: (m) => process.stderr.write(`${oneLine(m)}\n`), warn: (m) => process.stderr.write(`warning: ${oneLine(m)}\n`) },
    async publish({ outcome, outputs, scrub }) {
      const to = output.json ? process.stderr : process.stdout;
      // The plain report makes each piece of host text inert itself (so its own colours survive); the markdown is made inert as a whole.
      const report =
        output.format === 'markdown'
          ? terminalText(scrub(renderReport(outcome)))
          : scrub(plainReport(outcome, { color: wantsColor(to, process.env), inert: inertText }));
      to.write(report);
      if (output.json) process.stdout.write(scrub(JSON.stringify(outputs)) + '\n');
    },
  };
}

/** `hermes-handoff promote|preflight|status|rollback [flags]`: the action's engine from a terminal. Exit 0 success, 1 a failed verdict, 2 bad input. */
export async function runEngineCli(cmd: string, argv: string[]): Promise<number> {
  let settings: Settings;
  let output: CliOutput;
  try {
    const args = await parseCliArgs([cmd, ...argv], process.env, (p) => readFile(p, 'utf8'), readStdin);
    settings = readSettings((name) => (name === 'mode' ? args.command : args.getInput(name)), process.env, CLI_WORDS);
    output = args.output;
  } catch (e) {
    if (e instanceof CliHelp) {
      process.stdout.write(e.text);
      return 0;
    }
    if (e instanceof CliArgsError || e instanceof InputError) {
      process.stderr.write(`hermes-handoff ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  // Interrupted: the host carries on with the handoff; say how to learn how it ends.
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      process.stderr.write(`hermes-handoff ${cmd}: ${cancelledReason(sig, CLI_WORDS)}\n`);
      process.exit(code);
    });
  }
  return runPipeline(settings, terminalIo(output));
}
