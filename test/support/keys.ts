// Throwaway SSH keys for tests.
import ssh2 from 'ssh2';

/**
 * A fresh ed25519 private key (OpenSSH text) that ssh2 itself parses back. ssh2's generator drops a
 * leading zero byte of the public key about once in 250 keys, writing a key its own parser calls
 * malformed; such a key is thrown away and another made, so no test fails by chance.
 */
export function ed25519Key(opts: { passphrase?: string } = {}): string {
  for (;;) {
    const key = opts.passphrase
      ? ssh2.utils.generateKeyPairSync('ed25519', { passphrase: opts.passphrase, cipher: 'aes256-ctr', rounds: 2 }).private
      : ssh2.utils.generateKeyPairSync('ed25519').private;
    if (!(ssh2.utils.parseKey(key, opts.passphrase) instanceof Error)) return key;
  }
}
