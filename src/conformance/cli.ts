// `hermes-handoff conformance`: the maintainers' acceptance test of a blue or a green implementation.
// One line per case on stdout; exit 0 when every case passed, 1 when one failed, 2 on bad flags.
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration } from '../protocol/format.ts';
import { ensureToken, readToken } from '../peer/files.ts';
import { oneLine } from '../text/host-text.ts';
import { runCases } from './cases.ts';
import { BLUE_CASES, BLUE_PRECONDITION } from './blue-cases.ts';
import { blueDrive } from './blue-peer.ts';
import { GREEN_CASES, GREEN_PRECONDITION } from './green-cases.ts';
import { greenDrive } from './green-peer.ts';

const USAGE = `usage: hermes-handoff conformance --drive blue --socket PATH [--home DIR] [--only TEXT]
       hermes-handoff conformance --drive green --socket PATH --green-command CMD [--home DIR] [--store-schema N] [--only TEXT]
  --drive blue   play the observers and the greens against the blue listening at PATH (the token is read
                 beside it); the last case is a promotion, after which that blue has left
  --drive green  play blue at PATH and run CMD (with /bin/sh) as green for every case, with HERMES_HOME,
                 HERMES_HANDOFF_ID, HERMES_HANDOFF_SOCKET, HERMES_RELEASE and HERMES_RUNTIME set
  --home DIR     HERMES_HOME (default: the directory above PATH's run/ directory)
  --only TEXT    run only the cases whose name contains TEXT (the first case, which sets up, always runs)`;

function bad(message: string): number {
  process.stderr.write(`conformance: ${message}\n${USAGE}\n`);
  return 2;
}

/** Runs the conformance command with its flags (`argv` after the command name); resolves with the exit code. */
export async function runConformanceCli(argv: string[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  // The peer helpers wait on unref'd timers: hold the process open until the run has its exit code.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    return await run(argv, write);
  } finally {
    clearInterval(keepAlive);
  }
}

async function run(argv: string[], write: (line: string) => void): Promise<number> {
  // Every line once more through the one escaping path: paths and commands are the operator's, values the peer's.
  const out = (line: string) => write(oneLine(line, 4_000));
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        drive: { type: 'string' },
        socket: { type: 'string' },
        home: { type: 'string' },
        'green-command': { type: 'string' },
        'store-schema': { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    return bad((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const drive = values.drive;
  if (drive !== 'blue' && drive !== 'green') return bad('--drive must be blue or green');
  if (!values.socket) return bad('--socket PATH is required: the handoff socket of the implementation (blue) or the one to listen on (green)');
  const socket = resolve(values.socket);
  const runDir = dirname(socket);
  const home = values.home ? resolve(values.home) : basename(runDir) === 'run' ? dirname(runDir) : null;
  const only = values.only;
  const pick = (first: string) => (c: { name: string }) => c.name === first || only === undefined || c.name.includes(only);
  const t0 = Date.now();

  if (drive === 'blue') {
    if (values['green-command'] !== undefined) return bad('--green-command is for --drive green');
    const token = readToken(socket);
    if (!token) return bad(`--socket: no token beside ${socket} (expected ${runDir}/handoff.token, written by the blue that listens there)`);
    const cases = BLUE_CASES.filter(pick(BLUE_PRECONDITION));
    out(`conformance: driving the blue at ${socket} through ${cases.length} cases`);
    const s = await runCases(cases, blueDrive(socket, token, home), out, (n) => n === BLUE_PRECONDITION);
    out(`conformance: ${s.passed} passed, ${s.failed} failed (blue at ${socket}, ${formatDuration(Date.now() - t0)})`);
    return s.failed === 0 ? 0 : 1;
  }

  const command = values['green-command'];
  if (!command) return bad('--green-command CMD is required with --drive green: the command that starts the green under test');
  if (!home) return bad(`--home DIR is required: ${socket} is not in a run/ directory, so HERMES_HOME cannot be told from it`);
  const schemaText = values['store-schema'] ?? '1';
  if (!/^\d{1,9}$/.test(schemaText)) return bad('--store-schema must be a whole number >= 0 (the schema HANDOFF_INIT announces)');
  const token = ensureToken(socket);
  mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
  const cases = GREEN_CASES.filter(pick(GREEN_PRECONDITION));
  out(`conformance: playing blue at ${socket} for ${cases.length} cases, green: ${JSON.stringify(command)}`);
  const ctx = greenDrive(socket, home, command, token, Number(schemaText));
  try {
    const s = await runCases(cases, ctx, out, (n) => n === GREEN_PRECONDITION);
    out(`conformance: ${s.passed} passed, ${s.failed} failed (green ${JSON.stringify(command)}, ${formatDuration(Date.now() - t0)}; logs in ${home}/logs)`);
    return s.failed === 0 ? 0 : 1;
  } finally {
    ctx.fake?.stop();
    await ctx.blue?.kill();
  }
}
