import { closestName } from '../config/closest.ts';
import { INPUT_DEFAULTS, INPUT_NAMES, SECRET_INPUTS, type InputName } from '../config/inputs.ts';
import { errorMessage } from '../core/errors.ts';
import { COMMAND_LINES, ENGINE_COMMANDS, type EngineCommand } from './commands.ts';

export const CLI_COMMANDS = ENGINE_COMMANDS;
export type CliCommand = EngineCommand;

/** How the result is printed: the report as plain text (default) or markdown, and whether stdout gets only the outputs as JSON. */
export interface CliOutput {
  format: 'text' | 'markdown';
  json: boolean;
}

/** What the command line asked for: the mode, the inputs as the action would read them, and how to print the result. */
export interface CliArgs {
  command: CliCommand;
  /** The raw value of an input, as core.getInput gives it in the action ('' when not given). */
  getInput(name: string): string;
  output: CliOutput;
}

/** A bad command line (exit 2); the message names the flag and says what to do. */
export class CliArgsError extends Error {
  override name = 'CliArgsError';
}

/** `--help` was asked for (exit 0); `text` is what to print. */
export class CliHelp extends Error {
  override name = 'CliHelp';
  constructor(readonly text: string) {
    super('help requested');
  }
}

const BOOLEAN_INPUTS = new Set<string>(['insecure-skip-host-key-check', 'fail-on-rollback', 'close-issue-on-success', 'host-output-in-comments']);
// Several of these add up (several pins, for key rotation).
const REPEATABLE_INPUTS = new Set<string>(['known-hosts', 'host-fingerprint', 'jump-known-hosts', 'jump-host-fingerprint']);
// Flags that are not inputs: secrets and lists read from files, so no value sits in argv where ps shows it.
const FILE_FLAGS: Record<string, InputName> = {
  'private-key-file': 'private-key',
  'passphrase-file': 'passphrase',
  'jump-private-key-file': 'jump-private-key',
  'jump-passphrase-file': 'jump-passphrase',
  'known-hosts-file': 'known-hosts',
  'jump-known-hosts-file': 'jump-known-hosts',
  'green-env-file': 'green-env',
};
const REFUSED: Record<string, string> = {
  'private-key': 'a private key is never taken from a flag value (ps shows it): use --private-key-file PATH or --private-key-stdin',
  passphrase: 'a passphrase is never taken from a flag value (ps shows it): use --passphrase-file PATH',
  'jump-private-key': 'a private key is never taken from a flag value (ps shows it): use --jump-private-key-file PATH',
  'jump-passphrase': 'a passphrase is never taken from a flag value (ps shows it): use --jump-passphrase-file PATH',
  'github-token': 'the token is never taken from a flag value (ps shows it): set the GITHUB_TOKEN environment variable',
  'green-env': "green's environment values are secrets and never taken from a flag value: use --green-env-file PATH (KEY=VALUE lines)",
  mode: 'the mode is the command: hermes-handoff promote|preflight|status|rollback',
};

/** How the CLI names an input in an error: its flag (`--bake-seconds`), the file flag of a secret, the command for the mode. */
export function flagOf(input: string): string {
  if (input === 'mode') return 'the command';
  if (input === 'github-token') return 'GITHUB_TOKEN';
  if (input in REFUSED) {
    const file = Object.entries(FILE_FLAGS).find(([, i]) => i === input)?.[0];
    if (file) return `--${file}`;
  }
  return `--${input}`;
}

/** One line of --help: the flags (first the input's own), and a default or a note. */
type HelpLine = [flags: string, note?: string];

