// Hostile clients and the checks around them, for the fault tests: raw byte connections to the
// handoff socket, a TCP listener that records who connects, a throwaway local user, secret scans,
// and a host (sshd + blue) whose paths are full of shell syntax.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { startFakePlatform, type FakePlatform, type PlatformStats } from '../../examples/gateway/platform/server.ts';
import { readPidFile, stopAll } from '../../examples/demo/processes.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { Frame } from '../../src/protocol/frames.ts';
import { builtDist } from './action-runner.ts';
import { requireSshd, startSshd, type Sshd } from './sshd.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Raw connections

/** One raw connection to a Unix socket: write any bytes, see every frame blue sends and when it closes. */
export interface RawConn {
  /** Frames received so far, in order (validated against the protocol's schema). */
  readonly frames: Frame[];
  /** Lines received that are not a valid frame (blue must never send one). */
  readonly garbage: string[];
  /** Writes bytes; errors after blue closed (EPIPE, ECONNRESET) are ignored. */
  write(bytes: Uint8Array | string): void;
  /** Half-closes: no more bytes from us. */
  end(): void;
  /** Resolves with the next frame not yet returned, or null when the connection closed or `timeoutMs` passed first. */
  nextFrame(timeoutMs: number): Promise<Frame | null>;
  /** Resolves with ms from connect to close, or null if still open after `timeoutMs`. */
  closed(timeoutMs: number): Promise<number | null>;
  /** Milliseconds from connect to close, or null while open. */
  readonly closedAfterMs: number | null;
  /** The errno name of an error after connect (EPIPE, ECONNRESET: expected once blue closed), or null. */
  readonly errorCode: string | null;
  /** Closes our end at once. */
  destroy(): void;
}

/** Error codes of a connection that never opened (EAGAIN when the listen backlog is full, EACCES...). */
export class ConnectError extends Error {
  /** `code` is the errno name of the failed connect. */
  constructor(readonly code: string) {
    super(`connect failed: ${code}`);
  }
}

/** Connects to the Unix socket at `path`; rejects with ConnectError when the connect fails. */
export function openRaw(path: string): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const s: Socket = createConnection(path);
    let opened = false;
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (!opened) reject(new ConnectError(e.code ?? e.message));
    });
    s.once('connect', () => {
      opened = true;
      resolve(wrap(s));
    });
  });
}

function wrap(s: Socket): RawConn {
  const start = performance.now();
  const frames: Frame[] = [];
  const garbage: string[] = [];
  let read = 0;
  let buf = '';
  let closedAt: number | null = null;
  let errorCode: string | null = null;
  s.on('error', (e: NodeJS.ErrnoException) => (errorCode ??= e.code ?? e.message));
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        garbage.push(line);
        continue;
      }
      const f = Frame.safeParse(parsed);
      if (f.success) frames.push(f.data);
      else garbage.push(line);
    }
    wake();
  });
  const done = () => {
    closedAt ??= performance.now() - start;
    wake();
  };
  s.on('end', done);
  s.on('close', done);
  const waitFor = async <T>(ready: () => T | undefined, timeoutMs: number): Promise<T | undefined> => {
    const by = performance.now() + timeoutMs;
    for (;;) {
      const v = ready();
      if (v !== undefined) return v;
      const left = by - performance.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const timer = setTimeout(fin, left);
        function fin() {
          clearTimeout(timer);
          waiters.delete(fin);
          r();
        }
        waiters.add(fin);
      });
    }
  };
  return {
    frames,
    garbage,
    write(bytes) {
      if (!s.destroyed && s.writable) s.write(bytes, () => {});
    },
    end() {
      if (!s.destroyed && s.writable) s.end();
    },
    async nextFrame(timeoutMs) {
      const f = await waitFor(() => (read < frames.length ? frames[read++] : closedAt !== null ? null : undefined), timeoutMs);
      return f ?? null;
    },
    async closed(timeoutMs) {
      return (await waitFor(() => closedAt ?? undefined, timeoutMs)) ?? null;
    },
    get closedAfterMs() {
      return closedAt;
    },
    get errorCode() {
      return errorCode;
    },
    destroy() {
      s.destroy();
    },
  };
}

/** What one hostile connection got: its frames and when blue closed it. */
export interface ProbeResult {
  frames: Frame[];
  garbage: string[];
  /** Ms from connect to close; null when it was still open at the probe's timeout (then we closed it). */
  closedAfterMs: number | null;
}

/** Writes `chunks` (with `gapMs` between them), keeps the connection open and waits up to `timeoutMs` for blue to close it. */
export async function probe(path: string, chunks: Array<Uint8Array | string>, opts: { gapMs?: number; timeoutMs: number }): Promise<ProbeResult> {
  const c = await openRaw(path);
  try {
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0 && opts.gapMs) await sleep(opts.gapMs);
      if (c.closedAfterMs !== null) break;
      c.write(chunk);
    }
    const closedAfterMs = await c.closed(opts.timeoutMs);
    return { frames: [...c.frames], garbage: [...c.garbage], closedAfterMs };
  } finally {
    c.destroy();
  }
}

