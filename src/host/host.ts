import type { Duplex } from 'node:stream';

/** What a command run on the host returned. */
export interface ExecResult {
  /** Exit code, or null when the command was ended by a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. Secrets travel here, never in argv. */
  stdin?: string;
  /** The command is killed and the call rejects after this long. */
  timeoutMs: number;
}

/**
 * How the engine reaches the host that runs the gateway. Two implementations:
 * `local` (this machine) and `ssh` (one SSH connection for the whole run).
 * argv is a list of words: an implementation that needs a command string quotes
 * each word itself; nothing is ever pasted into a shell line.
 */
export interface Host {
  /** `local` or `ssh`: for logs only. */
  readonly kind: 'local' | 'ssh';
  /** Runs argv on the host and resolves with its result (a non-zero exit is a result, not an error); a drop before it started retries it, once it may have started rejects. */
  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /** Opens a byte stream to the Unix socket at `path` on the host; rejects when nothing listens there. */
  openSocket(path: string, timeoutMs: number): Promise<Duplex>;
  /** Closes everything the host opened. Idempotent. */
  close(): Promise<void>;
}

/** Thrown by a host when the connection itself failed (not the command). */
export class HostConnectionError extends Error {
  override name = 'HostConnectionError';
}

/**
 * Thrown when the host cannot be trusted: its SSH host key matches no pin (or is revoked), at connect time or on
 * any reconnect. A decided failure (verdict `failed`), never retried: the host dials no more after it, and the
 * message is the same whenever it happens.
 */
export class HostKeyMismatchError extends HostConnectionError {
  override name = 'HostKeyMismatchError';
  /** Marks it as a failure a retry cannot fix. */
  readonly permanent = true;
}
