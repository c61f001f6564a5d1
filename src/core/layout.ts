// Where the gateway's files are on the host. POSIX paths built as strings: the runner may not be POSIX.
import { parseHandoffId } from '../protocol/ids.ts';

/** The gateway's files on the host, absolute (after `~` is expanded there). */
export interface HostLayout {
  /** HERMES_HOME. */
  home: string;
  /** The handoff socket (default `<home>/run/handoff.sock`). */
  socket: string;
  /** The socket's token, `handoff.token` beside the socket. */
  token: string;
  /** Green's logs, one per handoff. */
  logs: string;
  /** The verdict files, `<id>.json`, one per handoff. */
  verdicts: string;
}

/** Joins a directory and a relative path with one `/`. */
export function joinHostPath(dir: string, rel: string): string {
  return `${dir.replace(/\/+$/, '')}/${rel}`;
}

/** The layout under `home` (absolute); `socket` overrides the socket's place (its token moves with it). */
export function hostLayout(home: string, socket: string | null = null): HostLayout {
  const sock = socket ?? joinHostPath(home, 'run/handoff.sock');
  const dir = sock.slice(0, sock.lastIndexOf('/')) || '/';
  return { home, socket: sock, token: joinHostPath(dir, 'handoff.token'), logs: joinHostPath(home, 'logs'), verdicts: joinHostPath(home, 'run/handoffs') };
}

/** The verdict file of handoff `id`; throws when `id` is not a valid handoff id (it becomes a file name). */
export function verdictFile(l: HostLayout, id: string): string {
  return joinHostPath(l.verdicts, `${parseHandoffId(id)}.json`);
}

/** Green's log file for handoff `id`. */
export function greenLogFile(l: HostLayout, id: string): string {
  return joinHostPath(l.logs, `green-${parseHandoffId(id)}.log`);
}

/** Where a systemd green's environment file stays for the unit's lifetime (its restarts read it again). */
export function greenEnvFile(l: HostLayout, id: string): string {
  return joinHostPath(l.home, `run/green-${parseHandoffId(id)}.env`);
}
