// A real OpenSSH sshd on loopback with throwaway keys, for tests that need a host.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const INSTALL_HINT = 'OpenSSH sshd not found at /usr/sbin/sshd: install openssh-server (apt-get install -y openssh-server)';

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdOptions {
  /** `AllowStreamLocalForwarding` (default true). */
  allowStreamLocal?: boolean;
  /** Host key type (default ed25519). */
  hostKeyType?: HostKeyType;
  /** Directory holding (or receiving) the host and client keys, so a restarted sshd keeps them. Not removed by stop(). */
  hostKeyDir?: string;
  /** More host keys the server also offers (for tests of host key algorithm negotiation). */
  extraHostKeyTypes?: HostKeyType[];
  /** Listen on this port instead of a fresh ephemeral one (e.g. to restart an sshd in place). */
  port?: number;
  /** Appended to the generated sshd_config as is (e.g. a `Match User` block); sshd -t checks it at start. */
  extraConfig?: string;
  /**
   * The authorized_keys file's text, from the client key's public line (`ssh-ed25519 AAAA... comment`); the
   * default is that line alone. `keys.readOnly` is a second client key's line, for two-key set-ups.
   */
  authorizedKeys?: (keys: { full: string; readOnly: string }) => string;
}

export interface Sshd {
  port: number;
  hostKeyPath: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostFingerprint: string;
  /** `[127.0.0.1]:PORT type base64` */
  knownHostsLine: string;
  /** known_hosts lines of the extra host keys, in the order of `extraHostKeyTypes`. */
  extraKnownHostsLines: string[];
  clientKey: string;
  clientKeyPath: string;
  /** A second client key (for a read-only line in `authorizedKeys`); in authorized_keys only when that option puts it there. */
  readOnlyKey: string;
  /** The authorized_keys file sshd reads (rewrite it to change the keys' options between connections). */
  authorizedKeysPath: string;
  username: string;
  dir: string;
  pid: number;
  /** Pids of the sshd processes serving sessions (every sshd below the listener), read from /proc. */
  sessionPids(): number[];
  /** sshd's own log so far (it runs with -e and LogLevel VERBOSE). */
  log(): Promise<string>;
  /** Kills the sessions and the listener, waits for them, and removes the temp dir. */
  stop(): Promise<void>;
}

