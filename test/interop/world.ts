// Gateways of either language on one handoff socket, the fake platforms in-process under load, and the
// engine's local promote path as the observer: what the interop tests run. Everything it starts, it stops
// (by pid, each one verified by its command line) and its temp dir goes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakePlatform, type FakePlatform, type Kind, type PlatformStats } from '../../examples/gateway/platform/server.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { promote } from '../../src/handoff/promote.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { readToken } from '../../src/peer/files.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { ObserverClient } from '../../src/peer/observer.ts';
import { realOs, waitGone } from '../../src/peer/os.ts';
import { cliBundle } from '../support/bundle.ts';

export type Impl = 'node' | 'python';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Python reference gateway. */
export const PY_GATEWAY = join(ROOT, 'python', 'examples', 'gateway.py');

/** Whether python3 runs here; under CI=true its absence is a failure, not a skip (test/python says so too). */
export function pythonAvailable(): boolean {
  return spawnSync('python3', ['--version'], { timeout: 30_000 }).status === 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A gateway this world started. */
export interface Gateway {
  impl: Impl;
  pid: number;
  log: string;
  exited: Promise<number | null>;
}

export interface WorldOptions {
  kinds?: Kind[];
  /** Messages per second on each kind (default 100). */
  rate?: number;
  /** How long a message the platform can no longer deliver may stay unanswered before it is lost (default 500). */
  graceMs?: number;
}

/** One HERMES_HOME, one socket, the platforms, and the gateways of one test. */
export class World {
  readonly home: string;
  readonly socketPath: string;
  private readonly children: ChildProcess[] = [];
  private readonly logs: string[] = [];
  private seq = 0;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly platform: FakePlatform,
    readonly bundle: string,
    readonly kinds: Kind[],
    readonly rate: number,
    readonly graceMs: number,
  ) {
    this.home = join(dir, 'home');
    this.socketPath = join(this.home, 'run', 'handoff.sock');
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
  }

  /** Starts the platforms in a fresh temp dir; close() runs after the test whatever happens. */
  static async start(t: TestContext, o: WorldOptions = {}): Promise<World> {
    const bundle = await cliBundle();
    const dir = mkdtempSync(join(tmpdir(), 'hh-interop-'));
    const kinds = o.kinds ?? ['telegram'];
    const rate = o.rate ?? 100;
    const graceMs = o.graceMs ?? 500;
    let platform: FakePlatform;
    try {
      platform = await startFakePlatform({ port: 0, kinds, rate, graceMs, discord: { heartbeatMs: 1_000 } });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const w = new World(dir, platform, bundle, kinds, rate, graceMs);
    t.after(() => w.close());
    return w;
  }

  /** The argv of a gateway of `impl` on this home and these platforms. */
  argv(impl: Impl, o: { initMs?: number; fault?: string } = {}): string[] {
    const url = this.platform.url;
    // A plain URL is Telegram's for both gateways; more kinds are named.
    const platforms = this.kinds.length === 1 && this.kinds[0] === 'telegram' ? ['--platform', url] : this.kinds.flatMap((k) => ['--platform', `${k}=${url}`]);
    const head = impl === 'node' ? [process.execPath, this.bundle, 'example-gateway'] : ['python3', PY_GATEWAY];
    return [...head, '--home', this.home, ...platforms, '--init-ms', String(o.initMs ?? 50), '--poll-timeout', '5', ...(o.fault ? ['--fault', o.fault] : [])];
  }

  /** Starts a blue of `impl` and resolves once it listens and answers; the stats window starts then. */
  async startBlue(impl: Impl, release: string, env: Record<string, string> = {}): Promise<Gateway> {
    const g = this.spawn(impl, 'blue', this.argv(impl), { HERMES_RELEASE: release, HERMES_RUNTIME: 'legacy', ...env });
    const by = Date.now() + 20_000;
    while (!(await socketAnswers(this.socketPath, 200))) {
      if (Date.now() > by) throw new Error(`${impl} blue did not listen within 20 s:\n${this.tail(g.log)}`);
      await sleep(20);
    }
    await this.untilAnswering();
    this.platform.resetStats();
    return g;
  }

  /** The engine's local promote path with short deadlines, starting a green of `impl` (with `fault`). */
  async promote(impl: Impl, release: string, o: { fault?: string; bakeMs?: number } = {}): Promise<Outcome> {
    const host = new LocalHost();
    try {
      const out = await promote(
        {
          mode: 'promote',
          targetName: 'interop',
          hermesHome: this.home,
          socketPath: null,
          greenCommand: shellJoin(this.argv(impl, { fault: o.fault })),
          workdir: null,
          runtime: 'claw',
          release,
          greenEnv: { HERMES_BLUE_FAULT: 'none', HERMES_HANDOFF_FAULT: 'none' },
          prepareCommand: null,
          launcher: 'process',
          systemdUnit: 'hermes-gateway@',
          bakeMs: o.bakeMs ?? 600,
          timeoutMs: 30_000,
          // Latency is not what these cells judge, and a busy 2-core machine makes it noisy: a high floor.
          thresholds: { max_heartbeat_age_ms: 1_000, consecutive: 3, latency_floor_ms: 5_000, min_messages: 0 },
          deadlines: { heartbeat_ms: 100, rollback_grace_ms: 3_000, ack_ms: 10_000, drain_ms: 3_000, confirm_ms: 3_000, claim_ms: 15_000 },
        },
        { host, log: { info: () => {}, warn: () => {} }, progressEveryMs: 60_000 },
      );
      if (out.handoff_id) this.logs.push(join(this.home, 'logs', `green-${out.handoff_id}.log`));
      return out;
    } finally {
      await host.close();
    }
  }

  /** Waits until a reply is counted on every kind (production on, or one message made). */
  async untilAnswering(timeoutMs = 15_000): Promise<void> {
    const by = Date.now() + timeoutMs;
    for (const k of this.kinds) {
      const before = this.platform.stats().platforms[k]?.replied ?? 0;
      if (this.rate === 0) this.platform.produce(1, k);
      while ((this.platform.stats().platforms[k]?.replied ?? 0) === before) {
        if (Date.now() > by) throw new Error(`nothing answered on ${k} within ${timeoutMs} ms: ${JSON.stringify(this.platform.stats())}`);
        await sleep(10);
      }
    }
  }

  /** Stops production, waits until everything produced is answered, then the loss grace; returns the window's stats. */
  async settle(timeoutMs = 15_000): Promise<PlatformStats> {
    this.platform.setRate(0);
    const by = Date.now() + timeoutMs;
    // Everything produced is answered, or lost (what a Discord session took with it when it ended).
    const open = () => {
      const s = this.platform.stats();
      return s.pending - s.lost;
    };
    while (open() > 0 && Date.now() < by) await sleep(50);
    await sleep(this.graceMs + 200);
    return this.platform.stats();
  }

  /** Production on again and a fresh stats window. */
  resume(): void {
    this.platform.resetStats();
    this.platform.setRate(this.rate);
  }

  /** Who serves: the live gateways of this home, the pid in gateway.pid, the pid the socket's WELCOME names. */
  async serving(): Promise<{ alive: number[]; pidFile: number | null; socketPid: number | null }> {
    let pidFile: number | null = null;
    try {
      pidFile = Number.parseInt(readFileSync(join(this.home, 'gateway.pid'), 'utf8').trim(), 10) || null;
    } catch {
      /* none */
    }
    let socketPid: number | null = null;
    try {
      const token = readToken(this.socketPath);
      if (token) {
        const s = await realOs.net.connect(this.socketPath);
        const o = await ObserverClient.open(s, token, 3_000, 'interop');
        socketPid = o.welcome?.server_pid ?? null;
        o.close();
      }
    } catch {
      /* nothing answers */
    }
    return { alive: this.gatewayPids(), pidFile, socketPid };
  }

  /** Waits (bounded) until exactly `pid` serves; returns what was seen last. */
  async servedBy(pid: number, timeoutMs = 8_000): Promise<{ alive: number[]; pidFile: number | null; socketPid: number | null }> {
    const by = Date.now() + timeoutMs;
    for (;;) {
      const seen = await this.serving();
      if ((seen.alive.length === 1 && seen.alive[0] === pid && seen.pidFile === pid && seen.socketPid === pid) || Date.now() > by) return seen;
      await sleep(50);
    }
  }

  /** The last lines of every log of this world, for a failure message. */
  dumpLogs(lines = 25): string {
    const all = new Set(this.logs);
    const logDir = join(this.home, 'logs');
    if (existsSync(logDir)) for (const f of readdirSync(logDir)) all.add(join(logDir, f));
    return [...all].map((p) => `--- ${p}\n${this.tail(p, lines)}`).join('\n');
  }

  /** Kills every process of this world (verified by its command line naming this world's dir), closes the platforms, removes the dir. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null && c.pid) realOs.kill(c.pid, 'SIGKILL');
      for (let i = 0; i < 50; i++) {
        const ours = scanProc((argv) => argv.some((a) => a.includes(this.dir))).filter((p) => p !== process.pid);
        if (ours.length === 0) break;
        for (const p of ours) realOs.kill(p, 'SIGKILL');
        await Promise.all(ours.map((p) => waitGone(realOs, p, 2_000)));
      }
      await this.platform.close();
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** Live gateways (of either language) of this home. */
  private gatewayPids(): number[] {
    return scanProc((argv) => {
      const i = argv.indexOf('--home');
      return i >= 0 && argv[i + 1] === this.home && (argv.includes('example-gateway') || argv.some((a) => a === PY_GATEWAY));
    });
  }

  private spawn(impl: Impl, role: string, argv: string[], extra: Record<string, string>): Gateway {
    const log = join(this.dir, `${role}-${impl}-${++this.seq}.log`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERMES_')) env[k] = v;
    Object.assign(env, extra);
    const fd = openSync(log, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    if (!child.pid) throw new Error(`could not start ${argv.join(' ')}`);
    this.children.push(child);
    this.logs.push(log);
    return { impl, pid: child.pid, log, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  }

  private tail(path: string, lines = 25): string {
    try {
      return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Live (not zombie) processes whose argv (from /proc) satisfies `match`. */
function scanProc(match: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (match(argv) && realOs.isAlive(Number(name))) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}
