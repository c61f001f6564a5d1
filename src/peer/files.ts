import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, chmodSync, writeSync, unlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseHandoffId } from '../protocol/ids.ts';
import { VerdictRecord } from '../protocol/frames.ts';

/** Writes `data` to `path` atomically (temp file, fsync, rename) with the given mode. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* best effort */
    }
    throw e;
  }
}

/** Creates `dir` (and parents) and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** The token file beside a socket path. */
export function tokenPathFor(socketPath: string): string {
  return join(dirname(socketPath), 'handoff.token');
}

/** Reads the token beside the socket, or returns null when there is none. */
export function readToken(socketPath: string): string | null {
  try {
    const t = readFileSync(tokenPathFor(socketPath), 'utf8').trim();
    return t.length > 0 ? t : null;
  } catch {
    return null;
  }
}

/** Returns the existing token beside the socket, or writes a fresh random one (0600). */
export function ensureToken(socketPath: string): string {
  // The directory (0700) must exist before the token is written into it.
  ensurePrivateDir(dirname(socketPath));
  const existing = readToken(socketPath);
  if (existing) {
    chmodSync(tokenPathFor(socketPath), 0o600);
    return existing;
  }
  const token = randomBytes(32).toString('hex');
  writeFileAtomic(tokenPathFor(socketPath), token + '\n', 0o600);
  return token;
}

/** Where the verdict of handoff `id` is kept under HERMES_HOME. */
export function verdictPath(home: string, id: string): string {
  return join(home, 'run', 'handoffs', `${parseHandoffId(id)}.json`);
}

/** Writes a verdict record atomically; throws when the disk refuses (the caller reports it). */
export function writeVerdict(home: string, record: VerdictRecord): void {
  const dir = join(home, 'run', 'handoffs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(verdictPath(home, record.handoff_id), JSON.stringify(record, null, 2) + '\n', 0o600);
}

/** Reads and validates a verdict record, or null when it is missing or unreadable. */
export function readVerdict(home: string, id: string): VerdictRecord | null {
  try {
    const r = VerdictRecord.safeParse(JSON.parse(readFileSync(verdictPath(home, id), 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Whether a handoff has a verdict file: none, its verdict, or a file that does not parse. */
export type VerdictState = VerdictRecord['verdict'] | 'unreadable' | null;

/** Whether handoff `id` has a verdict file under `home`, and which verdict it holds. */
export function verdictState(home: string, id: string): VerdictState {
  const path = verdictPath(home, id);
  if (!existsSync(path)) return null;
  return readVerdict(home, id)?.verdict ?? 'unreadable';
}

/** True when `path` exists and is a socket. */
export function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
