/** One bad input: its name and what was expected. */
export interface InputProblem {
  input: string;
  message: string;
}

/** Every bad input of a run at once; the message lists each as `input "NAME": ...` and never holds a secret value. */
export class InputError extends Error {
  override name = 'InputError';
  readonly problems: readonly InputProblem[];

  /** `secrets` are removed from the messages, as a second line of defence: no message should quote them. */
  constructor(problems: readonly InputProblem[], secrets: readonly string[] = []) {
    const clean = problems.map((p) => ({ input: p.input, message: scrub(p.message, secrets) }));
    super(listProblems(clean, (input) => `input "${input}"`));
    this.problems = clean;
  }

  /** The same list with each input named by `label` (the CLI names its flags: `--bake-seconds`). */
  describe(label: (input: string) => string): string {
    return listProblems(this.problems, label);
  }
}

/** `N invalid inputs:` and one line per problem, its input named by `label`. */
function listProblems(problems: readonly InputProblem[], label: (input: string) => string): string {
  const n = problems.length;
  return `${n} invalid input${n === 1 ? '' : 's'}:\n${problems.map((p) => `  ${label(p.input)}: ${p.message}`).join('\n')}`;
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
