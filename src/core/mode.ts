import { z } from 'zod';

/** What a run does: the action's `mode` input, the CLI's command. */
export const Mode = z.enum(['promote', 'preflight', 'status', 'rollback']);
export type Mode = z.infer<typeof Mode>;
