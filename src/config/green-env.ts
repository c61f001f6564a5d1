import { Expected, worded, type Wording } from './fields.ts';
import { RESERVED_GREEN_ENV } from './inputs.ts';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads green's environment: one `KEY=VALUE` a line; blank lines and lines starting with `#` are
 * skipped. The value is everything after the first `=`, kept literally (quotes and further `=`
 * included). Every value is a secret: errors name line numbers and valid key names only.
 */
export function greenEnv(s: string): Record<string, string> {
  const env = new Map<string, string>();
  const problems: Wording[] = [];
  s.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const n = i + 1;
    const eq = line.indexOf('=');
    if (eq < 0) {
      problems.push(`line ${n}: expected KEY=VALUE`);
      return;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!KEY.test(key)) problems.push(`line ${n}: expected a KEY matching [A-Za-z_][A-Za-z0-9_]* before "=" (no spaces around it)`);
    // Not an environment variable anyone needs, and unsafe as an object key.
    else if (key === '__proto__') problems.push(`line ${n}: __proto__ cannot be used as a KEY`);
    else if (RESERVED_GREEN_ENV.has(key)) problems.push((w) => `line ${n}: ${key} is set by hermes-handoff itself (use the ${w.input('runtime')} and ${w.input('release')} ${w.inputs})`);
    else if (env.has(key)) problems.push(`line ${n}: ${key} is set twice`);
    else if (value.includes('\0')) problems.push(`line ${n}: the value of ${key} contains a NUL byte`);
    else env.set(key, value);
  });
  if (problems.length > 0) throw new Expected((w) => problems.map((p) => worded(p, w)).join('; '), false);
  return Object.fromEntries(env);
}
