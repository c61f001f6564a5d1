import { createHash } from 'node:crypto';

/** SHA256 fingerprint of an SSH public key blob, exactly as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64. */
export function fingerprintOf(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Normalises a user-supplied fingerprint for comparison (trims, drops base64 padding); the `SHA256:` prefix is kept. */
export function normalizeFingerprint(fp: string): string {
  return fp.trim().replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first string), or null when the blob is malformed. */
export function keyTypeOf(blob: Uint8Array): string | null {
  if (blob.length < 4) return null;
  const len = ((blob[0]! << 24) | (blob[1]! << 16) | (blob[2]! << 8) | blob[3]!) >>> 0;
  if (len === 0 || len > 64 || 4 + len > blob.length) return null;
  const type = Buffer.from(blob.subarray(4, 4 + len)).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}
