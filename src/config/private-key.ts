import ssh2 from 'ssh2';
import { Expected } from './fields.ts';

/**
 * Reads a private key (OpenSSH, PEM or PuTTY text); empty gives null. Line breaks are normalised to
 * LF and a final LF is added. Encrypted keys are accepted here; `keyProblem` checks the passphrase.
 * No message ever quotes the key.
 */
export function privateKey(s: string): string | null {
  if (s === '') return null;
  if (!s.includes('\n') && s.includes('\\n')) {
    throw new Expected('expected a private key with real line breaks; this one has "\\n" sequences instead (store the key file as it is)', false);
  }
  const key = `${s.replace(/\r\n?/g, '\n').trim()}\n`;
  if (/^(ssh-|ecdsa-|sk-)/.test(key)) throw new Expected('expected the private key; this is a public key', false);
  const problem = keyProblem(key, undefined);
  if (problem !== null && problem.input === 'key') throw new Expected(problem.message, false);
  return key;
}

/** Why `key` (with `passphrase`) cannot be used, naming which of the two is at fault; null when it can. */
export function keyProblem(key: string, passphrase: string | undefined): { input: 'key' | 'passphrase'; message: string } | null {
  const parsed = ssh2.utils.parseKey(key, passphrase);
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === undefined || first instanceof Error) {
    // ssh2's messages name the problem, never the key material; map them to ours all the same.
    const msg = first instanceof Error ? first.message : '';
    if (/no passphrase given/i.test(msg)) return { input: 'passphrase', message: 'expected a passphrase: the private key is encrypted' };
    if (/passphrase|integrity check|decrypt/i.test(msg)) return { input: 'passphrase', message: 'expected the passphrase of the private key; this one does not decrypt it' };
    return { input: 'key', message: 'expected a private key in OpenSSH or PEM form (-----BEGIN OPENSSH PRIVATE KEY----- ...), unencrypted or with its passphrase' };
  }
  if (!first.isPrivateKey()) return { input: 'key', message: 'expected the private key; this is a public key' };
  return null;
}
