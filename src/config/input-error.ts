import { ACTION_WORDS, type Words } from '../core/reasons.ts';

/** One bad input: its name and what was expected. */
export interface InputProblem {
  input: string;
  message: string;
}

/** Every bad input of a run at once; the message lists each (`input "NAME": ...` in the action's words, `--NAME: ...` in the CLI's) and never holds a secret value. */
export class InputError extends Error {
  override name = 'InputError';
  readonly problems: readonly InputProblem[];

  /** `secrets` are removed from the messages, as a second line of defence: no message should quote them. `words` name the inputs. */
  constructor(problems: readonly InputProblem[], secrets: readonly string[] = [], words: Words = ACTION_WORDS) {
    const clean = problems.map((p) => ({ input: p.input, message: scrub(p.message, secrets) }));
    const n = clean.length;
    const noun = n === 1 ? words.inputs.replace(/s$/, '') : words.inputs;
    super(`${n} invalid ${noun}:\n${clean.map((p) => `  ${words.label(p.input)}: ${p.message}`).join('\n')}`);
    this.problems = clean;
  }
}

/**
 * Replaces each secret (and each of its lines) with *** in the part of `message` that quotes a value
 * (after ", got "). Our own wording is left alone, so a secret that happens to be one of its words
 * is not revealed by a *** in an otherwise fixed message.
 */
function scrub(message: string, secrets: readonly string[]): string {
  const at = message.indexOf(', got ');
  if (at < 0) return message;
  const head = message.slice(0, at);
  const text = message.slice(at);
  const parts = secrets
    .flatMap((s) => [s, ...s.split('\n')])
    .map((s) => s.trim())
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of parts) out = out.split(s).join('***');
  return head + out;
}
