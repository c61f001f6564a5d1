// Shared helpers for the SSH host tests (not a test file itself).
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import type { SshOptionsInput } from '../../src/host/ssh/options.ts';
import { startSshd, type Sshd, type SshdOptions } from '../support/sshd.ts';

export interface CapturedLog {
  info(msg: string): void;
  warn(msg: string): void;
  infos: string[];
  warns: string[];
}

/** A log that records what the host says. */
export function captureLog(): CapturedLog {
  const infos: string[] = [];
  const warns: string[] = [];
  return { infos, warns, info: (m) => infos.push(m), warn: (m) => warns.push(m) };
}

/** SSH options for a harness sshd, pinned by its known_hosts line unless `extra` says otherwise. */
export function optionsFor(s: Sshd, extra: Partial<SshOptionsInput> = {}): SshOptionsInput {
  return {
    host: '127.0.0.1',
    port: s.port,
    username: s.username,
    privateKey: s.clientKey,
    pins: { knownHosts: [s.knownHostsLine], fingerprints: [] },
    readyTimeoutMs: 10_000,
    reconnect: { attempts: 4, baseDelayMs: 50, maxDelayMs: 400 },
    ...extra,
  };
}

/** Starts an sshd that is stopped when the test ends, pass or fail. */
export async function sshdFor(t: TestContext, opts?: SshdOptions): Promise<Sshd> {
  const s = await startSshd(opts);
  t.after(() => s.stop());
  return s;
}

/** A Unix echo server at `path` (closed when the test ends); `conns` lists accepted sockets. */
export async function echoServer(t: TestContext, path: string): Promise<{ server: Server; conns: Socket[] }> {
  const conns: Socket[] = [];
  const server = createServer((c) => {
    conns.push(c);
    c.on('error', () => {});
    c.pipe(c);
  });
  server.listen(path);
  await once(server, 'listening');
  t.after(() => {
    for (const c of conns) c.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { server, conns };
}

/** Resolves with `p`, or rejects after ms naming `what` (so a broken test fails instead of hanging). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}

/** Writes `text` to the socket and resolves with the first `text.length` bytes that come back. */
export async function roundTrip(sock: Duplex, text: string): Promise<string> {
  const want = Buffer.byteLength(text);
  let got = Buffer.alloc(0);
  const done = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (got.length >= want) {
        sock.off('data', onData);
        resolve(got.toString('utf8'));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
  sock.write(text);
  return within(done, 10_000, 'echo round trip');
}

/** A loopback TCP proxy standing between the client and an sshd: the path a MITM would sit on. */
export interface TcpProxy {
  port: number;
  /** The upstream port of every connection accepted so far, in order. */
  accepted: number[];
  /** Sends new connections to another upstream port. */
  retarget(port: number): void;
  /** Cuts every open connection (both sides), as a network fault would. */
  cutAll(): void;
}

/** Starts a TCP proxy to 127.0.0.1:upstream, closed (with its connections) when the test ends. */
export async function tcpProxy(t: TestContext, upstream: number): Promise<TcpProxy> {
  let target = upstream;
  const accepted: number[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    accepted.push(target);
    const up = connect(target, '127.0.0.1');
    for (const s of [client, up]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        up.destroy();
      });
    }
    client.pipe(up);
    up.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const cutAll = (): void => {
    for (const s of open) s.destroy();
  };
  t.after(() => {
    cutAll();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port, accepted, retarget: (p) => (target = p), cutAll };
}
