#!/usr/bin/env node
// hermes-handoff CLI: the engine from a terminal. The demo, the reference gateway and the fake platform
// are not the product: they are their own bundle (dist/examples/), loaded only when one is asked for.
import { parseWithoutCompiling } from './core/one-shot.ts';
import { fatalLine, installFatalHandlers } from './text/fatal.ts';
import { oneLine } from './text/host-text.ts';

const HELP = `usage: hermes-handoff <command> [flags]
  promote | preflight | status | rollback   the action's modes; flags are the action's inputs (--host, --known-hosts-file, ...)
  demo [--fault F] [--json]                 a full local promotion of the reference gateway
  example-gateway --home DIR --platform URL [--init-ms N]
  fake-platform --port N --rate R
exit codes: 0 success, 1 a failed verdict, 2 bad input`;

/** The example commands, each its own module under dist/examples/ (examples/bin/ in the sources). */
const EXAMPLES = new Set(['demo', 'example-gateway', 'fake-platform']);

/** Loads and runs example `name`; the path is computed, so the product bundle never contains it. */
async function runExample(name: string, argv: string[]): Promise<number> {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? `../examples/bin/${name}.ts` : `./examples/${name}.js`, import.meta.url);
  const mod: unknown = await import(url.href);
  if (typeof mod !== 'object' || mod === null || !('run' in mod) || typeof mod.run !== 'function') throw new Error(`${url.pathname} has no run(argv)`);
  const code: unknown = await mod.run(argv);
  return typeof code === 'number' ? code : 1;
}

const PREFIX = 'hermes-handoff: ';
const writeLine = (line: string) => void process.stderr.write(`${line}\n`);
// Nothing escapes as a stack trace or an unhandled rejection (the example gateway's neither): one scrubbed line, exit 1.
installFatalHandlers(PREFIX, writeLine);

const [cmd, ...rest] = process.argv.slice(2);
const run = async (): Promise<number> => {
  if (cmd !== undefined && EXAMPLES.has(cmd)) return runExample(cmd, rest);
  switch (cmd) {
    case 'promote':
    case 'preflight':
    case 'status':
    case 'rollback': {
      parseWithoutCompiling();
      const { runEngineCli } = await import('./cli/engine.ts');
      return runEngineCli(cmd, rest);
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP + '\n');
      return cmd ? 0 : 2;
    default:
      process.stderr.write(`hermes-handoff: unknown command ${oneLine(JSON.stringify(cmd), 200)}\n${HELP}\n`);
      return 2;
  }
};
run().then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeLine(fatalLine(PREFIX, e));
    process.exit(1);
  },
);
