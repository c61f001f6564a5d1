import { z } from 'zod';

/**
 * A string of `min` to `max` characters, counted as the protocol counts them: UTF-16 code units
 * (zod's own length checks count code points). JSON Schema gets the same bounds as min/maxLength.
 */
export function chars(max: number, min = 0) {
  return z
    .string()
    .superRefine((v, ctx) => {
      if (v.length < min) ctx.addIssue({ code: 'custom', message: `expected at least ${min} ${min === 1 ? 'character' : 'characters'}` });
      else if (v.length > max) ctx.addIssue({ code: 'custom', message: `expected at most ${max} characters (UTF-16 code units)` });
    })
    .meta({ maxLength: max, ...(min > 0 ? { minLength: min } : {}) });
}
