// `hermes-handoff conformance --drive green`: the driver plays blue at the socket (a stand-in process
// lends blue's pid) and starts the green under test for every case with the handoff's environment,
// then checks what green sends, when, and what it does with the socket and the verdict files.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Deadlines } from '../protocol/deadlines.ts';
import { formatDuration } from '../protocol/format.ts';
import type { Cursors, FrameOf, VerdictRecord } from '../protocol/frames.ts';
import { readVerdict, verdictPath, writeFileAtomic, writeVerdict } from '../peer/files.ts';
import { listenAt } from '../peer/listen.ts';
import { realOs, waitGone } from '../peer/os.ts';
import { expectEqual, expectThat, Mismatch, show, type Case, type Scope } from './cases.ts';
import { spawnCommand, spawnStandIn, type Proc } from './procs.ts';
import { Wire } from './wire.ts';

const GREEN_RELEASE = 'conformance-r2';
const GREEN_RUNTIME = 'conformance';
const BLUE_RELEASE = 'conformance-r1';
const BLUE_RUNTIME = 'legacy';
/** Green's step names in a timeline it writes itself (protocol section 4). */
const GREEN_STEPS = ['green-started', 'init', 'ack', 'active', 'complete', 'taken-over'];
/** How long a green may take from its start to its HELLO (a process starting, its runtime loading). */
const START_MS = 15_000;
/** Frames green owes at once (an answer to a frame, a HEALTH after heartbeat_ms) may take this much longer on a loaded machine. */
const SLACK = 2_000;

/** The deadlines the driver sends in HANDOFF_INIT: short, so every case decides within seconds. */
const DEADLINES: Deadlines = { hello_ms: 5_000, claim_ms: 60_000, ack_ms: 20_000, drain_ms: 2_000, confirm_ms: 10_000, heartbeat_ms: 100, rollback_grace_ms: 3_000, takeover_ms: 5_000 };

interface Hello {
  wire: Wire;
  hello: FrameOf<'HELLO'>;
}

