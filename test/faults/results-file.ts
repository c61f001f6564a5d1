// A results file of measured rows (one JSON line each), as the matrix and the hostile-host tests write
// them for scripts/gen-reliability.mjs: emptied when a run starts, appended to per row, read back checked.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';

/** The three operations on a results file of rows of `schema`; `what` names a row in errors ("matrix row"). */
export interface ResultsFile<T> {
  /** Empties the file (a new run starts), creating its directory. */
  reset(path: string): void;
  /** Appends one row, checked against the schema. */
  append(path: string, row: T): void;
  /** Every row of the file; throws naming the line that is not a row. */
  read(path: string): T[];
}

/** A ResultsFile for rows of `schema`. */
export function resultsFile<S extends z.ZodType>(schema: S, what: string): ResultsFile<z.infer<S>> {
  return {
    reset(path) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, '');
    },
    append(path, row) {
      appendFileSync(path, JSON.stringify(schema.parse(row)) + '\n');
    },
    read(path) {
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l, i) => {
          const r = schema.safeParse(JSON.parse(l));
          if (!r.success) throw new Error(`${path} line ${i + 1}: not a ${what}: ${r.error.issues[0]?.message ?? 'invalid'}`);
          return r.data;
        });
    },
  };
}
