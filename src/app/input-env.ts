/**
 * An action input as the runner passes it (INPUT_<NAME>, spaces as underscores, upper case), trimmed;
 * '' when unset. The same rule as @actions/core's getInput, read without loading @actions/core, so the
 * action can validate its inputs and start connecting before the heavier modules load.
 */
export function inputFromEnv(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}
