import { z } from 'zod';

/** A handoff id: safe to use as a file name and in a shell word. */
export const HandoffId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -')
  .refine((s) => s !== '.' && s !== '..', 'a handoff id cannot be "." or ".."');
export type HandoffId = z.infer<typeof HandoffId>;

/** Returns the id when it is valid, else throws an error that names the value's problem. */
export function parseHandoffId(value: unknown): HandoffId {
  const r = HandoffId.safeParse(value);
  if (!r.success) throw new Error(`invalid handoff id ${JSON.stringify(value)}: ${r.error.issues[0]?.message}`);
  return r.data;
}
