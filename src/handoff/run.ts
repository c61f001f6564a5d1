import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import type { EngineIo } from './params.ts';
import { preflight } from './preflight.ts';
import { promote } from './promote.ts';
import { rollback } from './rollback.ts';
import { status } from './status.ts';

/** Runs the engine in `p.mode` and resolves with its Outcome; failures become verdicts, never exceptions. */
export function runMode(p: EngineParams, io: EngineIo): Promise<Outcome> {
  switch (p.mode) {
    case 'promote':
      return promote(p, io);
    case 'preflight':
      return preflight(p, io);
    case 'status':
      return status(p, io);
    case 'rollback':
      return rollback(p, io);
  }
}
