// Hostile clients and the checks around them, for the fault tests: raw byte connections to the
// handoff socket, a TCP listener that records who connects, a throwaway local user, secret scans,
// and a host (sshd + blue) whose paths are full of shell syntax.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// ---------------------------------------------------------------------------------------------
// A hostile green, and what the runner would make of the action's stdout

/** Carried by every injected line, so a reader of a failure can find where it landed. */
export const INJECT_MARK = 'HH-INJECT';

/**
 * Lines a release under test might print or send back to get the runner to act: workflow commands
 * (GitHub's `::` after any leading white space, the older `##[` anywhere in a line), each after a
 * different line break (LF, CR, CRLF, NEL, U+2028), ANSI escapes, and a `%0A` that the runner would
 * un-escape inside a command's data. Each command's data starts with INJECT_MARK.
 */
export const INJECTED_LINES = [
  `::set-env name=BASH_ENV::${INJECT_MARK} $(id>/tmp/hh-bash-env)`,
  `::add-path::${INJECT_MARK}/tmp/evil-bin`,
  `::set-output name=verdict::${INJECT_MARK} promoted`,
  `::error title=Deploy OK::${INJECT_MARK} all good`,
  `::warning::${INJECT_MARK} plain warning`,
  `   ::notice file=x.py::${INJECT_MARK} indented`,
  `::add-mask::${INJECT_MARK}-failed`,
  `::stop-commands::${INJECT_MARK}`,
  `::save-state name=apiUrl::${INJECT_MARK} http://evil.example`,
  `##[set-env name=EVIL;]${INJECT_MARK}`,
  `before ##[add-path]${INJECT_MARK}/tmp/evil2`,
  `\u001b[2J\u001b[31m${INJECT_MARK} red\u001b[0m \u001b]0;title\u0007 \u009b31m C1 CSI`,
];

/** The injected lines joined by every kind of line break a runner or a terminal acts on. */
export function injectionText(lead: string): string {
  const breaks = ['\n', '\r', '\r\n', '\u0085', '\u2028', '\n'];
  return lead + INJECTED_LINES.map((l, i) => `${breaks[i % breaks.length]}${l}`).join('') + '\n';
}

/** Credentials a host might print: none may reach anything the action writes. Name -> the secret part. */
export const HOST_CREDENTIALS: Record<string, string> = {
  'password in a git remote URL': 'gh0st-Passw0rd-9f2',
  'api key value': 'sk-live-51Hh2Kq9ZxW3vT8mN4pR7',
  'password= value': 'hunter2-Xy7-pw',
  'bearer token': 'eyJhbGciOiJIUzI1NiJ9abcDEF123456',
  'hex secret (64)': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'private key body': 'MIIEowIBAAKCAQEA7bq1Hh2Kq9ZxW3vT8mN4pR7zLq0Yc5sVdE1fGh2Jk3Lm4Np5Qr',
};

/** A log tail that holds every credential of HOST_CREDENTIALS, the way a gateway or git would print them. */
export function credentialText(): string {
  const c = HOST_CREDENTIALS;
  return [
    `fatal: unable to access 'https://deploy:${c['password in a git remote URL']}@git.example.com/hermes.git/': 403`,
    `config loaded: OPENAI_API_KEY=${c['api key value']} model=gpt`,
    `db connect password=${c['password= value']} host=db`,
    `GET /v1/me Authorization: Bearer ${c['bearer token']}`,
    `session secret ${c['hex secret (64)']} loaded`,
    '-----BEGIN RSA PRIVATE KEY-----',
    c['private key body'],
    '-----END RSA PRIVATE KEY-----',
  ].join('\n');
}

/**
 * A green that is the release's own code gone bad: it prints `tail` (its log), connects as green
 * with the token it can read on the host, and answers HANDOFF_INIT with HANDOFF_ROLLBACK and
 * `reason`. Plain CommonJS for node, no dependencies. argv: the JSON file {reason, tail}.
 */
const HOSTILE_GREEN = `
const fs = require('node:fs'), net = require('node:net'), path = require('node:path');
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
process.stdout.write(spec.tail);
const home = process.env.HERMES_HOME, id = process.env.HERMES_HANDOFF_ID;
const sock = process.env.HERMES_HANDOFF_SOCKET || process.env.HERMES_SOCKET || path.join(home, 'run', 'handoff.sock');
const token = fs.readFileSync(path.join(path.dirname(sock), 'handoff.token'), 'utf8').trim();
const c = net.createConnection(sock);
const send = (f) => c.write(JSON.stringify({ v: 1, ...f }) + '\\n');
c.on('connect', () => send({ type: 'HELLO', role: 'green', token, pid: process.pid, handoff_id: id }));
let buf = '';
c.on('data', (b) => {
  buf += b;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const f = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (f.type === 'HANDOFF_INIT') send({ type: 'HANDOFF_ROLLBACK', handoff_id: id, reason: spec.reason });
  }
});
c.on('close', () => process.exit(0));
c.on('error', () => process.exit(1));
setTimeout(() => process.exit(2), 30000).unref();
`;