const HELP_GROUPS: Array<[title: string, lines: HelpLine[]]> = [
  [
    'Connection (transport ssh)',
    [
      ['--transport ssh|local', 'local: run on this machine (no SSH flags)'],
      ['--host H'],
      ['--port N'],
      ['--username U'],
      ['--connect-timeout-seconds S'],
      ['--private-key-file PATH | --private-key-stdin', 'the key is never a flag value'],
      ['--passphrase-file PATH'],
      ['--known-hosts LINE | --known-hosts-file PATH', 'host key pins (repeatable)'],
      ['--host-fingerprint SHA256:...', 'repeatable; ssh-keyscan -t ed25519 H | ssh-keygen -lf -'],
      ['--insecure-skip-host-key-check[=true|false]', 'not recommended'],
      ['--jump-host [user@]host[:port]'],
      ['--jump-private-key-file PATH', 'default the main key'],
      ['--jump-passphrase-file PATH'],
      ['--jump-known-hosts LINE | --jump-known-hosts-file PATH'],
      ['--jump-host-fingerprint SHA256:...'],
    ],
  ],
  [
    'Gateway',
    [
      ['--hermes-home DIR'],
      ['--socket-path PATH', 'default <hermes-home>/run/handoff.sock'],
      ['--green-command CMD'],
      ['--workdir DIR'],
      ['--runtime NAME'],
      ['--release SHA', 'default $GITHUB_SHA'],
      ['--green-env-file PATH', 'KEY=VALUE lines'],
      ['--prepare-command CMD'],
      ['--launcher process|systemd'],
      ['--systemd-unit NAME@'],
    ],
  ],
  [
    'Bake and deadlines',
    [
      ['--bake-seconds S'],
      ['--observe-seconds S', '0: no observation window'],
      ['--timeout-seconds S'],
      ['--max-error-rate R|P%'],
      ['--max-latency-factor F'],
      ['--latency-floor-ms MS'],
      ['--expected-latency-ms MS'],
      ['--min-messages N'],
      ['--max-heartbeat-age-seconds S'],
      ['--consecutive-breaches N'],
      ['--ack-timeout-seconds S'],
      ['--claim-timeout-seconds S'],
      ['--rollback-grace-seconds S'],
      ['--handoff-id ID', 'status, rollback: which handoff (default the current or last one)'],
    ],
  ],
  [
    'Reporting (the token from the GITHUB_TOKEN environment variable)',
    [
      ['--target-name NAME'],
      ['--status-context CTX', 'default hermes-handoff/<target-name>'],
      ['--fail-on-rollback[=true|false] | --no-fail-on-rollback'],
      ['--issue N'],
      ['--close-issue-on-success[=true|false]'],
      ['--failure-label LABEL'],
      ['--max-issues N', 'related issues one run may touch'],
      ['--host-output-in-comments[=true|false]', "green's log and prepare output in comments too"],
    ],
  ],
];

/** Flags of the CLI itself (not inputs): how the result is printed. */
const OUTPUT_HELP: HelpLine[] = [
  ['--format text|markdown', 'the report: plain text (default; colours on a terminal unless NO_COLOR is set) or markdown'],
  ['--json', 'stdout gets only the outputs as one JSON object; the report goes to stderr'],
];

/** Every flag the CLI takes, for the closest-name hint on an unknown one. */
const ALL_FLAGS: readonly string[] = [
  ...INPUT_NAMES.filter((n) => !(n in REFUSED)),
  ...Object.keys(FILE_FLAGS),
  'private-key-stdin',
  ...[...BOOLEAN_INPUTS].map((n) => `no-${n}`),
  'format',
  'json',
  'help',
];

/** The text `--help` prints: every flag, each input's default from INPUT_DEFAULTS (the same as action.yml's). `command` heads it with that command's line. */
export function cliHelp(command?: CliCommand): string {
  const width = Math.max(...HELP_GROUPS.flatMap(([, lines]) => lines.map(([flags]) => flags.length))) + 2;
  const line = ([flags, note]: HelpLine): string => {
    const input = /^--([a-z-]+)/.exec(flags)?.[1] as InputName | undefined;
    const def = input === undefined ? undefined : INPUT_DEFAULTS[input];
    const text = [def === undefined ? '' : `default ${def}`, note ?? ''].filter((x) => x !== '').join('; ');
    return text === '' ? `  ${flags}` : `  ${flags.padEnd(width)}${text}`;
  };
  const head =
    command === undefined
      ? `Usage: hermes-handoff <command> [flags]\n\nCommands (the action's modes):\n${CLI_COMMANDS.map((c) => `  ${c.padEnd(11)} ${COMMAND_LINES[c]}`).join('\n')}`
      : `Usage: hermes-handoff ${command} [flags]\n\n${COMMAND_LINES[command]}.`;
  return `${head}

Flags are the action's inputs (see docs/inputs.md): --NAME VALUE or --NAME=VALUE.
${HELP_GROUPS.map(([title, lines]) => `${title}:\n${lines.map(line).join('\n')}`).join('\n')}
Output:
${OUTPUT_HELP.map(line).join('\n')}

The report goes to stdout, progress to stderr. Exit status: 0 success (a rollback that
hermes-handoff rollback asked for included), 1 a failed verdict, 2 bad input.
`;
}

