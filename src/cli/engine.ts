import { readFile } from 'node:fs/promises';
import { readSettings, InputError } from '../config/schema.ts';
import { secretValues } from '../config/secrets.ts';
import { createScrubber } from '../forge/scrub.ts';
import { exitCodeFor } from '../handoff/outcome.ts';
import { renderReport } from '../report/markdown.ts';
import { outputsOf } from '../app/outputs.ts';
import { runSession } from '../app/session.ts';
import { CliArgsError, CliHelp, parseCliArgs } from './args.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `hermes-handoff promote|preflight|status|rollback [flags]`: the action's engine from a terminal. Exit 0 success, 1 a failed verdict, 2 bad input. */
export async function runEngineCli(cmd: string, argv: string[]): Promise<number> {
  let settings;
  try {
    const args = await parseCliArgs([cmd, ...argv], process.env, (p) => readFile(p, 'utf8'), readStdin);
    settings = readSettings((name) => (name === 'mode' ? args.command : args.getInput(name)), process.env);
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
  const secrets = secretValues(settings);
  const scrub = (t: string) => createScrubber(secrets)(t);
  const say = (m: string) => process.stderr.write(scrub(m) + '\n');
  const { outcome } = await runSession(
    settings,
    { log: { info: say, warn: (m) => say(`warning: ${m}`) }, addSecret: (v) => secrets.push(v) },
  );
  if (outcome.green_log_tail) outcome.green_log_tail = scrub(outcome.green_log_tail);
  say(scrub(renderReport(outcome)));
  process.stdout.write(scrub(JSON.stringify(outputsOf(outcome))) + '\n');
  return exitCodeFor(outcome, settings.report.failOnRollback);
}
