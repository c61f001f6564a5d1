// The driver's side of `--drive green`: blue at the socket (a stand-in process lends blue's pid), the
// green under test started for a case with the handoff's environment, and the checks of what green sends.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Deadlines } from '../protocol/deadlines.ts';
import { formatDuration } from '../protocol/format.ts';
import type { Cursors, FrameOf, VerdictRecord } from '../protocol/frames.ts';
import { writeFileAtomic } from '../peer/files.ts';
import { listenAt } from '../peer/listen.ts';
import { realOs, waitGone } from '../peer/os.ts';
import { expectEqual, expectThat, Mismatch, show, type Scope } from './cases.ts';
import { spawnCommand, spawnStandIn, type Proc } from './procs.ts';
import { Wire } from './wire.ts';

export const GREEN_RELEASE = 'conformance-r2';
export const GREEN_RUNTIME = 'conformance';
export const BLUE_RELEASE = 'conformance-r1';
export const BLUE_RUNTIME = 'legacy';
/** Green's step names in a timeline it writes itself (protocol section 4). */
export const GREEN_STEPS = ['green-started', 'init', 'ack', 'active', 'complete', 'taken-over'];
/** How long a green may take from its start to its HELLO (a process starting, its runtime loading). */
export const START_MS = 15_000;
/** Frames green owes at once (an answer to a frame, a HEALTH after heartbeat_ms) may take this much longer on a loaded machine. */
export const SLACK = 2_000;

/** The deadlines the driver sends in HANDOFF_INIT: short, so every case decides within seconds. */
export const DEADLINES: Deadlines = { hello_ms: 5_000, claim_ms: 60_000, ack_ms: 20_000, drain_ms: 2_000, confirm_ms: 10_000, heartbeat_ms: 100, rollback_grace_ms: 3_000, takeover_ms: 5_000, restart_grace_ms: 5_000 };

interface Hello {
  wire: Wire;
  hello: FrameOf<'HELLO'>;
}

/** The driver's listener at the socket: answers observers as blue (WELCOME with `welcomePid`) and queues greens' HELLOs. */
export class FakeBlue {
  private server: Server | null = null;
  private readonly queue: Hello[] = [];
  private wake: (() => void) | null = null;
  /** Every green HELLO so far. */
  greenHellos = 0;
  /** The pid observers are told serves here. */
  welcomePid: number;

  constructor(
    readonly socket: string,
    readonly token: string,
    pid: number,
  ) {
    this.welcomePid = pid;
  }

  /** Binds a fresh path and renames it over the socket (whoever had it). */
  async start(): Promise<void> {
    const old = this.server;
    this.server = await listenAt(this.socket, (s) => this.accept(s), true);
    old?.close();
  }

  /** Stops listening: the socket file stays and refuses connections. */
  stop(): void {
    this.server?.close();
    this.server = null;
  }

