// Opens one authenticated ssh2 connection (optionally through a jump host), verifying each host key against
// its pins. ssh2's Client is used directly rather than node-ssh: node-ssh wraps neither stream-local channels
// nor a connection carried over another connection's forwarded stream, and we need both, plus the raw host key
// blob in hostVerifier to compute ssh-keygen's fingerprint.
import ssh2 from 'ssh2';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { HostConnectionError } from '../host.ts';
import { HostKeyMismatchError } from '../host.ts';
import { permanentError, wrapSshError, type ErrorContext } from './errors.ts';
import type { HostKeyPolicy } from './host-key-policy.ts';
import type { SshOptions } from './options.ts';

/** Where log lines go; never receives key material. */
export interface SshLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface Endpoint {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string | undefined;
  policy: HostKeyPolicy;
}

/** One open connection and what it last reported. */
export interface OpenClient {
  client: Client;
  /** `user@host:port` */
  who: string;
  /** The last error ssh2 emitted after ready (e.g. a keepalive timeout), for the disconnect message. */
  lastError(): unknown;
  /** True once the connection's socket has closed. */
  isClosed(): boolean;
}

export interface Dialed {
  target: OpenClient;
  jump: OpenClient | null;
}

/** `user@host:port` of an endpoint, for messages (never the key). */
export function whoOf(e: { username: string; host: string; port: number }): string {
  return `${e.username}@${e.host}:${e.port}`;
}

/** Throws a permanent HostConnectionError (before any network I/O) when the private key cannot be parsed. */
export function checkPrivateKey(e: { username: string; host: string; port: number; privateKey: string; passphrase?: string | undefined }): void {
  const parsed = ssh2.utils.parseKey(e.privateKey, e.passphrase);
  if (parsed instanceof Error) throw permanentError(`the private key for ${whoOf(e)} cannot be used: ${parsed.message}`);
}

/** Connects to the target (through the jump host when one is given) and resolves once both are authenticated. */
export async function dial(opts: SshOptions, target: Endpoint, jump: Endpoint | null, log: SshLog): Promise<Dialed> {
  if (!jump) return { target: await connectClient(target, opts, log), jump: null };
  const j = await connectClient(jump, opts, log);
  try {
    const stream = await forward(j, target, errorContext(j.who, opts));
    return { target: await connectClient(target, opts, log, stream), jump: j };
  } catch (err) {
    j.client.end();
    throw err;
  }
}

function forward(j: OpenClient, target: Endpoint, ctx: ErrorContext): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      j.client.forwardOut('127.0.0.1', 0, target.host, target.port, (err, ch) => {
        if (err) reject(new HostConnectionError(`the jump host ${j.who} could not open a TCP connection to ${target.host}:${target.port}: ${err.message} (is AllowTcpForwarding enabled there, and is the target reachable from it?)`));
        else resolve(ch);
      });
    } catch (err) {
      reject(wrapSshError(err, ctx));
    }
  });
}

/** The context error messages need for a connection. */
export function errorContext(who: string, o: { readyTimeoutMs: number; keepaliveIntervalMs: number; keepaliveCountMax: number }): ErrorContext {
  return { who, readyTimeoutMs: o.readyTimeoutMs, keepaliveIntervalMs: o.keepaliveIntervalMs, keepaliveCountMax: o.keepaliveCountMax };
}

function connectClient(e: Endpoint, opts: SshOptions, log: SshLog, sock?: ClientChannel): Promise<OpenClient> {
  const who = whoOf(e);
  const ctx = errorContext(who, opts);
  const client = new ssh2.Client();
  let refusal: string | null = null;
  let last: unknown = null;
  let closed = false;
  const config: ConnectConfig = {
    host: e.host,
    port: e.port,
    username: e.username,
    privateKey: e.privateKey,
    passphrase: e.passphrase,
    readyTimeout: opts.readyTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    // only public-key auth: never fall back to agent, password or keyboard prompts on a runner
    authHandler: ['publickey'],
    hostVerifier: (key: Buffer): boolean => {
      const d = e.policy.verify(key);
      if (!d.ok) {
        refusal = d.message;
        return false;
      }
      if (d.via === 'insecure') {
        log.warn(
          `INSECURE: the host key of ${e.policy.alias} was NOT verified (insecure-skip-host-key-check is set and no pin is given). ` +
            `Anyone who can intercept this connection could impersonate the host and receive every command and secret of this run. ` +
            `The server offered ${d.fingerprint} (${d.keyType}); if that is the real key, pin it: ${e.policy.fingerprintInput}: ${d.fingerprint}`,
        );
      }
      return true;
    },
  };
  if (e.policy.serverHostKey) config.algorithms = { serverHostKey: e.policy.serverHostKey };
  if (sock) config.sock = sock;

  return new Promise<OpenClient>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(refusal !== null ? new HostKeyMismatchError(refusal) : wrapSshError(err, ctx));
    };
    // stays attached for the connection's life: an 'error' with no listener would crash the process
    client.on('error', (err: unknown) => {
      last = err;
      fail(err);
    });
    client.once('close', () => {
      closed = true;
      fail(new Error('the server closed the connection during the handshake'));
    });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.setNoDelay(true); // small protocol frames must not wait for Nagle
      resolve({ client, who, lastError: () => last, isClosed: () => closed });
    });
    try {
      client.connect(config);
    } catch (err) {
      fail(err);
    }
  });
}
