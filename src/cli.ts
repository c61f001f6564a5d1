#!/usr/bin/env node
// hermes-handoff CLI: the engine from a terminal. The demo, the reference gateway and the fake platform
// are not the product: they are their own bundle (dist/examples/), loaded only when one is asked for.
import { readFileSync } from 'node:fs';
import { parseWithoutCompiling } from './core/one-shot.ts';
import { closestCommand, ENGINE_COMMANDS, EXAMPLE_COMMANDS, topHelp } from './cli/commands.ts';
import { fatalLine, installFatalHandlers } from './text/fatal.ts';
import { oneLine } from './text/host-text.ts';

const PREFIX = 'hermes-handoff: ';
const writeLine = (line: string) => void process.stderr.write(`${line}\n`);
// Nothing escapes as a stack trace or an unhandled rejection (the example gateway's neither): one scrubbed line, exit 1.
installFatalHandlers(PREFIX, writeLine);

/** Loads and runs example `name`; the path is computed, so the product bundle never contains it. */
async function runExample(name: string, argv: string[]): Promise<number> {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? `../examples/bin/${name}.ts` : `./examples/${name}.js`, import.meta.url);
  const mod: unknown = await import(url.href);
  if (typeof mod !== 'object' || mod === null || !('run' in mod) || typeof mod.run !== 'function') throw new Error(`${url.pathname} has no run(argv)`);
  const code: unknown = await mod.run(argv);
  return typeof code === 'number' ? code : 1;
}

/** The version in package.json beside dist/ (or src/): the same file in a clone and in the npm package. */
function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // reported below
  }
  return 'unknown (package.json not found beside dist/)';
}

const isEngine = (c: string | undefined): c is (typeof ENGINE_COMMANDS)[number] => (ENGINE_COMMANDS as readonly (string | undefined)[]).includes(c);
const isExample = (c: string | undefined): c is (typeof EXAMPLE_COMMANDS)[number] => (EXAMPLE_COMMANDS as readonly (string | undefined)[]).includes(c);

/** Runs one command; resolves with its exit code. */
async function run(cmd: string | undefined, rest: string[]): Promise<number> {
  if (isExample(cmd)) return runExample(cmd, rest);
  if (isEngine(cmd)) {
    parseWithoutCompiling();
    const { runEngineCli } = await import('./cli/engine.ts');
    return runEngineCli(cmd, rest);
  }
  switch (cmd) {
    case 'conformance':
      return (await import('./conformance/cli.ts')).runConformanceCli(rest);
    case 'help':
      if (isEngine(rest[0]) || isExample(rest[0]) || rest[0] === 'conformance') return run(rest[0], ['--help']);
      process.stdout.write(topHelp());
      return 0;
    case '--help':
    case '-h':
      process.stdout.write(topHelp());
      return 0;
    case '--version':
    case '-V':
      process.stdout.write(`hermes-handoff ${version()}\n`);
      return 0;
    case undefined:
      process.stderr.write(topHelp());
      return 2;
    default: {
      const near = closestCommand(cmd);
      process.stderr.write(`hermes-handoff: unknown command ${oneLine(JSON.stringify(cmd), 200)}${near ? `: did you mean ${near}?` : ''} (hermes-handoff --help lists them)\n`);
      return 2;
    }
  }
}

const [cmd, ...rest] = process.argv.slice(2);
run(cmd, rest).then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeLine(fatalLine(PREFIX, e));
    process.exit(1);
  },
);
