// OpenSSH known_hosts parsing and host matching (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Pure.
import { createHmac } from 'node:crypto';
import { fingerprintOf, keyTypeOf } from './fingerprint.ts';

export interface KnownHostEntry {
  /** 1-based line number across all the given lines, for messages. */
  line: number;
  /** `revoked`: never accept this key. `cert-authority` lines are not returned (unsupported). */
  marker: 'revoked' | null;
  /** Comma-separated host patterns as written; null for a bare `type key` line, which pins the key for any host. */
  patterns: string[] | null;
  keyType: string;
  keyBlob: Buffer;
  fingerprint: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that were skipped and why (never fatal: other lines may still pin the host). */
  warnings: string[];
}

const KEY_TYPE = /^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+$/;

/**
 * Parses OpenSSH known_hosts text (each string may hold several lines). Comments and blank lines are skipped;
 * `@cert-authority` lines and malformed lines are skipped with a warning; a bare `type base64 [comment]` line
 * (a `.pub` file's content) pins that key for any host.
 */
export function parseKnownHosts(texts: readonly string[]): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const warnings: string[] = [];
  const lines = texts.flatMap((t) => t.split(/\r?\n/));
  lines.forEach((raw, i) => {
    const n = i + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    let fields = text.split(/\s+/);
    let marker: 'revoked' | null = null;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@cert-authority') {
        warnings.push(`known-hosts line ${n}: @cert-authority is not supported (host certificates are not checked); pin the host key itself. The line is ignored.`);
        return;
      }
      if (fields[0] !== '@revoked') {
        warnings.push(`known-hosts line ${n}: unknown marker ${fields[0]}; expected @revoked. The line is ignored.`);
        return;
      }
      marker = 'revoked';
      fields = fields.slice(1);
    }
    let patterns: string[] | null;
    let type: string | undefined;
    let b64: string | undefined;
    if (KEY_TYPE.test(fields[0] ?? '') && fields[1] !== undefined && decodesToType(fields[1], fields[0]!)) {
      patterns = null;
      [type, b64] = fields;
    } else {
      patterns = (fields[0] ?? '').split(',').filter((p) => p !== '');
      [, type, b64] = fields;
    }
    if (type === undefined || b64 === undefined || (patterns !== null && patterns.length === 0)) {
      warnings.push(`known-hosts line ${n}: expected "[@revoked] hosts key-type base64-key [comment]". The line is ignored.`);
      return;
    }
    const blob = decodeBase64(b64);
    const inner = blob ? keyTypeOf(blob) : null;
    if (!blob || inner === null) {
      warnings.push(`known-hosts line ${n}: the key is not valid base64 of an SSH public key. The line is ignored.`);
      return;
    }
    if (inner !== type) {
      warnings.push(`known-hosts line ${n}: the key type field says ${type} but the key is ${inner}. The line is ignored.`);
      return;
    }
    if (type.includes('-cert-v01@openssh.com')) {
      warnings.push(`known-hosts line ${n}: certificate keys (${type}) are not supported; pin the plain host key. The line is ignored.`);
      return;
    }
    entries.push({ line: n, marker, patterns, keyType: type, keyBlob: blob, fingerprint: fingerprintOf(blob) });
  });
  return { entries, warnings };
}

/** The name OpenSSH looks up for a host and port: `host` for port 22, `[host]:port` otherwise (lowercased). */
export function lookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/**
 * True when an entry's host patterns match host:port the way OpenSSH matches them: plain names and `*`/`?`
 * wildcards, `!negation` (a matching negation excludes the line), hashed `|1|salt|hash` names.
 * A bare key line (patterns null) matches every host.
 */
export function entryMatchesHost(entry: Pick<KnownHostEntry, 'patterns'>, host: string, port: number): boolean {
  if (entry.patterns === null) return true;
  const name = lookupName(host, port);
  let matched = false;
  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    const hit = p.startsWith('|1|') ? hashedMatches(p, name) : globMatches(p.toLowerCase(), name);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const buf = Buffer.from(text, 'base64');
  return buf.length > 0 ? buf : null;
}

function decodesToType(b64: string, type: string): boolean {
  const blob = decodeBase64(b64);
  return blob !== null && keyTypeOf(blob) === type;
}
