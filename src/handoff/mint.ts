import { randomBytes } from 'node:crypto';
import { parseHandoffId } from '../protocol/ids.ts';

/** A new handoff id: time, the release's first characters (made safe) and randomness. */
export function mintHandoffId(release: string, now = Date.now()): string {
  const rel = release.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || 'release';
  return parseHandoffId(`${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${rel}-${randomBytes(3).toString('hex')}`);
}
