import { MIN_SECRET_LENGTH } from '../text/scrub.ts';
import { SECRET_INPUTS } from './inputs.ts';
import type { Settings } from './settings.ts';

/** `v`, trimmed, and each of its lines trimmed: a partial leak (one line of a key) is masked too. */
function partsOf(v: string): string[] {
  return [v, v.trim(), ...v.split('\n').map((l) => l.trim())];
}

/**
 * Every secret value of the run: private keys, passphrases, the token and every green-env value,
 * plus each line of a multi-line value (so a partial leak, like one line of a key, is masked too).
 * Deduplicated, longest first (so a scrubber replaces a whole value before its parts), each at least
 * `minLength` long: MIN_SECRET_LENGTH for the runner's masking, 1 for text published beyond the run.
 */
export function secretValues(settings: Settings, minLength = MIN_SECRET_LENGTH): string[] {
  const whole: (string | null | undefined)[] = [
    settings.ssh?.privateKey,
    settings.ssh?.passphrase,
    settings.ssh?.jump?.privateKey,
    settings.ssh?.jump?.passphrase,
    settings.report.githubToken,
    ...Object.values(settings.gateway.greenEnv),
  ];
  const min = Math.max(1, minLength);
  const out = new Set<string>();
  for (const v of whole) {
    if (v === null || v === undefined) continue;
    for (const part of partsOf(v)) if (part.length >= min) out.add(part);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * The secret inputs as given, before any validation (for an entry's last-resort scrubber, which must
 * work even when the inputs are invalid): each secret input, its lines, and the value of each
 * `KEY=VALUE` line of green-env. At least MIN_SECRET_LENGTH long.
 */
export function rawSecretValues(getInput: (name: string) => string): string[] {
  const out = new Set<string>();
  for (const name of SECRET_INPUTS) {
    const v = getInput(name);
    const parts = partsOf(v);
    if (name === 'green-env') for (const line of v.split('\n')) if (line.includes('=')) parts.push(...partsOf(line.slice(line.indexOf('=') + 1)));
    for (const p of parts) if (p.length >= MIN_SECRET_LENGTH) out.add(p);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Registers every secret value with `setSecret` (core.setSecret in the action); call it before anything is logged. */
export function maskSecrets(settings: Settings, setSecret: (s: string) => void): void {
  for (const s of secretValues(settings)) setSecret(s);
}
