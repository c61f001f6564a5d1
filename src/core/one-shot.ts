import { z } from 'zod';

/**
 * Has zod check every schema as it is, without compiling it first. Zod compiles an object schema
 * into a function on its first parse: worth it for a schema parsed thousands of times (a gateway's
 * frames), not for a run that checks its inputs once and reads a few hundred frames, where it only
 * delays the first packet to the host. Call it before any schema is built: the entries load the rest
 * with import() after it.
 */
export function parseWithoutCompiling(): void {
  z.config({ jitless: true });
}
