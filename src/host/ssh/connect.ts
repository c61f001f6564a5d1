import { isAbsolute } from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectAgent, type HostAgent } from '../agent.ts';
import { HostConnectionError, HostKeyMismatchError, type ExecOptions, type ExecResult, type Host } from '../host.ts';
import { backoffDelay } from './backoff.ts';
import { ChannelSocket } from './channel-socket.ts';
import { checkPrivateKey, dial, errorContext, whoOf, type Dialed, type Endpoint, type SshLog } from './dial.ts';
import { isPermanent, wrapSshError } from './errors.ts';
import { execOnClient, NotStartedError } from './exec.ts';
import { hostKeyPolicy } from './host-key-policy.ts';
import { SshOptions, type SshOptionsInput } from './options.ts';
import { agentRelayArgv, openRelay } from './relay.ts';
import { Slots } from './slots.ts';
import { openStreamLocal } from './stream-local.ts';

export type { SshLog } from './dial.ts';
export { HostKeyMismatchError } from '../host.ts';

/** Session channels (exec, relay) open at once per connection; below OpenSSH's default MaxSessions of 10. */
const MAX_SESSIONS = 8;

/** A Host over one SSH connection for the whole run, re-established (and re-verified) after an unexpected drop. */
export interface SshHost extends Host {
  readonly kind: 'ssh';
  /** Target connections opened so far (the first one plus reconnects). Jump-host connections are not counted. */
  readonly connectionsOpened: number;
  /** True once a socket had to be relayed through an exec channel because the server refused stream-local. */
  readonly relayInUse: boolean;
  /**
   * The host agent found at connect time (`hermes-handoff-agent hello`), or null on a plain host (or with
   * `agent: off`). When it is set, the engine runs agent operations (agentArgv) instead of shell commands.
   */
  readonly agent: HostAgent | null;
  /** Calls `cb` as soon as the connection drops unexpectedly (not after close()); returns an unsubscribe function. */
  onDisconnect(cb: (err: HostConnectionError) => void): () => void;
}

interface Live {
  dialed: Dialed;
  alive: boolean;
  slots: Slots;
}

/**
 * Validates the options, checks the host key pins and private keys (refusing before any TCP connection when
 * the target or the jump host has no pin and the insecure flag is off), then opens the connection and
 * resolves once it is authenticated. Failures reject with HostConnectionError.
 */
export async function connectSsh(input: SshOptionsInput, log: SshLog): Promise<SshHost> {
  const parsed = SshOptions.safeParse(input);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new HostConnectionError(`invalid SSH options: ${what}`);
  }
  const host = new SshHostImpl(parsed.data, log);
  await host.start();
  return host;
}

class SshHostImpl implements SshHost {
  readonly kind = 'ssh' as const;
  connectionsOpened = 0;
  relayInUse = false;
  agent: HostAgent | null = null;

  private readonly target: Endpoint;
  private readonly jump: Endpoint | null;
  private readonly who: string;
  private live: Live | null = null;
  private reconnecting: Promise<Live> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(err: HostConnectionError) => void>();
  private readonly sockets = new Set<Duplex>();
  private streamLocalRefused = false;
  /** Set by a host key mismatch: every later call rejects with it, and the host is never dialled again. */
  private fatal: HostKeyMismatchError | null = null;

  constructor(
    private readonly opts: SshOptions,
    private readonly log: SshLog,
  ) {
    const insecure = opts.insecureSkipHostKeyCheck;
    this.target = { ...pick(opts), policy: hostKeyPolicy({ host: opts.host, port: opts.port, pins: opts.pins, insecure, role: 'target' }) };
    this.jump = opts.jump
      ? { ...pick(opts.jump), policy: hostKeyPolicy({ host: opts.jump.host, port: opts.jump.port, pins: opts.jump.pins, insecure: opts.jump.insecureSkipHostKeyCheck ?? insecure, role: 'jump' }) }
      : null;
    for (const e of [this.target, this.jump]) {
      if (!e) continue;
      checkPrivateKey(e);
      for (const w of e.policy.warnings) log.warn(w);
    }
    this.who = whoOf(opts);
  }

  /** Opens the first connection (no retries: a bad first connection is reported at once), then looks for the agent. */
  async start(): Promise<void> {
    await this.attach();
    this.log.info(`SSH connected to ${this.who}${this.jump ? ` through ${whoOf(this.jump)}` : ''}`);
    if (this.opts.agent === 'auto') {
      try {
        this.agent = await detectAgent(this, this.log, this.opts.readyTimeoutMs);
      } catch (err) {
        await this.close();
        throw err;
      }
    }
  }

