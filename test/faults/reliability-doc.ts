// The fault matrix's results file and docs/reliability.md: the rows a run measured, the table made
// from them, and the check that the committed table still says what the last run measured.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RATE } from './matrix-common.ts';
import { resultsFile } from './results-file.ts';
import { rowDiff, splitRow } from './doc-table.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** docs/reliability.md in this checkout. */
export const DOC_PATH = join(root, 'docs', 'reliability.md');

/** The command that reruns the matrix and rewrites the doc. */
export const REGEN_COMMAND = 'node scripts/gen-reliability.mjs';

/** The doc's two tables: every cell with both adapters (matrix.test.ts), and the Discord-specific cells (matrix-discord.test.ts). */
export const TABLES = ['both', 'discord'] as const;
/** Which table a row belongs to. */
export type Table = (typeof TABLES)[number];

/** One platform's figures over a cell. */
const PlatformFigures = z.object({ lost: z.number().int(), duplicated: z.number().int(), conflicts: z.number().int(), max_gap_ms: z.number() });

/** One measured cell of the matrix. */
export const MatrixRow = z.object({
  fault: z.string(),
  phase: z.string(),
  /** The action's verdict (two verdicts, when two runs raced, as "a + b"; a cell that accepts either of two, as "a or b"). */
  verdict: z.string(),
  /** The reason as measured, with pids and temp paths masked. */
  reason: z.string(),
  /** Which process serves after the cell: blue, green, or what was seen instead. */
  serves: z.string(),
  lost: z.number().int(),
  duplicated: z.number().int(),
  conflicts: z.number().int(),
  /** The platform's longest time with nobody listening over the cell (the larger of the platforms'). */
  max_gap_ms: z.number(),
  /** Each platform's figures (the totals above are their sums). */
  platforms: z.object({ telegram: PlatformFigures.optional(), discord: PlatformFigures.optional() }).optional(),
  /** Discord messages the cell expects to lose (the session expired): the table says so instead of a count that varies. */
  discord_loss_expected: z.boolean().optional(),
  /** The table the row belongs to (default: every cell with both adapters). */
  table: z.enum(TABLES).optional(),
  /** The bound the gap must stay below, and the deadlines it is made of. */
  bound_ms: z.number(),
  bound: z.string(),
  pass: z.boolean(),
  /** The first failed assertion, when the cell failed. */
  error: z.string().optional(),
});
export type MatrixRow = z.infer<typeof MatrixRow>;

/** Where a matrix file writes its rows: HERMES_RELIABILITY_OUT (with `-discord` for the Discord table), else .tmp/reliability[-discord].jsonl (git-ignored). */
export function resultsPath(env: NodeJS.ProcessEnv = process.env, table: Table = 'both'): string {
  const base = env.HERMES_RELIABILITY_OUT || join(root, '.tmp', 'reliability.jsonl');
  return table === 'both' ? base : base.replace(/(\.jsonl)?$/, `-${table}$1`);
}

const rows = resultsFile(MatrixRow, 'matrix row');
/** Empties the results file (a new run starts). */
export const resetResults = rows.reset;
/** Appends one row (one JSON line) to the results file. */
export const appendResult = rows.append;
/** Reads every row of a results file; throws naming the line that is not a row. */
export const readResults = rows.read;

/** Masks what changes from run to run in a reason (pids, temp paths, handoff ids). */
export function maskReason(reason: string): string {
  return reason
    .replace(/\bpid \d+/g, 'pid N')
    .replace(/'?\/tmp\/[^\s')]*'?/g, '…')
    .replace(/\bhandoff [A-Za-z0-9._-]*\d{6,}[A-Za-z0-9._-]*/g, 'handoff ID')
    .replace(/\bsession [0-9a-f]{16,}\b/g, 'session ID');
}

const cell = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
const ms = (n: number) => `${Math.round(n)} ms`;

const HEADER = ['Fault', 'Phase', 'Verdict', 'Serves after', 'Telegram lost / dup / conflicts', 'Discord lost / dup / conflicts', 'Pass', 'Max gap (Telegram / Discord)', 'Gap bound', 'Reason (as measured)'];
/** The columns a rerun must reproduce exactly (the rest are timings and wording). */
const DETERMINISTIC = 7;

type Figures = z.infer<typeof PlatformFigures>;
const counts = (f: Figures | undefined, lostWords?: string) => (f ? `${lostWords ?? f.lost} / ${f.duplicated} / ${f.conflicts}` : '-');

/** The table cells of a row, deterministic columns first. */
export function rowCells(r: MatrixRow): string[] {
  const tg = r.platforms?.telegram ?? (r.platforms ? undefined : { lost: r.lost, duplicated: r.duplicated, conflicts: r.conflicts, max_gap_ms: r.max_gap_ms });
  const dc = r.platforms?.discord;
  const lostNote = r.discord_loss_expected && dc ? ` (Discord lost ${dc.lost}: sent while no session was live)` : '';
  return [
    r.fault,
    r.phase,
    `\`${r.verdict}\``,
    r.serves,
    counts(tg),
    counts(dc, r.discord_loss_expected ? 'the gap' : undefined),
    r.pass ? '✅' : '❌',
    `${tg ? ms(tg.max_gap_ms) : '-'} / ${dc ? ms(dc.max_gap_ms) : '-'}`,
    `< ${ms(r.bound_ms)}: ${r.bound}`,
    r.reason + lostNote,
  ].map(cell);
}