/**
 * Parses `hermes-handoff <command> [flags]` (argv without node and the script) into the command and
 * the inputs. Secrets come from files (`readFile`), stdin or the environment, never from a flag value.
 * Throws CliHelp for --help, CliArgsError for anything wrong (naming the flag).
 */
export async function parseCliArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => Promise<string>,
  stdin: () => Promise<string>,
): Promise<CliArgs> {
  const [first, ...rest] = argv;
  const named = (CLI_COMMANDS as readonly string[]).includes(first ?? '') ? (first as CliCommand) : undefined;
  if (argv.includes('--help') || argv.includes('-h')) throw new CliHelp(cliHelp(named));
  if (first === 'help') {
    const about = rest[0];
    throw new CliHelp(cliHelp((CLI_COMMANDS as readonly string[]).includes(about ?? '') ? (about as CliCommand) : undefined));
  }
  if (first === undefined || first.startsWith('-')) throw new CliArgsError(`expected a command first: ${CLI_COMMANDS.join(', ')} (see --help)`);
  if (!(CLI_COMMANDS as readonly string[]).includes(first)) {
    throw new CliArgsError(`unknown command "${first}": expected ${CLI_COMMANDS.join(', ')} (see --help)`);
  }
  const command = first as CliCommand;

  const values = new Map<InputName, string>();
  const set = (input: InputName, value: string, flag: string) => {
    const prev = values.get(input);
    if (prev !== undefined && !REPEATABLE_INPUTS.has(input)) throw new CliArgsError(`${flag}: given twice`);
    values.set(input, prev === undefined ? value : `${prev}\n${value}`);
  };
  let keyFromStdin = false;
  const output: CliOutput = { format: 'text', json: false };

  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (!arg.startsWith('--')) throw new CliArgsError(`unexpected argument "${arg}": flags are --NAME VALUE (see --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const flag = `--${name}`;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) throw new CliArgsError(`${flag}: expected a value after it`);
      i++;
      return next;
    };

    const refusal = REFUSED[name];
    if (refusal !== undefined) throw new CliArgsError(`${flag}: ${refusal}`);
    if (name === 'json') {
      if (inline !== undefined) throw new CliArgsError(`${flag}: takes no value`);
      output.json = true;
      continue;
    }
    if (name === 'format') {
      const f = value();
      if (f !== 'text' && f !== 'markdown') throw new CliArgsError(`${flag}: expected text or markdown, got ${JSON.stringify(f)}`);
      output.format = f;
      continue;
    }
    if (name === 'private-key-stdin') {
      if (inline !== undefined) throw new CliArgsError(`${flag}: takes no value`);
      keyFromStdin = true;
      continue;
    }
    const fileInput = FILE_FLAGS[name];
    if (fileInput !== undefined) {
      const path = value();
      let text: string;
      try {
        text = await readFile(path);
      } catch (e) {
        const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : errorMessage(e);
        throw new CliArgsError(`${flag}: cannot read ${JSON.stringify(path)} (${code})`);
      }
      if (SECRET_INPUTS.has(fileInput) && values.has(fileInput)) throw new CliArgsError(`${flag}: given twice`);
      set(fileInput, text, flag);
      continue;
    }
    const negated = name.startsWith('no-') ? name.slice(3) : null;
    if (negated !== null && BOOLEAN_INPUTS.has(negated)) {
      if (inline !== undefined) throw new CliArgsError(`${flag}: takes no value`);
      set(negated as InputName, 'false', flag);
      continue;
    }
    if (!(INPUT_NAMES as readonly string[]).includes(name)) {
      const near = closestName(name, ALL_FLAGS);
      throw new CliArgsError(`unknown flag ${flag}${near === null ? '' : `: did you mean --${near}?`} (see hermes-handoff ${command} --help)`);
    }
    const input = name as InputName;
    if (BOOLEAN_INPUTS.has(input)) {
      const next = rest[i + 1];
      const bare = inline === undefined && !(next !== undefined && /^(true|false)$/i.test(next));
      set(input, bare ? 'true' : value(), flag);
      continue;
    }
    set(input, value(), flag);
  }

  if (keyFromStdin) {
    if (values.has('private-key')) throw new CliArgsError('--private-key-stdin: --private-key-file is given too; use one');
    values.set('private-key', await stdin());
  }
  values.set('mode', command);
  const token = env.GITHUB_TOKEN ?? '';
  return {
    command,
    getInput: (name) => (name === 'github-token' ? token : (values.get(name as InputName) ?? '')),
    output,
  };
}