  onDisconnect(cb: (err: HostConnectionError) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec: argv is empty; expected at least the command name');
    const started = Date.now();
    const left = (): number => Math.max(1, opts.timeoutMs - (Date.now() - started));
    for (;;) {
      const live = await this.connectionWithin(left(), `to run ${argv[0]}`);
      const release = await live.slots.acquire();
      try {
        return await execOnClient(live.dialed.target.client, argv, { ...opts, timeoutMs: left() }, { who: this.who, isAlive: () => live.alive, requestedTimeoutMs: opts.timeoutMs });
      } catch (err) {
        // A drop before the channel opened: the command never ran, so it runs on the next connection (within its timeout).
        if (!(err instanceof NotStartedError) || live.alive || this.closed || Date.now() - started >= opts.timeoutMs) throw err;
      } finally {
        release();
      }
    }
  }

  async openSocket(path: string, timeoutMs: number): Promise<Duplex> {
    if (!isAbsolute(path) || path.includes('\0')) throw new Error(`socket path ${JSON.stringify(path)} must be an absolute path on the host (no ~, no NUL)`);
    const started = Date.now();
    const left = (): number => Math.max(1, timeoutMs - (Date.now() - started));
    const live = await this.connectionWithin(timeoutMs, `to open ${path}`);
    let streamLocalError = '';
    if (!this.streamLocalRefused) {
      try {
        const ch = await openStreamLocal(live.dialed.target.client, path, left());
        return this.track(new ChannelSocket(ch));
      } catch (err) {
        if (!live.alive) throw new HostConnectionError(`SSH connection to ${this.who} lost while opening the socket ${path}`);
        if (Date.now() - started >= timeoutMs) throw new Error(`opening the Unix socket ${path} on ${this.who} timed out after ${timeoutMs} ms`);
        streamLocalError = (err as Error).message;
      }
    }
    // sshd says "open failed" both when stream-local is forbidden and when nothing listens: the relay tells which
    const argv = this.relayThroughAgent(path, streamLocalError);
    const release = await live.slots.acquire();
    try {
      const { socket, tool } = await openRelay(live.dialed.target.client, path, left(), release, argv);
      if (!this.streamLocalRefused) {
        this.streamLocalRefused = true;
        this.log.info(fallbackMessage(path, streamLocalError, tool));
      }
      this.relayInUse = true;
      return this.track(socket);
    } catch (err) {
      release();
      if (!live.alive) throw new HostConnectionError(`SSH connection to ${this.who} lost while opening the socket ${path}`);
      const via = streamLocalError ? `stream-local: ${streamLocalError}; ` : '';
      throw new Error(`cannot connect to the Unix socket ${path} on ${this.who}: nothing accepted the connection (${via}${(err as Error).message})`);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** The agent's relay argv when the host runs the agent (undefined: the shell relay); throws when this key may not use it. */
  private relayThroughAgent(path: string, streamLocalError: string): string[] | undefined {
    const a = this.agent;
    if (!a) return undefined;
    const why = streamLocalError ? ` (stream-local: ${streamLocalError})` : '';
    if (a.mode === 'read-only') {
      throw new Error(`cannot open the handoff socket ${path} on ${this.who}${why}: this key is read-only, and the host agent relays the socket only for the full key; use the agent's status operation`);
    }
    if (a.socket !== null && a.socket !== path) {
      throw new Error(`cannot open ${path} on ${this.who}${why}: the host agent relays only its own socket ${a.socket} (set in ${a.config}); make socket-path and the agent's config agree`);
    }
    return agentRelayArgv();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    for (const s of this.sockets) s.destroy();
    const live = this.live;
    this.live = null;
    if (live) await endAll(live.dialed);
  }

  private track(socket: Duplex): Duplex {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  /** The live connection, or a HostConnectionError when it is not back within ms (reconnecting carries on). */
  private async connectionWithin(ms: number, what: string): Promise<Live> {
    if (this.live?.alive || this.closed || this.fatal) return this.connection();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HostConnectionError(`SSH connection to ${this.who} is down and was not re-established within ${ms} ms ${what}`)), ms);
    });
    const pending = this.connection();
    pending.catch(() => {}); // reported to this caller through the race, or to the next one
    try {
      return await Promise.race([pending, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The live connection, reconnecting first when it dropped. */
  private connection(): Promise<Live> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new HostConnectionError(`the SSH host ${this.who} is closed`));
    if (this.live?.alive) return Promise.resolve(this.live);
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = null;
    });
    return this.reconnecting;
  }

  private async reconnect(): Promise<Live> {
    const { attempts, baseDelayMs, maxDelayMs } = this.opts.reconnect;
    let last: unknown = new HostConnectionError(`reconnecting is disabled (reconnect.attempts is 0)`);
    for (let n = 1; n <= attempts; n++) {
      const delay = backoffDelay(n, baseDelayMs, maxDelayMs);
      this.log.warn(`SSH connection to ${this.who} is down; reconnecting (attempt ${n}/${attempts}${delay > 0 ? `, after ${delay} ms` : ''})`);
      if (delay > 0) await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => {});
      if (this.closed) throw new HostConnectionError(`the SSH host ${this.who} was closed while reconnecting`);
      try {
        const live = await this.attach();
        this.log.warn(`SSH connection to ${this.who} re-established (host key verified again)`);
        return live;
      } catch (err) {
        last = err;
        if (err instanceof HostKeyMismatchError) {
          // a different key on reconnect is a MITM until proven otherwise: never dial it again this run
          this.fatal = err;
          this.log.warn(err.message);
          throw err;
        }
        if (isPermanent(err) || this.closed) throw err;
        this.log.warn(`reconnect attempt ${n}/${attempts} to ${this.who} failed: ${(err as Error).message}`);
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new HostConnectionError(`SSH connection to ${this.who} lost and could not be re-established after ${attempts} attempts; last error: ${why}`);
  }

  /** Dials, counts the connection, and watches it for an unexpected drop. */
  private async attach(): Promise<Live> {
    const dialed = await dial(this.opts, this.target, this.jump, this.log);
    if (this.closed) {
      await endAll(dialed);
      throw new HostConnectionError(`the SSH host ${this.who} was closed while connecting`);
    }
    this.connectionsOpened++;
    const live: Live = { dialed, alive: true, slots: new Slots(MAX_SESSIONS) };
    const gone = (): void => {
      if (!live.alive) return;
      live.alive = false;
      if (this.live === live) this.live = null;
      void endAll(dialed);
      if (this.closed) return;
      const cause = dialed.target.lastError() ?? dialed.jump?.lastError();
      const why = cause ? wrapSshError(cause, errorContext(this.who, this.opts)).message : 'the server closed it';
      const err = new HostConnectionError(`SSH connection to ${this.who} lost (${why})`);
      this.log.warn(err.message);
      for (const cb of this.listeners) {
        try {
          cb(err);
        } catch {
          // a listener's failure must not stop the others from hearing of the drop
        }
      }
    };
    dialed.target.client.on('close', gone);
    dialed.jump?.client.on('close', gone);
    this.live = live;
    return live;
  }
}

