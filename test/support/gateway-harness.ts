// Real gateway processes on a real handoff socket, the fake platform in-process, and the local
// promote path: what the process-level handoff tests run against. Everything it starts it stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startFakePlatform, type FakePlatform, type PlatformStats } from '../../examples/gateway/platform/server.ts';
import { openStore } from '../../examples/gateway/store.ts';
import { promote } from '../../src/handoff/promote.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { readToken } from '../../src/peer/files.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { ObserverClient } from '../../src/peer/observer.ts';
import { realOs, waitGone } from '../../src/peer/os.ts';
import type { Deadlines, Thresholds } from '../../src/protocol/deadlines.ts';
import { cliBundle } from './bundle.ts';

export interface HarnessOptions {
  /**
   * Messages per second the platform produces on each platform (default 50: 100 a second in all, as
   * when these tests ran Telegram alone; 100 + 100 is the benchmark's load, not a correctness test's).
   */
  rate?: number;
  /** How long a confirmed update may go unanswered before the platform counts it lost (default 300). */
  graceMs?: number;
  /** The gateways' --concurrency (default theirs, 8). */
  concurrency?: number;
}

export interface GatewaySpec {
  release: string;
  /** HERMES_RUNTIME (default legacy for a blue, claw for a green). */
  runtime?: string;
  /** --init-ms (default 50). */
  initMs?: number;
  /** A green fault (--fault). */
  fault?: string;
  /** HERMES_BLUE_FAULT. */
  blueFault?: string;
  /** More environment. */
  env?: Record<string, string>;
}

/** A gateway this harness spawned itself. */
export interface Spawned {
  pid: number;
  log: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface PromoteSpec {
  release: string;
  runtime?: string;
  fault?: string;
  /** Green's --init-ms (default 50). */
  initMs?: number;
  bakeMs?: number;
  heartbeatMs?: number;
  maxHeartbeatAgeMs?: number;
  rollbackGraceMs?: number;
  thresholds?: Partial<Thresholds>;
  deadlines?: Partial<Deadlines>;
  timeoutMs?: number;
  onPhase?: (phase: string, detail: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `cond` holds (checked every 5 ms), or rejects after `timeoutMs` with `what()`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string = () => `not within ${timeoutMs} ms`): Promise<void> {
  const by = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > by) throw new Error(what());
    await sleep(5);
  }
}

/**
 * The argv of a reference gateway on `home`, with both adapters on the fake platform at `platformUrl`
 * (Telegram at its root, Discord's REST under /api), fast long polls, and the fake's REST rate.
 */
export function gatewayArgvFor(bundle: string, home: string, platformUrl: string, spec: { initMs?: number; fault?: string; concurrency?: number } = {}): string[] {
  const argv = [process.execPath, bundle, 'example-gateway', '--home', home, '--platform', `telegram=${platformUrl}`, '--platform', `discord=${platformUrl}/api`];
  argv.push('--init-ms', String(spec.initMs ?? 50), '--poll-timeout', '5', '--rest-rps', '1000');
  if (spec.concurrency) argv.push('--concurrency', String(spec.concurrency));
  if (spec.fault) argv.push('--fault', spec.fault);
  return argv;
}