/** Writes the hostile green and its spec into `dir`; returns the green-command line that starts it. */
export function hostileGreen(dir: string, spec: { reason: string; tail: string }): string {
  const script = join(dir, 'hostile-green.cjs');
  const specFile = join(dir, 'hostile-green.json');
  writeFileSync(script, HOSTILE_GREEN);
  writeFileSync(specFile, JSON.stringify(spec));
  return shellJoin([process.execPath, script, specFile]);
}

/** A workflow command as the runner would parse a line: its name, whether it has properties, its data. */
export interface ParsedCommand {
  line: number;
  name: string;
  props: string;
  data: string;
}

/** What the runner would make of a stdout, line by line. */
export interface StdoutAudit {
  /** Lines read (split as the runner splits: CRLF, CR, LF). */
  lines: number;
  /** Every line the runner would execute as a workflow command. */
  commands: ParsedCommand[];
  /** Commands the action did not write itself (must be none). */
  foreign: ParsedCommand[];
  /** Raw control characters other than LF (ESC, CR, C1, U+2028...), which a terminal or log viewer acts on. */
  controls: number;
}

/** The commands the action writes itself through @actions/core, never with properties. */
const OWN = new Set(['add-mask', 'group', 'endgroup', 'error', 'warning', 'debug']);

/**
 * Reads `stdout` as a runner does: GitHub's runner splits lines at CR, LF or CRLF, trims leading
 * white space and executes `::name props::data`, and executes `##[name props]data` found anywhere
 * in a line; act (Gitea) reads both at the start of a line. A command is the action's own when it is
 * one @actions/core writes (OWN, no properties, data not starting with INJECT_MARK), a
 * `::stop-commands::` with a 32-hex token, or the `::<token>::` that ends it.
 */
export function auditRunnerStdout(stdout: string): StdoutAudit {
  const lines = stdout.split(/\r\n|\r|\n/);
  const commands: ParsedCommand[] = [];
  const foreign: ParsedCommand[] = [];
  let stopped: string | null = null;
  lines.forEach((raw, i) => {
    const line = raw.replace(/^[\s\u0085\u180e]+/, '');
    if (stopped !== null) {
      // While commands are stopped the runner only looks for the line that resumes them.
      if (line === `::${stopped}::`) stopped = null;
      else if (/##\[/.test(raw)) foreign.push({ line: i + 1, name: '##[ while stopped', props: '', data: raw });
      return;
    }
    const v2 = /^::([^\s:]*)(?: ([^:]*))?::(.*)$/.exec(line);
    const v1 = /##\[([^\s\]]*)(?: ([^\]]*))?\](.*)$/.exec(raw);
    for (const [m, old] of [
      [v2, false],
      [v1, true],
    ] as const) {
      if (!m) continue;
      const c: ParsedCommand = { line: i + 1, name: old ? `##[${m[1]}` : m[1] ?? '', props: m[2] ?? '', data: m[3] ?? '' };
      commands.push(c);
      const own = !old && c.props === '' && ((OWN.has(c.name) && !c.data.startsWith(INJECT_MARK)) || (c.name === 'stop-commands' && /^[0-9a-f]{32}$/.test(c.data)));
      if (!own) foreign.push(c);
      else if (c.name === 'stop-commands') stopped = c.data;
    }
  });
  // eslint-disable-next-line no-control-regex -- counting raw control characters is the point
  const controls = [...stdout].filter((ch) => ch !== '\n' && /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(ch)).length;
  return { lines: lines.length, commands, foreign, controls };
}

/** A secret as a RegExp source would spell it: the form the runner's exact-match masking does not hide. */
const regexEscaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Occurrences of any of `secrets` (name -> value), or of its regex-escaped form, in `places`
 * (name -> text), `::add-mask::` lines dropped; one "what in where" each.
 */
export function secretsShown(places: Record<string, string>, secrets: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [where, raw] of Object.entries(places)) {
    const text = visible(raw);
    for (const [what, secret] of Object.entries(secrets)) {
      if (text.includes(secret)) out.push(`${what} in ${where}`);
      else if (text.includes(regexEscaped(secret))) out.push(`${what} (regex-escaped) in ${where}`);
    }
  }
  return out;
}
