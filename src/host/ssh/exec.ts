import type { Client, ClientChannel } from 'ssh2';
import { HostConnectionError, type ExecOptions, type ExecResult } from '../host.ts';
import { shellJoin } from '../quote.ts';
import { TailBuffer } from './tail-buffer.ts';

/** Each of stdout and stderr keeps at most this many bytes (the tail). */
export const OUTPUT_CAP_BYTES = 1024 * 1024;

/** The connection dropped before the command's channel opened: the command never ran, so running it again is safe. */
export class NotStartedError extends HostConnectionError {}

export interface ExecContext {
  /** `user@host:port`, for messages. */
  who: string;
  /** False once the connection has dropped: a channel that closes without an exit status then means "lost". */
  isAlive(): boolean;
  /** The timeout the caller asked for, named in the timeout error (opts.timeoutMs may be what is left of it). */
  requestedTimeoutMs?: number;
}

/**
 * Runs argv on one new session channel of `client`: the command line is shellJoin(argv), stdin is written then
 * ended, stdout/stderr are collected (tail-capped). Resolves with the exit code or signal; rejects when the
 * channel cannot be opened, the connection drops (HostConnectionError), or timeoutMs passes (the command is
 * sent SIGKILL and its channel closed). sshd ignores signal requests in root sessions (no post-auth privilege
 * separation there), so as root a timed-out command may keep running: wrap long ones in timeout(1) on the host.
 */
export function execOnClient(client: Client, argv: readonly string[], opts: ExecOptions, ctx: ExecContext): Promise<ExecResult> {
  const name = argv[0] ?? '';
  const command = shellJoin(argv);
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let channel: ClientChannel | null = null;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      finish(() => reject(new Error(`command ${name} on ${ctx.who} timed out after ${ctx.requestedTimeoutMs ?? opts.timeoutMs} ms and was killed`)));
      if (channel) {
        try {
          killChannel(channel);
          channel.close();
        } catch {
          // the connection is gone; nothing left to kill from here
        }
      }
    }, opts.timeoutMs);

    try {
      client.exec(command, (err, ch) => {
        if (err) {
          finish(() => reject(ctx.isAlive()
            ? new Error(`cannot start ${name} on ${ctx.who}: the server refused a session channel (${err.message})`)
            : new NotStartedError(`SSH connection to ${ctx.who} lost before ${name} could start`)));
          return;
        }
        channel = ch;
        if (settled) {
          ch.close();
          return;
        }
        const stdout = new TailBuffer(OUTPUT_CAP_BYTES);
        const stderr = new TailBuffer(OUTPUT_CAP_BYTES);
        let code: number | null = null;
        let signal: string | null = null;
        let exited = false;
        ch.on('data', (c: Buffer) => stdout.push(c));
        ch.stderr.on('data', (c: Buffer) => stderr.push(c));
        ch.on('exit', (c: number | null, s?: string) => {
          exited = true;
          code = typeof c === 'number' ? c : null;
          signal = typeof s === 'string' ? s : null;
        });
        ch.on('error', (e: Error) => finish(() => reject(new Error(`command ${name} on ${ctx.who}: channel error: ${e.message}`))));
        ch.on('close', () => {
          if (!exited && !ctx.isAlive()) {
            finish(() => reject(new HostConnectionError(`SSH connection to ${ctx.who} lost while ${name} was running`)));
            return;
          }
          finish(() => resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text() }));
        });
        if (opts.stdin !== undefined && opts.stdin !== '') ch.end(opts.stdin);
        else ch.end();
      });
    } catch (err) {
      finish(() => reject(new NotStartedError(`SSH connection to ${ctx.who} is not open: ${(err as Error).message}`)));
    }
  });
}

/** The parts of an ssh2 channel that killChannel reaches past the public API. */
interface ChannelInternals {
  outgoing?: { id?: unknown; state?: unknown };
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
}

/**
 * Sends SIGKILL to the command of a session channel (sshd delivers it to the command's process group).
 * ssh2's Channel.signal() does nothing once stdin has been ended, which exec always does, although the SSH
 * protocol allows the request on any open channel; so the request goes through ssh2's protocol object.
 */
function killChannel(ch: ClientChannel): void {
  if (ch.writable) {
    ch.signal('KILL');
    return;
  }
  const c = ch as unknown as ChannelInternals;
  const id = c.outgoing?.id;
  const state = c.outgoing?.state;
  const send = c._client?._protocol?.signal;
  if (typeof id === 'number' && (state === 'open' || state === 'eof') && typeof send === 'function') {
    send.call(c._client!._protocol, id, 'KILL');
  }
}