/** Asserts that `r` is exactly one fatal ERROR with `code` (and a message matching `message`), then a close within `withinMs`. */
export function assertRefused(r: ProbeResult, code: string, message: RegExp, withinMs: number, what: string): void {
  const seen = JSON.stringify(r);
  assert.deepEqual(r.garbage, [], `${what}: blue sent lines that are not frames: ${seen}`);
  assert.equal(r.frames.length, 1, `${what}: expected one ERROR frame: ${seen}`);
  const f = r.frames[0]!;
  assert.ok(f.type === 'ERROR', `${what}: expected ERROR, got ${seen}`);
  assert.equal(f.code, code, `${what}: ${seen}`);
  assert.equal(f.fatal, true, `${what}: ${seen}`);
  assert.match(f.message, message, `${what}: ${seen}`);
  assert.ok(r.closedAfterMs !== null && r.closedAfterMs <= withinMs, `${what}: blue must close within ${withinMs} ms: ${seen}`);
}

/** The number of open file descriptors of `pid` (from /proc), or null when it cannot be read. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Who connects

/** A TCP listener on 127.0.0.1 that counts and drops every connection: proof that nothing connected. */
export interface ConnectionRecorder {
  port: number;
  /** `http://127.0.0.1:PORT`, for GITHUB_API_URL. */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts a recorder on an ephemeral loopback port. */
export async function recordConnections(): Promise<ConnectionRecorder> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.on('error', () => {});
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** The text a runner shows: `::add-mask::` lines are consumed by the runner and never printed. */
export function visible(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

/** The lines of a private key an attacker could use (its base64 body), each long enough to be unmistakable. */
export function keyLines(key: string): string[] {
  return key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
}

/** Asserts that no secret occurs in any of `places` (name -> text), after dropping `::add-mask::` lines. */
export function assertNoSecrets(places: Record<string, string>, secrets: Record<string, string>): void {
  for (const [where, raw] of Object.entries(places)) {
    const text = visible(raw);
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(secret.length >= 8, `secret ${what} is too short to scan for`);
      assert.ok(!text.includes(secret), `${what} appears in ${where}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Another local user

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Creates a throwaway local user (useradd) and deletes it after the test (userdel). Needs root:
 * otherwise the test is skipped with a message and null is returned, except under CI=true where it fails.
 */
export async function throwawayUser(t: TestContext): Promise<LocalUser | null> {
  if (process.getuid?.() !== 0) {
    const why = 'creating another local user needs root (useradd); run the tests as root to check socket permissions';
    if (process.env.CI === 'true') throw new Error(`${why}: under CI this test must run`);
    t.skip(why);
    return null;
  }
  const name = `hhx${Math.random().toString(16).slice(2, 10)}`;
  // useradd refuses while another process holds the lock on /etc/passwd: try a few times.
  for (let attempt = 1; ; attempt++) {
    const add = spawnSync('useradd', ['--no-create-home', '--user-group', '--shell', '/bin/false', name], { encoding: 'utf8' });
    if (add.status === 0) break;
    if (attempt >= 5) throw new Error(`useradd ${name} failed (exit ${add.status}): ${add.stderr}`);
    await sleep(300 * attempt);
  }
  t.after(async () => {
    for (let attempt = 1; ; attempt++) {
      const del = spawnSync('userdel', [name], { encoding: 'utf8' });
      if (del.status === 0) return;
      if (attempt >= 5) throw new Error(`userdel ${name} failed (exit ${del.status}): ${del.stderr}`);
      await sleep(300 * attempt);
    }
  });
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const user = { name, uid: id('-u'), gid: id('-g') };
  assert.ok(user.uid > 0 && user.gid > 0, `no ids for ${name}: ${JSON.stringify(user)}`);
  return user;
}

/** What `user` got trying each access: 'ok', or the errno name (EACCES...). */
export interface AccessResult {
  read: Record<string, string>;
  connect: Record<string, string>;
}

// Plain JS: runs as the other user with nothing but node. argv: JSON {read: [paths], connect: [paths]}.
const ACCESS_SCRIPT = `
const fs = require('node:fs'), net = require('node:net');
const want = JSON.parse(process.argv[1]);
const out = { read: {}, connect: {} };
for (const p of want.read) { try { fs.readFileSync(p); out.read[p] = 'ok'; } catch (e) { out.read[p] = e.code || String(e); } }
(async () => {
  for (const p of want.connect) {
    out.connect[p] = await new Promise((r) => {
      const s = net.createConnection(p);
      s.once('connect', () => { s.destroy(); r('ok'); });
      s.once('error', (e) => r(e.code || String(e)));
    });
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/** Tries, as `user`, to read each file in `read` and to connect to each Unix socket in `connect`. */
export function tryAccessAs(user: LocalUser, access: { read: string[]; connect: string[] }): AccessResult {
  const r = spawnSync(process.execPath, ['-e', ACCESS_SCRIPT, JSON.stringify(access)], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`node as ${user.name} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as AccessResult;
}

// ---------------------------------------------------------------------------------------------
// A host whose paths hold shell syntax

export interface HostileWorld {
  sshd: Sshd;
  platform: FakePlatform;
  /** HERMES_HOME on the host. */
  home: string;
  /** The handoff socket (blue's HERMES_SOCKET). */
  socketPath: string;
  /** The test's own temp dir (short, no shell syntax). */
  dir: string;
  blue: ChildProcess;
  bluePid: number;
  /** Every gateway pid seen; all are stopped after the test. */
  pids: Set<number>;
  /** The command line that starts a green (every word quoted). */
  greenCommand: string;
  /** The pid in gateway.pid. */
  serving(): number | null;
  /** Stops production, waits until everything is answered, and returns the platform's figures. */
  settle(): Promise<PlatformStats>;
  /** blue's log. */
  blueLog(): string;
}

/**
 * Starts sshd, the platform and a blue gateway whose HERMES_HOME and socket are `home(dir)` and
 * `socket(dir)` (dir: the test's temp dir); stopped and removed after the test. Null when sshd is
 * missing outside CI.
 */
export async function hostileWorld(t: TestContext, paths: { home: (dir: string) => string; socket: (dir: string) => string }): Promise<HostileWorld | null> {
  if (!requireSshd(t)) return null;
  const dist = builtDist();
  // Short: a Unix socket path holds at most 107 bytes, and this one carries shell syntax too.
  const dir = mkdtempSync('/tmp/hh');
  const home = paths.home(dir);
  const socketPath = paths.socket(dir);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  // As an operator would: the gateway does not create a missing socket directory before its token.
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  const pids = new Set<number>();
  let sshd: Sshd | null = null;
  let platform: FakePlatform | null = null;
  t.after(async () => {
    const s = readPidFile(join(home, 'gateway.pid'));
    if (s) pids.add(s);
    await stopAll(pids);
    await platform?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  sshd = await startSshd();
  platform = await startFakePlatform({ port: 0, rate: 100, graceMs: 300 });
  const argv = [process.execPath, join(dist, 'cli.js'), 'example-gateway', '--home', home, '--platform', platform.url, '--init-ms', '50', '--poll-timeout', '5'];
  const logPath = join(dir, 'blue.log');
  const fd = openSync(logPath, 'a', 0o600);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERMES_')) env[k] = v;
  const blue = spawn(argv[0]!, argv.slice(1), { env: { ...env, HERMES_RELEASE: 'r1', HERMES_RUNTIME: 'legacy', HERMES_SOCKET: socketPath }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  pids.add(blue.pid!);
  const p = platform;
  const w: HostileWorld = {
    sshd,
    platform: p,
    home,
    socketPath,
    dir,
    blue,
    bluePid: blue.pid!,
    pids,
    greenCommand: shellJoin(argv),
    serving: () => readPidFile(join(home, 'gateway.pid')),
    blueLog: () => readFileSync(logPath, 'utf8'),
    async settle() {
      p.setRate(0);
      const by = Date.now() + 10_000;
      while (p.stats().pending > 0 && Date.now() < by) await sleep(50);
      await sleep(500);
      return p.stats();
    },
  };
  const by = Date.now() + 20_000;
  while (!(await socketAnswers(socketPath))) {
    if (Date.now() > by || blue.exitCode !== null) throw new Error(`blue did not listen on ${JSON.stringify(socketPath)}:\n${w.blueLog()}`);
    await sleep(50);
  }
  return w;
}

/** A short unique path under /tmp that nothing creates unless a hostile value was executed. */
export function markerPath(): string {
  return `/tmp/hq${Math.random().toString(16).slice(2, 7)}`;
}

/**
 * A value that creates `marker` however a careless program pastes it into a shell line: bare, inside
 * double quotes or inside single quotes (its quotes are balanced, so no paste is a syntax error).
 * `short` leaves out the backticks, for a Unix socket path that must stay under 108 bytes.
 */
export function shellPayload(marker: string, opts: { short?: boolean } = {}): string {
  const ticks = opts.short ? '' : `\`touch ${marker}\``;
  return `$(touch ${marker})${ticks}';touch ${marker};'";touch ${marker};"`;
}

/** Throws unless `payload` really runs when pasted bare, in double quotes and in single quotes (so a test with it can fail). */
export function assertPayloadRuns(payload: string, marker: string): void {
  for (const paste of [payload, `"${payload}"`, `'${payload}'`]) {
    rmSync(marker, { force: true });
    spawnSync('sh', ['-c', `: ${paste}`], { stdio: 'ignore' });
    assert.ok(existsSync(marker), `the payload does not run when pasted as ${paste}`);
  }
  rmSync(marker, { force: true });
}
