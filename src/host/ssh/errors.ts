import { HostConnectionError } from '../host.ts';

/** What an ssh2 error may carry besides its message. */
interface Ssh2ErrorShape {
  message?: unknown;
  level?: unknown;
  code?: unknown;
}

export interface ErrorContext {
  /** `user@host:port` of the connection (never a key). */
  who: string;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** True for failures that a retry cannot fix (refused host key, rejected credentials, unreadable key). */
export function isPermanent(err: unknown): boolean {
  return err instanceof HostConnectionError && (err as HostConnectionError & { permanent?: boolean }).permanent === true;
}

/** A HostConnectionError that reconnecting must not retry. */
export function permanentError(message: string): HostConnectionError {
  const e = new HostConnectionError(message);
  Object.defineProperty(e, 'permanent', { value: true });
  return e;
}

/**
 * Turns an ssh2 or socket error into a HostConnectionError whose message says what failed and where,
 * without any key material. Authentication and host-key failures are marked permanent.
 */
export function wrapSshError(err: unknown, ctx: ErrorContext): HostConnectionError {
  if (err instanceof HostConnectionError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Ssh2ErrorShape;
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : '';
  const level = typeof e.level === 'string' ? e.level : '';
  const at = ctx.who.slice(ctx.who.indexOf('@') + 1);
  let out: HostConnectionError;
  if (level === 'client-authentication') {
    out = permanentError(
      `SSH authentication failed for ${ctx.who}: the server accepted none of the offered methods (publickey). ` +
        `Check that the public half of the private key is in the authorized_keys of that user on the host, and the username.`,
    );
  } else if (code === 'ECONNREFUSED') {
    out = new HostConnectionError(`SSH connection to ${at} refused: nothing listens on that port (is sshd running, and is the port right?)`);
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    out = new HostConnectionError(`SSH host ${at}: the name does not resolve (${code})`);
  } else if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    out = new HostConnectionError(`SSH connection to ${at} failed: ${code} (host unreachable or a firewall drops the packets)`);
  } else if (code === 'ECONNRESET' || code === 'EPIPE') {
    out = new HostConnectionError(`SSH connection to ${at} was reset by the peer (${code})`);
  } else if (level === 'client-timeout' && /keepalive/i.test(msg)) {
    out = new HostConnectionError(
      `SSH connection to ${at} lost: ${ctx.keepaliveCountMax} keepalives sent every ${ctx.keepaliveIntervalMs} ms went unanswered`,
    );
  } else if (level === 'client-timeout') {
    out = new HostConnectionError(`SSH connection to ${at} timed out after ${ctx.readyTimeoutMs} ms waiting for the handshake`);
  } else if (/cannot parse privatekey|private key|passphrase/i.test(msg)) {
    out = permanentError(`the private key for ${ctx.who} cannot be used: ${msg.replace(/^Cannot parse privateKey: /, '')}`);
  } else {
    out = new HostConnectionError(`SSH connection to ${at} failed: ${msg}${code ? ` (${code})` : ''}`);
  }
  out.cause = err;
  return out;
}
