// The last words of a process: whatever escapes every catch ends as one scrubbed line, never a stack
// trace (a stack holds the data of the failed call: a RegExp built from secrets, a host's reply).
import { oneLine } from './host-text.ts';

/** How long a fatal line may be: enough to say what broke, too short to carry a dump. */
export const FATAL_MAX = 500;

const scrubbers = new Set<(text: string) => string>();

/** Adds a scrubber every fatal line passes through (the run's, once it has one); returns a function that removes it. */
export function registerFatalScrub(scrub: (text: string) => string): () => void {
  scrubbers.add(scrub);
  return () => void scrubbers.delete(scrub);
}

/** The message of anything thrown, without its stack; never throws (a getter or a cycle cannot break it). */
function messageOf(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`;
    if (typeof e === 'string') return e;
    return JSON.stringify(e) ?? String(e);
  } catch {
    return 'an unprintable value';
  }
}

/** `e` as one line: scrubbed by every registered scrubber, made inert (oneLine), at most FATAL_MAX long. Never throws. */
export function fatalLine(prefix: string, e: unknown): string {
  let text = messageOf(e);
  for (const scrub of scrubbers) {
    try {
      text = scrub(text);
    } catch {
      // A scrubber that fails must not let the text through unscrubbed.
      text = 'the error message was withheld (it could not be scrubbed)';
    }
  }
  return oneLine(`${prefix}${text}`, FATAL_MAX);
}

/** How a fatal line reaches the reader: the action as a workflow `::error::`, a terminal as plain text. */
export type FatalWriter = (line: string) => void;

/** A workflow `::error::` line for `line` (data escaped as the runner un-escapes it). */
export function errorCommand(line: string): string {
  return `::error::${line.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`;
}

let installed = false;

/**
 * Makes every unhandled rejection and uncaught exception end the process with `code` after one
 * line (fatalLine, with `prefix`) written by `write`: no stack trace, no unscrubbed data, ever.
 * Installs once per process.
 */
export function installFatalHandlers(prefix: string, write: FatalWriter, code = 1): void {
  if (installed) return;
  installed = true;
  const die = (e: unknown) => {
    try {
      write(fatalLine(prefix, e));
    } finally {
      process.exit(code);
    }
  };
  process.on('unhandledRejection', die);
  process.on('uncaughtException', die);
}

/** Runs `fn`; a rejection or throw becomes one fatal line (written by `write`) and `code`. For entries that resolve with an exit code. */
export async function guarded(prefix: string, write: FatalWriter, fn: () => Promise<number>, code = 1): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    write(fatalLine(prefix, e));
    return code;
  }
}