/** Blue, greens, the platform and the engine for one test, in one temp dir. */
export class GatewayHarness {
  readonly home: string;
  readonly socketPath: string;
  private readonly children: ChildProcess[] = [];
  private readonly logs: string[] = [];
  private seq = 0;
  private closed: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly platform: FakePlatform,
    readonly bundle: string,
    readonly rate: number,
    readonly graceMs: number,
    readonly concurrency?: number,
  ) {
    this.home = join(dir, 'home');
    this.socketPath = join(this.home, 'run', 'handoff.sock');
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
  }

  /** Starts the platform in a fresh temp dir; registers close() with t.after, so it runs on failure too. */
  static async start(t: TestContext, o: HarnessOptions = {}): Promise<GatewayHarness> {
    const bundle = await cliBundle();
    const dir = mkdtempSync(join(tmpdir(), 'hermes-handoff-test-'));
    const graceMs = o.graceMs ?? 300;
    const rate = o.rate ?? 50;
    let platform: FakePlatform;
    try {
      platform = await startFakePlatform({ port: 0, kinds: ['telegram', 'discord'], rate, graceMs });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const h = new GatewayHarness(dir, platform, bundle, rate, graceMs, o.concurrency);
    t.after(() => h.close());
    return h;
  }

  /** The argv of a reference gateway on this home, with both adapters (Telegram and Discord) on this platform. */
  gatewayArgv(spec: Pick<GatewaySpec, 'initMs' | 'fault'> = {}): string[] {
    return gatewayArgvFor(this.bundle, this.home, this.platform.url, { ...spec, concurrency: this.concurrency });
  }

  /** Starts a blue and resolves once its socket answers and it answers updates; the platform's stats window starts then unless `keepStats`. */
  async startBlue(spec: GatewaySpec, keepStats = false): Promise<Spawned> {
    const env = { HERMES_RELEASE: spec.release, HERMES_RUNTIME: spec.runtime ?? 'legacy', ...(spec.blueFault ? { HERMES_BLUE_FAULT: spec.blueFault } : {}), ...spec.env };
    const g = this.spawnGateway('blue', this.gatewayArgv(spec), env);
    const by = Date.now() + 20_000;
    for (;;) {
      if (await socketAnswers(this.socketPath, 200)) break;
      if (g.child.exitCode !== null || g.child.signalCode !== null) throw new Error(`blue exited before listening:\n${this.tail(g.log)}`);
      if (Date.now() > by) throw new Error(`blue did not listen on ${this.socketPath} within 20 s:\n${this.tail(g.log)}`);
      await sleep(20);
    }
    await this.untilPolling();
    if (!keepStats) this.platform.resetStats();
    return g;
  }

  /** Starts a green by hand (HERMES_HANDOFF_ID set), optionally on another socket path (HERMES_SOCKET). */
  startGreen(spec: GatewaySpec & { handoffId: string; socketPath?: string }): Spawned {
    const env: Record<string, string> = { HERMES_RELEASE: spec.release, HERMES_RUNTIME: spec.runtime ?? 'claw', HERMES_HANDOFF_ID: spec.handoffId, ...spec.env };
    if (spec.socketPath) env.HERMES_SOCKET = spec.socketPath;
    return this.spawnGateway('green', this.gatewayArgv(spec), env);
  }

  /** Runs the engine's local promote path against this home, with short deadlines; close() stops every green it launches. */
  async promote(spec: PromoteSpec): Promise<Outcome> {
    const host = new LocalHost();
    const bakeMs = spec.bakeMs ?? 600;
    try {
      const out = await promote(
        {
          mode: 'promote',
          targetName: 'test',
          hermesHome: this.home,
          socketPath: null,
          greenCommand: shellJoin(this.gatewayArgv({ initMs: spec.initMs, fault: spec.fault })),
          workdir: null,
          runtime: spec.runtime ?? 'claw',
          release: spec.release,
          greenEnv: { HERMES_BLUE_FAULT: 'none', HERMES_HANDOFF_FAULT: 'none' },
          prepareCommand: null,
          launcher: 'process',
          systemdUnit: 'hermes-gateway@',
          bakeMs,
          timeoutMs: spec.timeoutMs ?? 30_000,
          // Latency is not what these tests judge, and a busy 2-core machine makes it noisy: a high floor.
          thresholds: { max_heartbeat_age_ms: spec.maxHeartbeatAgeMs ?? 1_000, consecutive: 3, latency_floor_ms: 5_000, ...spec.thresholds },
          deadlines: {
            heartbeat_ms: spec.heartbeatMs ?? 100,
            // At least drain_ms: RESERVE refuses a grace shorter than green's own drain may take.
            rollback_grace_ms: spec.rollbackGraceMs ?? 3_000,
            ack_ms: (spec.initMs ?? 50) + 10_000,
            drain_ms: 3_000,
            confirm_ms: 3_000,
            claim_ms: 15_000,
            ...spec.deadlines,
          },
        },
        {
          host,
          log: { info: () => {}, warn: () => {} },
          onPhase: spec.onPhase,
          progressEveryMs: 60_000,
        },
      );
      if (out.handoff_id) this.logs.push(join(this.home, 'logs', `green-${out.handoff_id}.log`));
      return out;
    } finally {
      await host.close();
    }
  }

  /** The token clients present (read from the file blue wrote). */
  token(): string {
    const t = readToken(this.socketPath);
    if (!t) throw new Error(`no token beside ${this.socketPath}`);
    return t;
  }

  /** A raw observer on the handoff socket (HELLO with the real token). */
  async observer(): Promise<ObserverClient> {
    const stream = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = createConnection(this.socketPath);
      s.once('connect', () => {
        s.removeAllListeners('error');
        s.on('error', () => {});
        resolve(s);
      });
      s.once('error', reject);
    });
    return ObserverClient.open(stream, this.token(), 5_000, 'test-observer');
  }

  /** Live (not zombie) reference-gateway processes of this home, found in /proc: blue, greens, launched or not. */
  alive(): number[] {
    return scanProc((argv) => {
      const i = argv.indexOf('--home');
      return argv.includes('example-gateway') && i >= 0 && argv[i + 1] === this.home;
    });
  }

  /** The pid in HERMES_HOME/gateway.pid, or null. */
  pidFile(): number | null {
    try {
      const n = Number.parseInt(readFileSync(join(this.home, 'gateway.pid'), 'utf8').trim(), 10);
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  /**
   * Waits (up to `timeoutMs`) until exactly `pid` is alive among this home's gateways, gateway.pid names it
   * and the socket answers with it; resolves with what was seen last, for the test to assert.
   */
  async whoServes(pid: number, timeoutMs = 8_000): Promise<{ alive: number[]; pidFile: number | null; socketPid: number | null }> {
    const by = Date.now() + timeoutMs;
    for (;;) {
      const seen = { alive: this.alive(), pidFile: this.pidFile(), socketPid: await this.socketPid() };
      const ok = seen.alive.length === 1 && seen.alive[0] === pid && seen.pidFile === pid && seen.socketPid === pid;
      if (ok || Date.now() > by) return seen;
      await sleep(50);
    }
  }

  /** The pid the socket's listener reports in WELCOME, or null when nothing answers. */
  async socketPid(): Promise<number | null> {
    try {
      const o = await this.observer();
      const pid = o.welcome?.server_pid ?? null;
      o.close();
      return pid;
    } catch {
      return null;
    }
  }

  /** Stops production, waits until every message is answered, then the loss grace (the platform decides "lost" only after it); resolves with the window's stats. */
  async settle(timeoutMs = 15_000): Promise<PlatformStats> {
    this.platform.setRate(0);
    await waitUntil(() => this.platform.stats().pending === 0, timeoutMs).catch(() => undefined); // the stats then say what is pending
    await sleep(this.graceMs + 150);
    return this.platform.stats();
  }

  /**
   * Pauses production until everything produced is answered and every answer is recorded in the
   * shared store, so no reply is between the platform and the store (a kill there is the protocol's
   * one-duplicate limit, measured by random-kills.test.ts); returns a function that resumes it.
   */
  async quiet(timeoutMs = 10_000): Promise<() => void> {
    this.platform.setRate(0);
    await waitUntil(() => this.platform.stats().pending === 0, timeoutMs, () => `messages still pending after ${timeoutMs} ms: ${JSON.stringify(this.platform.stats())}`);
    // Each adapter answers in order, so the last message's record means every earlier one is recorded too.
    const store = openStore(this.home);
    try {
      for (const kind of ['telegram', 'discord'] as const) {
        const last = this.platform.lastProduced(kind);
        if (last !== null) await waitUntil(() => store.has(kind, last), timeoutMs, () => `the answer to ${kind} message ${last} was not recorded within ${timeoutMs} ms`);
      }
    } finally {
      store.close();
    }
    return () => this.platform.setRate(this.rate);
  }

  /** Waits until the gateway answers on every platform: each counts a new reply. */
  async untilPolling(timeoutMs = 10_000): Promise<void> {
    const replied = (k: 'telegram' | 'discord') => this.platform.stats().platforms[k]?.replied ?? 0;
    const before = { telegram: replied('telegram'), discord: replied('discord') };
    if (this.platform.stats().rate === 0) this.platform.produce(1);
    await waitUntil(
      () => replied('telegram') > before.telegram && replied('discord') > before.discord,
      timeoutMs,
      () => `not answered on both platforms within ${timeoutMs} ms: ${JSON.stringify(this.platform.stats())}`,
    );
  }

  /** Sends `signal` to a gateway of this test (a pid from alive() or startBlue/startGreen) and, for SIGKILL, waits until it is gone. */
  async kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    realOs.kill(pid, signal);
    if (signal === 'SIGKILL' && !(await waitGone(realOs, pid, 5_000))) throw new Error(`pid ${pid} still alive 5 s after SIGKILL`);
  }

  /** The last lines of every log this harness knows of, for a failure message. */
  dumpLogs(lines = 30): string {
    const logDir = join(this.home, 'logs');
    const all = new Set(this.logs);
    if (existsSync(logDir)) for (const f of readdirSync(logDir)) all.add(join(logDir, f));
    return [...all].map((p) => `--- ${p}\n${this.tail(p, lines)}`).join('\n');
  }

  /**
   * Kills every process this test started: the gateways it spawned, and every process whose command
   * line names this test's temp dir (greens the launcher detached, launchers still exec'ing into one,
   * whoever gateway.pid names). Only pids verified that way are signalled: pids wrap around quickly
   * on a busy machine, so a remembered pid may belong to someone else by now. Then closes the
   * platform and removes the temp dir.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      // A launcher may exec into a gateway between two scans: scan until nothing of ours is left.
      for (let i = 0; i < 50; i++) {
        const ours = scanProc((argv) => argv.some((a) => a.includes(this.dir))).filter((p) => p !== process.pid);
        if (ours.length === 0) break;
        for (const p of ours) realOs.kill(p, 'SIGKILL');
        await Promise.all(ours.map((p) => waitGone(realOs, p, 2_000)));
      }
      await Promise.all(this.children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
      await this.platform.close();
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.closed;
  }

  private spawnGateway(role: string, argv: string[], extra: Record<string, string>): Spawned {
    const log = join(this.dir, `${role}-${++this.seq}.log`);
    const env: NodeJS.ProcessEnv = {};
    // Nothing of the test's own environment may steer the gateway: HERMES_* come from the spec only.
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERMES_')) env[k] = v;
    Object.assign(env, extra);
    const fd = openSync(log, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    if (!child.pid) throw new Error(`could not start ${role}: ${argv.join(' ')}`);
    this.children.push(child);
    this.logs.push(log);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { pid: child.pid, log, child, exited };
  }

  private tail(path: string, lines = 30): string {
    try {
      return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Runs `fn` with a harness; on failure the gateways' logs go to the test's diagnostics; everything is stopped either way. */
export async function withHarness<T>(t: TestContext, o: HarnessOptions, fn: (h: GatewayHarness) => Promise<T>): Promise<T> {
  const h = await GatewayHarness.start(t, o);
  try {
    return await fn(h);
  } catch (e) {
    t.diagnostic(`gateway logs:\n${h.dumpLogs()}`);
    throw e;
  } finally {
    await h.close();
  }
}

/** Live (not zombie) processes whose argv (from /proc) satisfies `match`, in pid order. */
function scanProc(match: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (match(argv) && realOs.isAlive(Number(name))) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
