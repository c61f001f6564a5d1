// Shared inputs for the config tests (not a test file itself).
import ssh2 from 'ssh2';

/** A recognisable string: a secret input's value carries it, and no error message may. */
export const MARK = 'S3CR3T-9f2c-MARK';

/**
 * A throwaway ed25519 key (encrypted with `passphrase` when given) that ssh2 can read back. About one key
 * in 300 that ssh2.utils.generateKeyPairSync makes is refused by its own parseKey ("Malformed OpenSSH
 * private key"), which made every test reading one fail now and then: such a key is made again.
 */
export function throwawayKey(passphrase?: string): string {
  for (;;) {
    const key = ssh2.utils.generateKeyPairSync('ed25519', passphrase === undefined ? undefined : { passphrase, cipher: 'aes256-ctr', rounds: 2 }).private;
    const parsed = ssh2.utils.parseKey(key, passphrase);
    if (!((Array.isArray(parsed) ? parsed[0] : parsed) instanceof Error)) return key;
  }
}

/** A throwaway unencrypted ed25519 key. */
export const KEY = throwawayKey();
/** A throwaway encrypted ed25519 key and its passphrase (which carries MARK). */
export const ENC_PASS = `pw-${MARK}`;
export const ENC_KEY = throwawayKey(ENC_PASS);

/** A real-looking SHA256 fingerprint (43 base64 characters). */
export const FP = 'SHA256:ah3AGhNCDNbkapvZf4L9UrY2vtXw0aAA/Nqtz/JQGm0';
export const FP2 = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
export const KNOWN_HOSTS_LINE = '[gw.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** The smallest valid set for a promote over ssh. */
export function minimal(): Record<string, string> {
  return {
    host: 'gw.example.com',
    username: 'deploy',
    'private-key': KEY,
    'host-fingerprint': FP,
    'green-command': 'uv run hermes gateway',
  };
}

/** A getInput over a plain record, '' for anything missing (as core.getInput gives). */
export function inputsOf(values: Record<string, string>): (name: string) => string {
  return (name) => values[name] ?? '';
}

export const ENV = { GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567' };
