import { isIPv6 } from 'node:net';
import { Expected } from './fields.ts';
import type { InputName } from './inputs.ts';

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;

/** Reads a host name, IPv4 or IPv6 address; empty gives null. A `host:port` gets a hint to use the port input. */
export function hostName(s: string): string | null {
  if (s === '') return null;
  if (HOST_NAME.test(s) || isIPv6(s)) return s;
  const withPort = /^[A-Za-z0-9._-]+:([0-9]+)$/.exec(s);
  if (withPort) throw new Expected((w) => `expected a host name or IP address alone; give the port as ${w.set('port', withPort[1] as string)}`);
  throw new Expected('expected a host name or IP address (IPv6 without brackets)');
}

/** Reads a login name; empty gives null. */
export function userName(s: string): string | null {
  if (s === '') return null;
  if (USER_NAME.test(s)) return s;
  throw new Expected('expected a user name of 1-64 characters A-Z a-z 0-9 . _ - (not starting with - or .)');
}

export interface JumpAddress {
  /** Null when the input names no user: the main `username` is used. */
  username: string | null;
  host: string;
  port: number;
}

/** Reads `[user@]host[:port]` (IPv6 as `[addr]:port`); empty gives null. */
export function jumpAddress(s: string): JumpAddress | null {
  if (s === '') return null;
  const expected = 'expected [user@]host[:port], like deploy@bastion.example.com:2222 (IPv6 as [addr]:port)';
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : null;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const m = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?$/.exec(rest) ?? /^([^:[\]]+)(?::([0-9]+))?$/.exec(rest);
  if (!m || m[1] === undefined) throw new Expected(expected);
  const host = m[1];
  const port = m[2] === undefined ? 22 : Number(m[2]);
  const hostOk = m[0].startsWith('[') ? isIPv6(host) : HOST_NAME.test(host);
  if (!hostOk || !Number.isInteger(port) || port < 1 || port > 65535) throw new Expected(expected);
  if (user !== null && !USER_NAME.test(user)) throw new Expected(expected);
  return { username: user, host, port };
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-@.]+|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// What `ssh-keygen -lf` prints: "256 SHA256:... comment (ED25519)".
const KEYGEN_LINE = /^[0-9]+\s+(SHA256:\S+)\s.*\([A-Z0-9-]+\)$/;

/** What kind of key text `line` is: a known_hosts line (`HOSTS KEYTYPE BASE64KEY`, as ssh-keyscan prints it), a public key without a host, or neither (null). */
function keyLine(line: string): 'known_hosts' | 'public key' | null {
  const words = line.split(/\s+/);
  const [a = '', b = '', c = ''] = words[0]?.startsWith('@') ? words.slice(1) : words;
  if (KEY_TYPE.test(b) && BASE64.test(c)) return 'known_hosts';
  if (KEY_TYPE.test(a) && BASE64.test(b)) return 'public key';
  return null;
}

/**
 * Reads host key fingerprints: `SHA256:...` as ssh-keygen prints them, separated by newlines or
 * commas; a whole `ssh-keygen -lf` output line is accepted too. Returns them without base64 padding.
 * `knownHostsInput` is where a known_hosts line pasted here belongs (the error says so).
 */
export function fingerprints(knownHostsInput: InputName) {
  return (s: string): string[] => readFingerprints(s, knownHostsInput);
}

