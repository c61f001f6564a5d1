import { formatDuration } from '../protocol/format.ts';
import { errorMessage } from '../core/errors.ts';
import { oneLine } from '../text/host-text.ts';

/** A check that did not hold: what the protocol asks for, and what came instead. */
export class Mismatch extends Error {
  override name = 'Mismatch';
  /** `expected` and `got` are shown as they are (values from the peer go through show() first). */
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
  }
}

/**
 * A value from the implementation under test, as inert text for one line: JSON, then the project's
 * one escaping path for host text (no line break, control character or workflow command gets
 * through), at most `max` characters.
 */
export function show(value: unknown, max = 300): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return oneLine(s, max);
}

/** Throws a Mismatch unless `got` equals `want` (compared as JSON). */
export function expectEqual(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Mismatch(`${what} ${show(want)}`, show(got));
}

/** Throws a Mismatch unless `ok`. */
export function expectThat(ok: boolean, expected: string, got: () => string): void {
  if (!ok) throw new Mismatch(expected, got());
}

/** What a case may do beyond its checks: register clean-up, add a note to its line. */
export interface Scope {
  /** Runs `fn` after the case, pass or fail (bounded, errors ignored), last registered first. */
  defer(fn: () => unknown): void;
  /** A remark printed after the case's `ok` (e.g. how long a deadline took, a tolerated variant). */
  note(text: string): void;
}

/** One case: a name that says what is checked, a deadline for all of it, and the checks. */
export interface Case<C> {
  name: string;
  /** The whole case must be over within this many ms. */
  ms: number;
  run(ctx: C, scope: Scope): Promise<void>;
}

/** How a run went. */
export interface RunSummary {
  passed: number;
  failed: number;
}

/** How long one clean-up step may take before the next one runs. */
const CLEANUP_MS = 5_000;

/**
 * Runs the cases in order, each within its deadline, and writes one line per case to `out`:
 * `ok   <name> (<time>)[: notes]` or `FAIL <name>: expected ..., got ...`. `stopOnFailure`
 * names cases after which the run cannot go on sensibly (every later case is then reported as not run).
 */
export async function runCases<C>(cases: readonly Case<C>[], ctx: C, out: (line: string) => void, stopAfter: (name: string) => boolean = () => false): Promise<RunSummary> {
  const summary: RunSummary = { passed: 0, failed: 0 };
  let stopped: string | null = null;
  for (const c of cases) {
    if (stopped !== null) {
      out(`FAIL ${c.name}: not run, because "${stopped}" failed and the cases after it depend on it`);
      summary.failed++;
      continue;
    }
    const cleanups: Array<() => unknown> = [];
    const notes: string[] = [];
    const scope: Scope = { defer: (fn) => cleanups.push(fn), note: (t) => notes.push(t) };
    const t0 = Date.now();
    let failure: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.run(ctx, scope),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Mismatch(`the case over within ${formatDuration(c.ms)}`, 'it was still waiting')), c.ms);
        }),
      ]);
    } catch (e) {
      failure = e instanceof Mismatch ? e.message : `an error: ${show(errorMessage(e))}`;
    } finally {
      clearTimeout(timer);
    }
    for (const fn of cleanups.reverse()) {
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([Promise.resolve().then(fn), new Promise((r) => (bound = setTimeout(r, CLEANUP_MS)))]).catch(() => undefined);
      clearTimeout(bound);
    }
    const took = formatDuration(Date.now() - t0);
    if (failure === null) {
      summary.passed++;
      out(`ok   ${c.name} (${took})${notes.length ? `: ${notes.join('; ')}` : ''}`);
    } else {
      summary.failed++;
      out(`FAIL ${c.name} (${took}): ${failure}`);
      if (stopAfter(c.name)) stopped = c.name;
    }
  }
  return summary;
}
