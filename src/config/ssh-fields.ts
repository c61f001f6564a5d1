import { isIPv6 } from 'node:net';
import { Expected } from './fields.ts';

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;

/** Reads a host name, IPv4 or IPv6 address; empty gives null. A `host:port` gets a hint to use the port input. */
export function hostName(s: string): string | null {
  if (s === '') return null;
  if (HOST_NAME.test(s) || isIPv6(s)) return s;
  if (/^[A-Za-z0-9._-]+:[0-9]+$/.test(s)) throw new Expected('expected a host name or IP address alone; put the port in the "port" input');
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
// What `ssh-keygen -lf` prints: "256 SHA256:... comment (ED25519)".
const KEYGEN_LINE = /^[0-9]+\s+(SHA256:\S+)\s.*\([A-Z0-9-]+\)$/;

/**
 * Reads host key fingerprints: `SHA256:...` as ssh-keygen prints them, separated by newlines or
 * commas; a whole `ssh-keygen -lf` output line is accepted too. Returns them without base64 padding.
 */
export function fingerprints(s: string): string[] {
  const out: string[] = [];
  for (const raw of s.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
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

const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-@.]+|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads OpenSSH known_hosts lines (several allowed, for key rotation); blank and `#` lines are skipped. Returns the lines, trimmed. */
export function knownHosts(s: string): string[] {
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
    if (line.startsWith('SHA256:')) throw new Expected('expected a known_hosts line; this is a fingerprint: put it in the host-fingerprint input', line);
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