function readFingerprints(s: string, knownHostsInput: InputName): string[] {
  const out: string[] = [];
  for (const raw of s.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const pasted = keyLine(line);
    if (pasted !== null) {
      throw new Expected(
        (w) =>
          pasted === 'known_hosts'
            ? `expected SHA256 fingerprints; this is a known_hosts line (as ssh-keyscan prints it): it belongs in the other input, ${w.input(knownHostsInput)}`
            : `expected SHA256 fingerprints; this is a public key: its fingerprint is what ssh-keygen -lf prints for it, or write it as a known_hosts line "HOST KEYTYPE KEY" in the other input, ${w.input(knownHostsInput)}`,
        line,
      );
    }
    const keygen = KEYGEN_LINE.exec(line);
    const words = keygen?.[1] !== undefined ? [keygen[1]] : line.split(',').map((w) => w.trim()).filter((w) => w !== '');
    for (const w of words) {
      if (!FINGERPRINT.test(w)) {
        const md5 = /^MD5:|^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(w);
        throw new Expected(
          md5
            ? 'expected a SHA256 fingerprint; MD5 fingerprints are not accepted (ssh-keygen -lf prints SHA256:...)'
            : 'expected SHA256 fingerprints like SHA256:<43 base64 characters>, separated by newlines or commas (ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -)',
          w,
        );
      }
      out.push(w.replace(/=$/, ''));
    }
  }
  return out;
}

/**
 * Reads OpenSSH known_hosts lines (several allowed, for key rotation); blank and `#` lines are skipped.
 * Returns the lines, trimmed. `fingerprintInput` is where a fingerprint pasted here belongs (the error says so).
 */
export function knownHosts(fingerprintInput: InputName) {
  return (s: string): string[] => readKnownHosts(s, fingerprintInput);
}

function readKnownHosts(s: string, fingerprintInput: InputName): string[] {
  const out: string[] = [];
  for (const raw of s.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const fields = words[0]?.startsWith('@') ? words.slice(1) : words;
    const marker = words[0]?.startsWith('@') ? words[0] : null;
    if (marker !== null && marker !== '@revoked' && marker !== '@cert-authority') {
      throw new Expected('expected a known_hosts marker @revoked or @cert-authority', line);
    }
    if (line.startsWith('SHA256:') || KEYGEN_LINE.test(line)) {
      throw new Expected((w) => `expected a known_hosts line; this is a fingerprint: it belongs in the other input, ${w.input(fingerprintInput)}`, line);
    }
    const [hosts, type, key] = fields;
    if (hosts !== undefined && KEY_TYPE.test(hosts)) {
      throw new Expected('expected a known_hosts line "HOST KEYTYPE KEY" (this line has no host: ssh-keyscan HOST prints the full line)', line);
    }
    if (hosts === undefined || type === undefined || key === undefined || !KEY_TYPE.test(type) || !BASE64.test(key)) {
      throw new Expected('expected known_hosts lines "HOST KEYTYPE BASE64KEY", as ssh-keyscan -t ed25519 HOST prints them', line);
    }
    out.push(line);
  }
  return out;
}

/**
 * Why no known_hosts line can match `host` on `port`, when the reason is the port: a line that names
 * the host without a port is for port 22 only, and OpenSSH writes any other port as `[host]:port`.
 * Null when a line may match (or names the host in a way this cannot tell: hashed, wildcards), or when
 * no line names the host at all.
 */
export function knownHostsPortHint(lines: readonly string[], host: string, port: number): string | null {
  if (port === 22) return null;
  const want = `[${host}]:${port}`.toLowerCase();
  const bare = new Set([host.toLowerCase(), `[${host}]:22`.toLowerCase()]);
  let namesHost = false;
  for (const line of lines) {
    const words = line.split(/\s+/);
    if (words[0] === '@revoked') continue;
    const patterns = (words[0]?.startsWith('@') ? words[1] : words[0])?.split(',') ?? [];
    for (const raw of patterns) {
      const p = raw.toLowerCase();
      if (p.startsWith('|') || /[*?!]/.test(p) || p === want) return null;
      if (bare.has(p)) namesHost = true;
    }
  }
  if (!namesHost) return null;
  return `the known_hosts lines name ${host} without a port, which OpenSSH reads as port 22; for port ${port} OpenSSH writes the host as [${host}]:${port} (as ssh-keyscan -p ${port} ${host} prints it)`;
}