const tableOf = (r: MatrixRow): Table => r.table ?? 'both';
const marker = (t: Table) => `<!-- table:${t} -->`;

/** The whole of docs/reliability.md for these rows (both tables). */
export function renderDoc(rows: MatrixRow[], meta: { node: string; when: string }): string {
  const passed = rows.filter((r) => r.pass).length;
  const table = (t: Table) => {
    const mine = rows.filter((r) => tableOf(r) === t);
    return [marker(t), `| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`, ...mine.map((r) => `| ${rowCells(r).join(' | ')} |`)];
  };
  return [
    '<!-- Generated by `node scripts/gen-reliability.mjs` from a run of test/faults/matrix.test.ts and test/faults/matrix-discord.test.ts; do not edit by hand. -->',
    '# Reliability: the fault matrix',
    '',
    'Every row is one cell of `test/faults/matrix.test.ts` (the first table) or `test/faults/matrix-discord.test.ts` (the',
    'second), run against real processes: the reference gateway with both of its adapters (Telegram on grammY, Discord on',
    '`@discordjs/ws`; blue, and a green started by the action), the fake platform serving Telegram and Discord at ' + String(RATE),
    'messages a second each, and a real OpenSSH `sshd` on loopback that the engine (or `dist/index.js`, as a runner starts',
    'it) reaches the host through. Each cell asserts the verdict and its reason, that exactly one gateway process is alive',
    'and listening afterwards (one Telegram poller, one live Discord session), that neither platform lost anything, answered',
    'anything twice or saw two listeners at once, and that the longest time with nobody listening stayed below the deadline',
    'of the phase the fault hit.',
    '',
    'Settings of every cell (short, so the matrix fits CI): green start-up 50 ms, bake 1.5 s (the Discord cells 3 s),',
    'heartbeat every 150 ms, heartbeat age limit 1 s, rollback grace 3 s, HANDOFF_ACK deadline 5 s, drain and',
    'HANDOFF_CONFIRM deadlines 3 s each.',
    '',
    `The matrix tests fail when the deterministic columns (fault, phase, verdict, serves after, each platform's lost / dup /`,
    `conflicts, pass) no longer match what they measured; \`${REGEN_COMMAND}\` reruns both and rewrites this file (gap figures included).`,
    '',
    `Last run: ${passed} of ${rows.length} cells passed (Node ${meta.node}, ${meta.when}).`,
    '',
    '## Every cell, with both adapters',
    '',
    ...table('both'),
    '',
    '## Discord-specific cells',
    '',
    ...table('discord'),
    '',
    '## Notes',
    '',
    '- **Max gap** is, per platform, the longest stretch of the whole cell with nobody listening, as the platform measured',
    '  it (Telegram: no `getUpdates` in flight; Discord: no live gateway connection); in rows with a handover it includes',
    "  the handover's own dark window. The bound is the deadline (or sum of deadlines) of the phase the fault hit; where blue",
    "  never stops polling, it is a poll's turnaround on a loaded runner.",
    '- **Discord reconnects.** `@discordjs/ws` waits 500 ms after a dropped connection before it resumes, so the Discord cells',
    '  that drop connections have Discord gaps of half a second and more, by the library\'s design.',
    '- **A session that cannot be resumed** (expired, or `INVALID_SESSION` on the RESUME) is a decided event, not a failure:',
    '  green identifies afresh and the verdict\'s reason says how long after blue paused; the messages Discord sent in that gap',
    '  went to the old session and are lost (Discord keeps nothing for a new session). Those rows say "the gap" instead of a count.',
    '- **Who decides when blue dies.** Blue crashing is detected by green (its connection to blue closes and blue\'s pid is',
    '  gone); green then serves and records the verdict itself ("blue exited during …; green took over"). The action',
    '  learns it by re-attaching to the socket, which green now owns, or from the verdict file.',
    '- **Kills while blue is polling.** A process killed between answering a message and recording that answer in the',
    '  shared store has answered on the platform but not in the store, so whoever resumes answers it again: the',
    "  protocol's limit of at most one duplicate per kill. The cells that kill blue while it still polls (before INIT,",
    '  after ACK) pause production from just before RESERVE until blue is dead, so that instant is not what they',
    "  measure. Every other cell runs under load throughout; green's faults fire at protocol points before it has",
    '  answered anything, or (during the bake) between two replies.',
    '- **Unwritable verdict directory.** `run/handoffs` is made a file before the handoff (tests run as root, so permission',
    '  bits would not stop a write). The handoff still decides; the verdict reaches the action over the socket and its',
    '  reason ends with what could not be recorded (`record_error`).',
    '',
  ].join('\n');
}

/** The deterministic cells of every row of a rendered doc's table `t`. */
export function docRows(doc: string, t: Table = 'both'): string[][] {
  const at = doc.indexOf(marker(t));
  if (at < 0) return [];
  const lines: string[] = [];
  for (const l of doc.slice(at).split('\n').slice(1)) {
    if (!l.startsWith('| ')) break;
    lines.push(l);
  }
  return lines.slice(2).map((l) => splitRow(l).slice(0, DETERMINISTIC));
}

/** The differences between the doc's table `t` and the measured rows of that table (deterministic columns), one line each; empty when they agree. */
export function staleness(doc: string, rows: MatrixRow[], t: Table = 'both'): string[] {
  const have = docRows(doc, t);
  const want = rows.filter((r) => tableOf(r) === t).map((r) => rowCells(r).slice(0, DETERMINISTIC));
  return rowDiff(have, want);
}