/** The driver's listener at the socket: answers observers as blue (WELCOME with `welcomePid`) and queues greens' HELLOs. */
class FakeBlue {
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

const newId = (x: GreenDrive) => `cf-${x.run}-${++x.n}`;
const fake = (x: GreenDrive): FakeBlue => {
  if (!x.fake) throw new Mismatch('the driver listening as blue', 'no listener');
  return x.fake;
};
const bluePid = (x: GreenDrive): number => {
  if (!x.blue) throw new Mismatch('a stand-in for blue', 'none');
  return x.blue.pid;
};

/** Who answers on the socket now: WELCOME's server_pid, or null. */
async function servingPid(x: GreenDrive, ms = 2_000): Promise<number | null> {
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
async function untilServing(x: GreenDrive, pid: number, ms: number, what: string): Promise<void> {
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
class GreenUnderTest {
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
function atOrPast(what: string, from: Cursors, got: Cursors, notes: string[]): void {
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
function record(x: GreenDrive, id: string, verdict: VerdictRecord['verdict'], greenPid: number | null): VerdictRecord {
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

const fileText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null);

/** After a case that left green serving: a new stand-in blue, the driver's listener back on the socket, green stopped. */
async function takeBack(x: GreenDrive, g: GreenUnderTest): Promise<void> {
  await x.blue?.kill();
  x.blue = spawnStandIn();
  fake(x).welcomePid = x.blue.pid;
  await fake(x).start();
  await g.terminate();
}

/** The restart rule: a green started for a handoff whose verdict file says `verdict` exits 0 at once, writing nothing, never connecting. */
function restartRuleCase(verdict: 'rolled-back' | 'failed' | 'unreadable'): Case<GreenDrive> {
  return {
    name: `restart rule: a handoff whose verdict file says ${verdict} makes green exit 0 at once, writing nothing`,
    ms: START_MS + 5_000,
    async run(x, scope) {
      const id = newId(x);
      const path = verdictPath(x.home, id);
      if (verdict === 'unreadable') writeFileAtomic(path, '{"not": "a verdict"\n');
      else writeVerdict(x.home, record(x, id, verdict, 4242));
      const before = fileText(path);
      const hellos = fake(x).greenHellos;
      const g = GreenUnderTest.launch(x, scope, id);
      const code = await g.exits(START_MS, 'the restart rule');
      expectEqual('exit status', code, 0);
      expectEqual('green HELLOs (a finished handoff has no green)', fake(x).greenHellos - hellos, 0);
      expectThat(fileText(path) === before, 'the verdict file unchanged', () => 'it was rewritten');
    },
  };
}

/** The cases, in order. */
export const GREEN_CASES: Case<GreenDrive>[] = [
  {
    name: 'the driver listens as blue',
    ms: 10_000,
    async run(x) {
      x.blue = spawnStandIn();
      x.fake = new FakeBlue(x.socket, x.token, x.blue.pid);
      await x.fake.start();
      expectEqual('WELCOME on the socket', await servingPid(x), x.blue.pid);
    },
  },
  restartRuleCase('rolled-back'),
  restartRuleCase('unreadable'),
  {
    name: 'restart rule: promoted, and a live blue listens: green exits 0 without serving',
    ms: START_MS + 5_000,
    async run(x, scope) {
      const id = newId(x);
      writeVerdict(x.home, record(x, id, 'promoted', 4242));
      const hellos = fake(x).greenHellos;
      const g = GreenUnderTest.launch(x, scope, id);
      expectEqual('exit status', await g.exits(START_MS, 'the restart rule'), 0);
      expectEqual('green HELLOs', fake(x).greenHellos - hellos, 0);
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
    },
  },
  {
    name: 'a green refused at HELLO (ERROR busy) exits without serving',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.wire.send({ type: 'ERROR', code: 'busy', message: `no reservation for handoff ${g.id}`, frame: 'HELLO', fatal: true });
      g.wire.close();
      const code = await g.exits(10_000, 'after ERROR busy');
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
      scope.note(`exit ${code}`);
    },
  },
  {
    name: 'HELLO, then nothing before HANDOFF_INIT; ACK once ready; CONFIRM; HEALTH every heartbeat_ms; HANDOFF_ROLLBACK answered with HANDOFF_STOPPED; green exits',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      await g.wire.quiet('nothing from green before HANDOFF_INIT', 500);
      g.sendInit();
      const ack = await g.ack();
      const confirm = await g.activate(x.latest ?? {});
      const beats = await g.heartbeats(5, x.latest ?? {});
      const stopped = await g.rollback();
      x.latest = stopped.cursors;
      const code = await g.exits(g.init.deadlines.rollback_grace_ms + SLACK, 'after HANDOFF_STOPPED');
      scope.note(`adapters ${confirm.adapters.join(', ')}; init ${ack.init_ms} ms; ${beats.length} heartbeats; exit ${code}`);
    },
  },
  {
    name: 'a store schema green cannot read: HANDOFF_ROLLBACK before any ACK',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({ store: { path: join(x.home, 'store', 'transcript.log'), schema: 99 } });
      const f = await g.wire.anyFrame('HANDOFF_ROLLBACK', g.init.deadlines.ack_ms);
      if (f.type === 'HANDOFF_ACK') {
        // Section 17 asks for HANDOFF_ROLLBACK; an ACK naming another schema is refused by blue (failed), so nothing is lost.
        expectThat(f.store_schema !== 99, 'HANDOFF_ROLLBACK, or at least an ACK that does not claim schema 99', () => show(f));
        scope.note(`green ACKed with store_schema ${f.store_schema} instead of rolling back (section 17: MUST NOT ACK); blue fails such a handoff`);
        g.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: g.id, reason: `green reads store schema ${f.store_schema}; blue's store is schema 99` });
      } else if (f.type !== 'HANDOFF_ROLLBACK') throw new Mismatch('HANDOFF_ROLLBACK before any ACK', show(f));
      else scope.note(`reason ${show(f.reason)}`);
      await g.exits(10_000, 'after the store check');
    },
  },
  {
    name: 'HANDOFF_ROLLBACK while green waits for HANDOFF_ACTIVE: it exits, having polled nothing',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      g.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: g.id, reason: 'conformance: aborted' });
      await g.exits(10_000, 'after HANDOFF_ROLLBACK');
    },
  },
  {
    name: 'no HANDOFF_ACTIVE within drain_ms + hello_ms: green rolls back itself and exits',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 500, hello_ms: 1_000, rollback_grace_ms: 500 });
      await g.ack();
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', 1_500 + SLACK);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'no HANDOFF_ACTIVE within 1.5 s');
      await g.exits(10_000, 'after giving up');
    },
  },
  {
    name: 'from the cursors handed over to a promotion: green takes the socket over (and gateway.pid) before it answers HANDOFF_COMPLETE',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      const from = x.latest ?? {};
      await g.activate(from);
      const beats = await g.heartbeats(3, from);
      x.latest = beats[beats.length - 1]!.cursors;
      const reason = 'bake of 1 min passed: conformance';
      writeVerdict(x.home, { ...record(x, g.id, 'promoted', g.hello.pid), reason });
      g.wire.send({ type: 'HANDOFF_COMPLETE', handoff_id: g.id, reason });
      scope.defer(() => takeBack(x, g));
      for (;;) {
        const f = await g.wire.anyFrame("green's HANDOFF_COMPLETE", g.init.deadlines.takeover_ms);
        if (f.type === 'HEALTH') continue; // a heartbeat already on its way
        if (f.type !== 'HANDOFF_COMPLETE') throw new Mismatch("green's HANDOFF_COMPLETE", show(f));
        expectEqual('HANDOFF_COMPLETE.handoff_id', f.handoff_id, g.id);
        break;
      }
      expectEqual('who answers on the socket when green answers', await servingPid(x), g.hello.pid);
      expectEqual('gateway.pid', fileText(join(x.home, 'gateway.pid'))?.trim(), String(g.hello.pid));
      const w = await Wire.open(x.socket);
      try {
        w.send({ type: 'HELLO', role: 'observer', token: x.token, pid: process.pid });
        await w.frame('WELCOME', SLACK);
        w.send({ type: 'STATUS' });
        const st = await w.frame('STATE', SLACK);
        expectThat(st.phase === 'idle' && st.last_verdict?.handoff_id === g.id && st.last_verdict.verdict === 'promoted', `STATE idle with last_verdict promoted ${g.id}`, () => show({ phase: st.phase, last_verdict: st.last_verdict && [st.last_verdict.handoff_id, st.last_verdict.verdict] }));
      } finally {
        w.close();
      }
    },
  },
  {
    name: 'blue dies during the bake: green decides promoted, writes the verdict file and serves',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      const blue = bluePid(x);
      scope.defer(() => takeBack(x, g));
      await x.blue!.kill();
      fake(x).stop();
      g.wire.close();
      await untilServing(x, g.hello.pid, g.init.deadlines.rollback_grace_ms + 2_000 + SLACK * 2, 'blue gone');
      const v = readVerdict(x.home, g.id);
      expectThat(v !== null, `run/handoffs/${g.id}.json written`, () => 'no valid file');
      const reason = `blue (pid ${blue}) exited during the bake; green took over`;
      expectEqual('the verdict green wrote', { verdict: v!.verdict, decided_by: v!.decided_by, reason: v!.reason, blue_pid: v!.blue_pid, green_pid: v!.green_pid }, { verdict: 'promoted', decided_by: 'green', reason, blue_pid: blue, green_pid: g.hello.pid });
      const steps = v!.timeline.map((t) => t.phase);
      expectThat(steps.every((s) => GREEN_STEPS.includes(s)) && steps.includes('taken-over'), `a timeline of green's step names (${GREEN_STEPS.join(', ')}) ending taken-over`, () => show(steps));
      expectThat(typeof v!.dark_window_ms === 'number', 'dark_window_ms (green had HANDOFF_ACTIVE)', () => show(v!.dark_window_ms));
    },
  },
  {
    name: "blue's pid lives and the socket answers from it: green stands down, writes nothing, exits",
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 1_000, rollback_grace_ms: 1_000 });
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      g.wire.close();
      await g.exits(1_000 + 2_000 + 1_000 + SLACK * 2, 'standing down');
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
      expectThat(!existsSync(verdictPath(x.home, g.id)), 'no verdict file (blue decides)', () => 'green wrote one');
    },
  },
  {
    name: "blue's pid lives but the socket answers from another pid: green serves (blue left the socket)",
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 1_000, rollback_grace_ms: 1_000 });
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      const blue = bluePid(x);
      scope.defer(() => takeBack(x, g));
      fake(x).welcomePid = process.pid;
      g.wire.close();
      await untilServing(x, g.hello.pid, 1_000 + 2_000 + SLACK * 2, 'blue left the socket');
      const v = readVerdict(x.home, g.id);
      const reason = `blue (pid ${blue}) left the socket (its pid runs, the socket answers from pid ${process.pid}) during the bake; green took over`;
      expectThat(v?.verdict === 'promoted' && v.decided_by === 'green' && v.reason === reason, `a verdict promoted by green: ${show(reason)}`, () => show(v && [v.verdict, v.decided_by, v.reason]));
    },
  },
  {
    name: 'restart rule: promoted, and nothing listens: the restarted green serves as blue',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const id = newId(x);
      writeVerdict(x.home, record(x, id, 'promoted', 4242));
      fake(x).stop();
      const g = GreenUnderTest.launch(x, scope, id);
      const end = Date.now() + START_MS;
      let pid: number | null = null;
      while (Date.now() < end && (pid === null || pid === bluePid(x))) {
        pid = await servingPid(x, 1_000);
        if (g.proc.exitCode() !== undefined) throw new Mismatch('the restarted green serving', `it exited ${show(g.proc.exitCode())} (log ${g.log})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expectThat(pid !== null && pid !== bluePid(x) && realOs.isAlive(pid), 'the socket answering from the restarted green', () => (pid === null ? 'no process' : `pid ${pid}`));
      g.hello = { v: 1, type: 'HELLO', role: 'green', token: x.token, pid: pid! };
      scope.defer(() => takeBack(x, g));
    },
  },
];

/** The case after whose failure nothing else can run. */
export const GREEN_PRECONDITION = GREEN_CASES[0]!.name;