/** The log line for a stream-local refusal: the sshd log lines that tell why, and the options behind each. */
export function fallbackMessage(path: string, streamLocalError: string, tool: string): string {
  return (
    `the SSH server refused a stream-local channel to ${path} (${streamLocalError}), so the socket is relayed through ${tool} on the host ` +
    `over an exec channel of the same connection. For the direct channel, look in sshd's log for: ` +
    `"refused streamlocal port forward" (AllowStreamLocalForwarding is no or remote, DisableForwarding yes, or the key has restrict or no-port-forwarding without port-forwarding), or ` +
    `"Received request to connect to path ${path}, but the request was denied" (AllowTcpForwarding is no or remote, PermitOpen none, or a PermitOpen or permitopen= list without [${path}]:*); ` +
    `docs/host-setup.md#sshd-settings has the set-up that allows it`
  );
}

function pick(e: { host: string; port: number; username: string; privateKey: string; passphrase?: string | undefined }): Omit<Endpoint, 'policy'> {
  return { host: e.host, port: e.port, username: e.username, privateKey: e.privateKey, passphrase: e.passphrase };
}

/** Ends both connections and waits (briefly) for them to close. */
async function endAll(d: Dialed): Promise<void> {
  await Promise.all([d.target, d.jump].map((c) => {
    if (!c || c.isClosed()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        c.client.destroy();
        resolve();
      }, 2000);
      c.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      c.client.end();
    });
  }));
}
