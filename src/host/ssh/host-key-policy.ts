// Decides, from the pins, whether an offered host key is accepted. Pure: no I/O.
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { HostConnectionError } from '../host.ts';
import { fingerprintOf, keyTypeOf, normalizeFingerprint } from './fingerprint.ts';
import { entryMatchesHost, parseKnownHosts, type KnownHostEntry } from './known-hosts.ts';
import type { HostPins } from './options.ts';

export type HostKeyDecision =
  | { ok: true; fingerprint: string; keyType: string; via: 'fingerprint' | 'known-hosts' | 'insecure' }
  | { ok: false; fingerprint: string; keyType: string; message: string };

export interface HostKeyPolicy {
  /** `host:port`, for messages. */
  readonly alias: string;
  /** True when no pin applies and the insecure flag lets any key through. */
  readonly insecure: boolean;
  /** Fingerprints that would be accepted. */
  readonly expected: readonly string[];
  /** Host key algorithms to offer, so the server presents a pinned type; undefined leaves ssh2's default. */
  readonly serverHostKey: ServerHostKeyAlgorithm[] | undefined;
  /** The input that takes a fingerprint pin for this connection (`host-fingerprint` or `jump-host-fingerprint`). */
  readonly fingerprintInput: string;
  /** Non-fatal notes about the pins (skipped lines, ignored insecure flag). */
  readonly warnings: readonly string[];
  /** Accepts or refuses an offered host key blob. */
  verify(blob: Uint8Array): HostKeyDecision;
}

export interface PolicyTarget {
  host: string;
  port: number;
  pins: HostPins;
  insecure: boolean;
  /** Which connection this is, to name the right inputs in messages. */
  role: 'target' | 'jump';
}

const ALGORITHMS_FOR_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};
const PREFERENCE = Object.values(ALGORITHMS_FOR_TYPE).flat();

/** The input names a user sets, per connection role, so messages point at the right knob. */
function inputNames(role: 'target' | 'jump'): { kh: string; fp: string } {
  return role === 'jump' ? { kh: 'jump-known-hosts', fp: 'jump-host-fingerprint' } : { kh: 'known-hosts', fp: 'host-fingerprint' };
}

/** How to obtain a pin for host:port; part of every "no pin" refusal. */
export function pinHint(host: string, port: number, role: 'target' | 'jump' = 'target'): string {
  const { kh, fp } = inputNames(role);
  return [
    `Get the host key pin from a machine you trust (best: on the host itself, ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub):`,
    `  ssh-keyscan -p ${port} -t ed25519 ${host} | ssh-keygen -lf -   -> put the SHA256:... value in ${fp}`,
    `  ssh-keyscan -p ${port} -t ed25519 ${host}                      -> put the printed line in ${kh}`,
  ].join('\n');
}

/**
 * Builds the host key policy for one connection. Throws HostConnectionError (before any network I/O) when no pin
 * applies to host:port and the insecure flag is off; the message says how to get a pin.
 */
export function hostKeyPolicy(t: PolicyTarget): HostKeyPolicy {
  const alias = `${t.host}:${t.port}`;
  const { kh, fp: fpInput } = inputNames(t.role);
  const parsed = parseKnownHosts(t.pins.knownHosts);
  const warnings = [...parsed.warnings];
  const revoked = parsed.entries.filter((e) => e.marker === 'revoked');
  const pinned: KnownHostEntry[] = [];
  for (const e of parsed.entries) {
    if (e.marker !== null) continue;
    if (entryMatchesHost(e, t.host, t.port)) pinned.push(e);
    else warnings.push(`${kh} line ${e.line} (${e.keyType} ${e.fingerprint}) is for other hosts than ${alias} and is ignored${portHint(e, t.host, t.port)}.`);
  }
  for (const e of pinned) {
    if (!ALGORITHMS_FOR_TYPE[e.keyType]) warnings.push(`${kh} line ${e.line}: key type ${e.keyType} is not supported by the SSH client, so this pin can never match.`);
  }
  const fingerprints = t.pins.fingerprints.map(normalizeFingerprint);
  const expected = [...new Set([...fingerprints, ...pinned.map((e) => e.fingerprint)])];
  const hasPins = expected.length > 0;

  if (!hasPins && !t.insecure) {
    const why = t.pins.knownHosts.length > 0 ? `none of the ${kh} lines applies to ${alias}` : `neither ${kh} nor ${fpInput} is set`;
    throw new HostConnectionError(`refusing to connect to ${alias}: no pinned host key (${why}).\n${pinHint(t.host, t.port, t.role)}`);
  }
  if (hasPins && t.insecure) warnings.push(`insecure-skip-host-key-check is ignored for ${alias} because host key pins are given; the pins are enforced.`);

  let serverHostKey: ServerHostKeyAlgorithm[] | undefined;
  if (fingerprints.length === 0 && pinned.length > 0) {
    const wanted = new Set(pinned.flatMap((e) => ALGORITHMS_FOR_TYPE[e.keyType] ?? []));
    const list = PREFERENCE.filter((a) => wanted.has(a));
    serverHostKey = list.length > 0 ? list : undefined;
  }

  return {
    alias,
    insecure: !hasPins,
    expected,
    serverHostKey,
    fingerprintInput: fpInput,
    warnings,
    verify(blob: Uint8Array): HostKeyDecision {
      const fingerprint = fingerprintOf(blob);
      const keyType = keyTypeOf(blob) ?? 'unknown';
      const offered = Buffer.from(blob);
      const bad = revoked.find((e) => e.keyBlob.equals(offered));
      if (bad) {
        return { ok: false, fingerprint, keyType, message: `host key of ${alias} refused: the offered key ${fingerprint} (${keyType}) is marked @revoked in ${kh} line ${bad.line}.` };
      }
      if (!hasPins) return { ok: true, fingerprint, keyType, via: 'insecure' };
      if (fingerprints.includes(fingerprint)) return { ok: true, fingerprint, keyType, via: 'fingerprint' };
      if (pinned.some((e) => e.keyBlob.equals(offered))) return { ok: true, fingerprint, keyType, via: 'known-hosts' };
      return {
        ok: false,
        fingerprint,
        keyType,
        message:
          `host key of ${alias} does not match the pins: the server offered ${fingerprint} (${keyType}); expected ${expected.length === 1 ? '' : 'one of '}${expected.join(', ')}. ` +
          `If the host key was rotated on purpose, update ${kh} / ${fpInput}; otherwise someone may be intercepting the connection.`,
      };
    },
  };
}

function portHint(e: KnownHostEntry, host: string, port: number): string {
  if (port === 22 || e.patterns === null) return '';
  const plain = e.patterns.some((p) => p.toLowerCase() === host.toLowerCase());
  return plain ? ` (for port ${port} OpenSSH writes the host as [${host}]:${port}, as ssh-keyscan -p ${port} prints it)` : '';
}