/** True when /usr/sbin/sshd exists on this machine. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/** Returns true when sshd tests can run; otherwise skips the test (or, under CI=true, throws so it fails). */
export function requireSshd(t: TestContext): boolean {
  if (sshdAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(INSTALL_HINT);
  t.skip(INSTALL_HINT);
  return false;
}

/** Starts a throwaway sshd on 127.0.0.1 (fresh keys unless hostKeyDir holds some) and resolves once it listens. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (!sshdAvailable()) throw new Error(INSTALL_HINT);
  const type = opts.hostKeyType ?? 'ed25519';
  const dir = await mkdtemp(join(tmpdir(), 'hermes-sshd-'));
  let child: ChildProcess | undefined;
  try {
    const keyDir = opts.hostKeyDir ?? dir;
    await mkdir(keyDir, { recursive: true });
    const hostKeyPath = join(keyDir, `ssh_host_${type}_key`);
    const clientKeyPath = join(keyDir, 'client_ed25519');
    await ensureKey(hostKeyPath, type);
    const extraKeyPaths = (opts.extraHostKeyTypes ?? []).map((t) => join(keyDir, `ssh_host_${t}_key`));
    for (const [i, t] of (opts.extraHostKeyTypes ?? []).entries()) await ensureKey(extraKeyPaths[i]!, t);
    await ensureKey(clientKeyPath, 'ed25519');
    const readOnlyKeyPath = join(keyDir, 'client_readonly_ed25519');
    await ensureKey(readOnlyKeyPath, 'ed25519');
    const authorizedKeys = join(dir, 'authorized_keys');
    const full = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
    const readOnly = (await readFile(`${readOnlyKeyPath}.pub`, 'utf8')).trim();
    await writeFile(authorizedKeys, opts.authorizedKeys ? opts.authorizedKeys({ full, readOnly }) : `${full}\n`);
    await chmod(authorizedKeys, 0o600);

    const port = opts.port ?? (await freePort());
    const config = join(dir, 'sshd_config');
    await writeFile(config, sshdConfig({ port, hostKeyPaths: [hostKeyPath, ...extraKeyPaths], authorizedKeys, pidFile: join(dir, 'sshd.pid'), allowStreamLocal: opts.allowStreamLocal ?? true, extra: opts.extraConfig ?? '' }));
    await run(SSHD, ['-t', '-f', config]).catch((e: Error & { stderr?: string }) => {
      throw new Error(`sshd -t refused the test's sshd_config: ${e.stderr?.trim() || e.message}`);
    });
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory

    const logPath = join(dir, 'sshd.log');
    const logFd = openSync(logPath, 'a');
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const started = child;
    const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    await waitForListening(port, started, () => readFile(logPath, 'utf8').catch(() => ''));

    const knownHostsLineOf = async (keyPath: string): Promise<string> => {
      const [kt, key] = (await readFile(`${keyPath}.pub`, 'utf8')).trim().split(/\s+/);
      return `[127.0.0.1]:${port} ${kt} ${key}`;
    };
    const fp = (await run('ssh-keygen', ['-lf', `${hostKeyPath}.pub`])).stdout.trim().split(/\s+/)[1] ?? '';
    const pid = started.pid ?? 0;
    let stopped: Promise<void> | undefined;
    return {
      port,
      hostKeyPath,
      hostFingerprint: fp,
      knownHostsLine: await knownHostsLineOf(hostKeyPath),
      extraKnownHostsLines: await Promise.all(extraKeyPaths.map(knownHostsLineOf)),
      clientKey: await readFile(clientKeyPath, 'utf8'),
      clientKeyPath,
      readOnlyKey: await readFile(readOnlyKeyPath, 'utf8'),
      authorizedKeysPath: authorizedKeys,
      username: userInfo().username,
      dir,
      pid,
      sessionPids: () => sshdDescendants(pid),
      log: () => readFile(logPath, 'utf8').catch(() => ''),
      stop: () => (stopped ??= stopSshd(started, exited, dir)),
    };
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function ensureKey(path: string, type: HostKeyType): Promise<void> {
  if (existsSync(path)) return;
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  await run('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', 'hermes-test', '-f', path]);
}

function sshdConfig(c: { port: number; hostKeyPaths: string[]; authorizedKeys: string; pidFile: string; allowStreamLocal: boolean; extra: string }): string {
  return [
    `Port ${c.port}`,
    'ListenAddress 127.0.0.1',
    ...c.hostKeyPaths.map((k) => `HostKey ${k}`),
    `AuthorizedKeysFile ${c.authorizedKeys}`,
    `PidFile ${c.pidFile}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    `AllowStreamLocalForwarding ${c.allowStreamLocal ? 'yes' : 'no'}`,
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    'UseDNS no',
    'PrintMotd no',
    // a Match block lasts to the end of the file, so extra text goes last
    c.extra,
    '',
  ].join('\n');
}

/** Asks the kernel for a free loopback port by binding port 0 and releasing it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits for sshd's own "Server listening" line: unlike a probe connection, it leaves no trace in sshd's log. */
async function waitForListening(port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  const ready = `Server listening on 127.0.0.1 port ${port}`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${await log()}`);
    }
    if ((await log()).includes(ready)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 10 s:\n${await log()}`);
}

/** Every process below `root` whose command name starts with "sshd", from /proc. */
function sshdDescendants(root: number): number[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // the command name is in parentheses and may itself hold spaces or parentheses
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue; // exited, not yet reaped
      parent.set(Number(name), Number(fields[1]));
      comm.set(Number(name), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // the process exited while we looked
    }
  }
  const out: number[] = [];
  for (const [pid] of parent) {
    let p = parent.get(pid);
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p === root && (comm.get(pid) ?? '').startsWith('sshd')) out.push(pid);
  }
  return out.sort((a, b) => a - b);
}

async function stopSshd(child: ChildProcess, exited: Promise<void>, dir: string): Promise<void> {
  // stopping the listener leaves live sessions up, so end those first
  for (const pid of child.pid ? sshdDescendants(child.pid) : []) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