  /** The next green's HELLO within `ms`. */
  async nextGreen(ms: number): Promise<Hello> {
    const end = Date.now() + ms;
    for (;;) {
      const h = this.queue.shift();
      if (h) return h;
      const left = end - Date.now();
      if (left <= 0) throw new Mismatch(`a green HELLO within ${formatDuration(ms)}`, 'none');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  private accept(socket: Socket): void {
    const w = new Wire(socket);
    void (async () => {
      const f = await w.anyFrame('HELLO', 5_000).catch(() => null);
      if (f === null || f.type !== 'HELLO') return w.close();
      if (f.role === 'green') {
        this.greenHellos++;
        this.queue.push({ wire: w, hello: f });
        this.wake?.();
        return;
      }
      if (f.token !== this.token) {
        w.send({ type: 'ERROR', code: 'unauthorized', message: 'wrong token', frame: 'HELLO', fatal: true });
        return w.close();
      }
      w.send({ type: 'WELCOME', server_pid: this.welcomePid, phase: 'baking', release: BLUE_RELEASE, runtime: BLUE_RUNTIME, versions: [1] });
      await w.closedWithin(10_000);
      w.close();
    })();
  }
}

/** What the green cases share. */
export interface GreenDrive {
  socket: string;
  home: string;
  command: string;
  token: string;
  run: string;
  n: number;
  storeSchema: number;
  blue: Proc | null;
  fake: FakeBlue | null;
  /** Where the last green stood (its last HEALTH or HANDOFF_STOPPED): the next one is handed these. */
  latest: Cursors | null;
}

/** A fresh context; `command` starts the green under test. */
export function greenDrive(socket: string, home: string, command: string, token: string, storeSchema: number): GreenDrive {
  return { socket, home, command, token, run: randomBytes(3).toString('hex'), n: 0, storeSchema, blue: null, fake: null, latest: null };
}

export const newId = (x: GreenDrive) => `cf-${x.run}-${++x.n}`;
export const fake = (x: GreenDrive): FakeBlue => {
  if (!x.fake) throw new Mismatch('the driver listening as blue', 'no listener');
  return x.fake;
};
export const bluePid = (x: GreenDrive): number => {
  if (!x.blue) throw new Mismatch('a stand-in for blue', 'none');
  return x.blue.pid;
};

/** Who answers on the socket now: WELCOME's server_pid, or null. */
export async function servingPid(x: GreenDrive, ms = 2_000): Promise<number | null> {
  try {
    const w = await Wire.open(x.socket, ms);
    try {
      w.send({ type: 'HELLO', role: 'observer', token: x.token, pid: process.pid, client: 'hermes-handoff/conformance' });
      return (await w.frame('WELCOME', ms)).server_pid;
    } finally {
      w.close();
    }
  } catch {
    return null;
  }
}

/** Waits until the socket answers from `pid`; throws a Mismatch with who answered last. */
export async function untilServing(x: GreenDrive, pid: number, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  let last: number | null = null;
  while (Date.now() < end) {
    last = await servingPid(x, 1_000);
    if (last === pid) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Mismatch(`${what}: the socket answering from green (pid ${pid}) within ${formatDuration(ms)}`, last === null ? 'no process' : `pid ${last}`);
}

/** One green under test, from its start to its end. */
export class GreenUnderTest {
  hello!: FrameOf<'HELLO'>;
  wire!: Wire;
  init!: FrameOf<'HANDOFF_INIT'>;
  confirm!: FrameOf<'HANDOFF_CONFIRM'>;
  pausedAt = 0;
  lastHealth: FrameOf<'HEALTH'> | null = null;

  private constructor(
    readonly x: GreenDrive,
    readonly id: string,
    readonly proc: Proc,
    readonly log: string,
  ) {}

  /** Starts the green command for handoff `id` (blue's pid in gateway.pid, as a real blue writes it). */
  static launch(x: GreenDrive, scope: Scope, id = newId(x)): GreenUnderTest {
    writeFileAtomic(join(x.home, 'gateway.pid'), `${bluePid(x)}\n`, 0o644);
    const log = join(x.home, 'logs', `conformance-green-${id}.log`);
    const proc = spawnCommand(
      x.command,
      { HERMES_HOME: x.home, HERMES_HANDOFF_ID: id, HERMES_HANDOFF_SOCKET: x.socket, HERMES_RELEASE: GREEN_RELEASE, HERMES_RUNTIME: GREEN_RUNTIME },
      log,
    );
    const g = new GreenUnderTest(x, id, proc, log);
    scope.defer(() => proc.kill());
    return g;
  }

  /** Launches, and takes its HELLO (checked). */
  static async start(x: GreenDrive, scope: Scope): Promise<GreenUnderTest> {
    const g = GreenUnderTest.launch(x, scope);
    const h = await fake(x).nextGreen(START_MS).catch((e: unknown) => {
      throw e instanceof Mismatch ? new Mismatch(e.expected, `${e.got} (exit ${show(g.proc.exitCode())}; log ${g.log})`) : e;
    });
    g.hello = h.hello;
    g.wire = h.wire;
    scope.defer(() => g.wire.close());
    expectEqual('HELLO', { role: h.hello.role, handoff_id: h.hello.handoff_id, token_ok: h.hello.token === x.token }, { role: 'green', handoff_id: g.id, token_ok: true });
    expectThat(realOs.isAlive(h.hello.pid), `HELLO.pid (${h.hello.pid}) a live process`, () => 'no such process');
    return g;
  }

  sendInit(over: Partial<FrameOf<'HANDOFF_INIT'>> = {}, deadlines: Partial<Deadlines> = {}): void {
    const init = {
      type: 'HANDOFF_INIT',
      handoff_id: this.id,
      blue_pid: bluePid(this.x),
      release: BLUE_RELEASE,
      runtime: BLUE_RUNTIME,
      store: { path: join(this.x.home, 'store', 'transcript.log'), schema: this.x.storeSchema },
      bake_ms: 60_000,
      deadlines: { ...DEADLINES, ...deadlines },
      ...over,
    } as const;
    this.init = { v: 1, ...init } as FrameOf<'HANDOFF_INIT'>;
    this.wire.send(init);
  }

  /** HANDOFF_ACK within ack_ms, with green's pid, release, runtime and the store schema. */
  async ack(): Promise<FrameOf<'HANDOFF_ACK'>> {
    const a = await this.wire.frame('HANDOFF_ACK', this.init.deadlines.ack_ms);
    expectEqual('HANDOFF_ACK', { handoff_id: a.handoff_id, pid: a.pid, release: a.release, runtime: a.runtime, store_schema: a.store_schema }, { handoff_id: this.id, pid: this.hello.pid, release: GREEN_RELEASE, runtime: GREEN_RUNTIME, store_schema: this.init.store.schema });
    return a;
  }

  /** HANDOFF_ACTIVE with `cursors`, then HANDOFF_CONFIRM (checked: every adapter handed over, polling_at in the window). */
  async activate(cursors: Cursors): Promise<FrameOf<'HANDOFF_CONFIRM'>> {
    this.pausedAt = Date.now();
    this.wire.send({ type: 'HANDOFF_ACTIVE', handoff_id: this.id, cursors, drained: 0, paused_at: this.pausedAt });
    const c = await this.wire.frame('HANDOFF_CONFIRM', this.init.deadlines.confirm_ms);
    this.confirm = c;
    const missing = Object.keys(cursors).filter((n) => !c.adapters.includes(n));
    expectThat(missing.length === 0, `HANDOFF_CONFIRM.adapters with every adapter handed over (${Object.keys(cursors).join(', ')})`, () => show(c.adapters));
    expectThat(c.adapters.length > 0, 'HANDOFF_CONFIRM naming the adapters green started', () => show(c.adapters));
    expectThat(c.polling_at >= this.pausedAt && c.polling_at <= Date.now() + 1_000, `polling_at between paused_at (${this.pausedAt}) and now`, () => String(c.polling_at));
    return c;
  }

  /** `n` HEALTH frames: seq from 1 by 1, about every heartbeat_ms, cursors for every adapter started, at or past `from`. */
  async heartbeats(n: number, from: Cursors = {}): Promise<FrameOf<'HEALTH'>[]> {
    const hb = this.init.deadlines.heartbeat_ms;
    const got: FrameOf<'HEALTH'>[] = [];
    const times: number[] = [];
    const t0 = Date.now();
    for (let i = 1; i <= n; i++) {
      const h = await this.wire.frame('HEALTH', hb * 3 + SLACK);
      times.push(Date.now());
      expectEqual(`HEALTH ${i}: handoff_id and seq`, [h.handoff_id, h.sample.seq], [this.id, i]);
      // Every adapter whose position green knows (those handed over, and any it reported before) stays, and never goes back.
      atOrPast(`HEALTH ${i}`, from, h.cursors, this.confirm.notes ?? []);
      if (this.lastHealth) atOrPast(`HEALTH ${i} after HEALTH ${i - 1}`, this.lastHealth.cursors, h.cursors, []);
      expectThat(h.sample.errors <= Math.max(h.sample.handled, h.sample.errors) && h.sample.latency_p50_ms <= h.sample.latency_p99_ms, `HEALTH ${i}: a consistent sample`, () => show(h.sample));
      got.push(h);
      this.lastHealth = h;
    }
    const first = times[0]! - t0;
    const every = n > 1 ? (times[n - 1]! - times[0]!) / (n - 1) : hb;
    expectThat(every >= hb / 2 && every <= hb * 4, `a HEALTH about every ${hb} ms`, () => `every ${Math.round(every)} ms on average (the first after ${first} ms)`);
    return got;
  }

  /** HANDOFF_ROLLBACK from blue: HANDOFF_STOPPED within the grace, with cursors at or past its last HEALTH; then green exits. */
  async rollback(): Promise<FrameOf<'HANDOFF_STOPPED'>> {
    this.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: this.id, reason: 'conformance: blue rolls back' });
    for (;;) {
      const f = await this.wire.anyFrame('HANDOFF_STOPPED', this.init.deadlines.rollback_grace_ms);
      if (f.type === 'HEALTH') continue; // green may still beat until it stops
      if (f.type !== 'HANDOFF_STOPPED') throw new Mismatch('HANDOFF_STOPPED', show(f));
      if (this.lastHealth) atOrPast('HANDOFF_STOPPED', this.lastHealth.cursors, f.cursors, []);
      return f;
    }
  }

  /** The process exits within `ms`; resolves with its exit code. */
  async exits(ms: number, what: string): Promise<number | null> {
    const code = await Promise.race([this.proc.exited, new Promise<'no'>((r) => setTimeout(() => r('no'), ms))]);
    if (code === 'no') throw new Mismatch(`${what}: green's process exiting within ${formatDuration(ms)}`, `it still runs (log ${this.log})`);
    return code;
  }

  /** SIGTERM to the green that serves now; it must stop within 10 s (it is killed otherwise). */
  async terminate(): Promise<void> {
    realOs.kill(this.hello.pid, 'SIGTERM');
    if (!(await waitGone(realOs, this.hello.pid, 10_000))) await this.proc.kill();
  }
}

/**
 * `got` has a cursor for every adapter of `from`, at or past it (Telegram: offset; Discord: the same
 * session, seq), except an adapter a note of green's explains (a session identified afresh).
 */
export function atOrPast(what: string, from: Cursors, got: Cursors, notes: string[]): void {
  for (const [name, c] of Object.entries(from)) {
    if (notes.some((n) => n.startsWith(`${name} `))) continue;
    const g = got[name];
    if (!g) throw new Mismatch(`${what}: a cursor for ${name}, whose position green knows`, show(Object.keys(got)));
    if (c.kind === 'telegram' && g.kind === 'telegram') {
      expectThat(g.offset >= c.offset, `${what}: ${name} offset at or past the ${c.offset} handed over`, () => String(g.offset));
    } else if (c.kind === 'discord' && g.kind === 'discord') {
      // A session green identified afresh after INVALID_SESSION is explained by a note (HANDOFF_CONFIRM), and starts over.
      expectThat(g.session_id === c.session_id && g.seq >= c.seq, `${what}: ${name} session ${c.session_id} at or past seq ${c.seq} (resumed, not identified)`, () => show({ session_id: g.session_id, seq: g.seq }));
    } else {
      throw new Mismatch(`${what}: ${name} a ${c.kind} cursor, as handed over`, show(g));
    }
  }
}

/** A verdict record of handoff `id`, in the form a decider writes. */
export function record(x: GreenDrive, id: string, verdict: VerdictRecord['verdict'], greenPid: number | null): VerdictRecord {
  const now = Date.now();
  return {
    v: 1,
    handoff_id: id,
    verdict,
    reason: `conformance: ${verdict}`,
    release: GREEN_RELEASE,
    runtime: GREEN_RUNTIME,
    blue_pid: bluePid(x),
    green_pid: greenPid,
    decided_by: 'blue',
    decided_at: now,
    dark_window_ms: null,
    timeline: [{ phase: 'reserved', at: now }],
    health: [],
  };
}

export const fileText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null);

/** After a case that left green serving: a new stand-in blue, the driver's listener back on the socket, green stopped. */
export async function takeBack(x: GreenDrive, g: GreenUnderTest): Promise<void> {
  await x.blue?.kill();
  x.blue = spawnStandIn();
  fake(x).welcomePid = x.blue.pid;
  await fake(x).start();
  await g.terminate();
}
