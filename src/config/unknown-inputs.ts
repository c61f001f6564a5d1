import { closestName } from './closest.ts';
import { INPUT_NAMES } from './inputs.ts';

/** The runner's variable for input `name`: INPUT_<NAME>, upper case, spaces as underscores (as @actions/core reads it). */
const envName = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
const KNOWN: ReadonlySet<string> = new Set(INPUT_NAMES.map(envName));

/**
 * One warning for each INPUT_* variable that names no input of the action (a typo in `with:`, which the
 * action would otherwise ignore in silence: act_runner does not warn), with the closest valid name.
 */
export function unknownInputWarnings(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith('INPUT_') || KNOWN.has(key)) continue;
    const given = key.slice('INPUT_'.length).toLowerCase();
    // Names come from the workflow file; anything unusual is not repeated into the log.
    const shown = /^[a-z0-9_. -]{1,64}$/.test(given) ? `"${given}"` : 'with an unusual name';
    const near = closestName(given, INPUT_NAMES);
    out.push(`input ${shown} (${/^[A-Z0-9_. -]{1,70}$/.test(key) ? key : 'INPUT_...'}) is not an input of hermes-handoff and is ignored${near === null ? ' (action.yml lists the inputs)' : `: did you mean ${near}?`}`);
  }
  return out;
}
