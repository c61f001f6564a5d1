import { MIN_SECRET_LENGTH } from '../text/scrub.ts';
import type { Settings } from './settings.ts';

/**
 * Every secret value of the run: private keys, passphrases, the token and every green-env value,
 * plus each line of a multi-line value (so a partial leak, like one line of a key, is masked too).
 * Deduplicated, longest first (so a scrubber replaces a whole value before its parts), each at least MIN_SECRET_LENGTH long.
 */
export function secretValues(settings: Settings): string[] {
  const whole: (string | null | undefined)[] = [
    settings.ssh?.privateKey,
    settings.ssh?.passphrase,
    settings.ssh?.jump?.privateKey,
    settings.ssh?.jump?.passphrase,
    settings.report.githubToken,
    ...Object.values(settings.gateway.greenEnv),
  ];
  const out = new Set<string>();
  for (const v of whole) {
    if (v === null || v === undefined) continue;
    for (const part of [v, v.trim(), ...v.split('\n').map((l) => l.trim())]) {
      if (part.length >= MIN_SECRET_LENGTH) out.add(part);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Registers every secret value with `setSecret` (core.setSecret in the action); call it before anything is logged. */
export function maskSecrets(settings: Settings, setSecret: (s: string) => void): void {
  for (const s of secretValues(settings)) setSecret(s);
}
