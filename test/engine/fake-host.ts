// An in-process host for the engine: a fake clock whose timers fire only when the test runs it, a Host whose
// openSocket hands the engine one end of an in-memory duplex pair whose other end a scripted blue answers, and
// exec that plays the host's side of every remote operation (plain scripts and the agent's operations alike).
// Fast and deterministic: a whole bake or a 15-minute deadline passes in milliseconds.
import type { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FrameConn } from '../../src/peer/conn.ts';
import type { ExecOptions, ExecResult, Host } from '../../src/host/host.ts';
import { AGENT_EXIT, AGENT_PROGRAM, type HostAgent } from '../../src/host/agent.ts';
import { DEFAULT_DEADLINES, DEFAULT_OBSERVE_THRESHOLDS, DEFAULT_THRESHOLDS } from '../../src/protocol/deadlines.ts';
import type { Frame, HealthSample, Outgoing, Phase, TimelineEntry, VerdictRecord } from '../../src/protocol/frames.ts';
import type { EngineIo } from '../../src/handoff/params.ts';
import type { EngineParams } from '../../src/core/params.ts';
import { LAUNCH_SCRIPT, LIST_NEWEST, PID_RUNS, PREPARE, PRINT_HOME, RESOLVE_COMMAND, SOCKET_STATE, STOP_GREEN } from '../../src/handoff/remote/scripts.ts';
import { duplexPair } from '../peer/fake-os.ts';

export const HOME = '/srv/hermes';
export const SOCKET = `${HOME}/run/handoff.sock`;
export const TOKEN = 'ab'.repeat(32);
export const BLUE_PID = 100;
export const START = 1_800_000_000_000;

/** A clock whose timers fire only when the test runs it. */
export class FakeClock {
  now = START;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  /** Calls `fn` after `ms` of fake time; the returned function cancels it. */
  after = (ms: number, fn: () => void): (() => void) => {
    const t = { at: this.now + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  };

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** Lets everything that is not waiting for the clock run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await nextTurn();
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await this.settle();
    while (await this.fireNext(target));
    this.now = target;
    await this.settle();
  }

  /** Runs the clock until `p` settles; throws when it is stuck (nothing to fire) or runs past `maxMs` of fake time. */
  async run<T>(p: Promise<T>, maxMs = 3_600_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    const limit = this.now + maxMs;
    await this.settle();
    while (!done) {
      if (!(await this.fireNext(limit))) throw new Error(`stuck: the engine waits for nothing the clock can fire (fake time ${this.now - START} ms)`);
    }
    return watched;
  }

  private async fireNext(limit: number): Promise<boolean> {
    let next: { at: number; seq: number; fn: () => void } | undefined;
    for (const t of this.timers) if (t.at <= limit && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    if (!next) return false;
    const n = next;
    this.timers = this.timers.filter((x) => x !== n);
    this.now = Math.max(this.now, n.at);
    n.fn();
    await this.settle();
    return true;
  }
}

type Handoff = { id: string; release: string; runtime: string; bake_ms: number; green_pid: number | null; started_at: number; bake_started_at: number | null };

/** What blue does with a request: answer it, stay silent, or close the connection. */
export type Reply = 'answer' | 'silent' | 'close';

/** A blue that answers the observer role from a script the test controls. */
export class ScriptedBlue {
  pid = BLUE_PID;
  phase: Phase = 'idle';
  release = 'r1';
  runtime = 'legacy';
  handoff: Handoff | null = null;
  timeline: TimelineEntry[] = [];
  health: HealthSample[] = [];
  lastVerdict: VerdictRecord | null = null;
  /** Every frame received, by connection number. */
  readonly received: Array<{ conn: number; frame: Frame }> = [];
  readonly conns: FrameConn[] = [];
  private readonly subscribers = new Set<FrameConn>();
  /** How blue handles STATUS and ABORT; `reserve` may refuse (the code and message of an ERROR). */
  hooks: { status?: (n: number) => Reply; abort?: () => Reply | { code: 'busy' | 'wrong_phase'; message: string }; reserve?: () => { code: 'busy'; message: string } | 'silent' | null } = {};

  constructor(
    private readonly clock: FakeClock,
    private readonly files: Map<string, string>,
  ) {}

  /** The engine's end of a new connection. */
  connect(): Duplex {
    const [engineEnd, blueEnd] = duplexPair(1, this.pid);
    const n = this.conns.length;
    let statuses = 0;
    const conn: FrameConn = new FrameConn(
      blueEnd,
      (d) => {
        if (!d.ok) return conn.close();
        const f = d.frame;
        this.received.push({ conn: n, frame: f });
        const send = (o: Outgoing) => conn.send(o);
        switch (f.type) {
          case 'HELLO':
            if (f.token !== TOKEN) return conn.close({ type: 'ERROR', code: 'unauthorized', message: 'wrong token', fatal: true });
            return send({ type: 'WELCOME', server_pid: this.pid, phase: this.phase, release: this.release, runtime: this.runtime, versions: [1] });
          case 'STATUS': {
            const r = this.hooks.status?.(statuses++) ?? 'answer';
            if (r === 'close') return conn.destroy();
            if (r === 'answer') send(this.stateFrame());
            return;
          }
          case 'SUBSCRIBE':
            this.subscribers.add(conn);
            return send(this.stateFrame());
          case 'RESERVE': {
            const hook = this.hooks.reserve?.() ?? null;
            const refused = hook === 'silent' ? null : (hook ?? (this.handoff ? { code: 'busy' as const, message: `handoff ${this.handoff.id} is ${this.phase}; one handoff at a time` } : null));
            if (refused) return send({ type: 'ERROR', code: refused.code, message: refused.message, frame: 'RESERVE', fatal: false });
            this.handoff = { id: f.handoff_id, release: f.release, runtime: f.runtime, bake_ms: f.bake_ms, green_pid: null, started_at: this.clock.now, bake_started_at: null };
            this.timeline = [];
            this.health = [];
            this.setPhase('reserved');
            if (hook === 'silent') return;
            return send({
              type: 'RESERVED',
              handoff_id: f.handoff_id,
              expires_at: this.clock.now + (f.deadlines?.claim_ms ?? DEFAULT_DEADLINES.claim_ms),
              thresholds: { ...DEFAULT_THRESHOLDS, ...f.thresholds },
              deadlines: { ...DEFAULT_DEADLINES, ...f.deadlines },
              observe_ms: f.observe_ms ?? 0,
              observe_thresholds: { ...DEFAULT_OBSERVE_THRESHOLDS, ...f.observe_thresholds },
            });
          }
          case 'ABORT': {
            const r = this.hooks.abort?.() ?? 'answer';
            if (r === 'close') return conn.destroy();
            if (r === 'silent') return;
            if (typeof r === 'object') return send({ type: 'ERROR', code: r.code, message: r.message, frame: 'ABORT', fatal: false });
            if (this.handoff?.id !== f.handoff_id) return send({ type: 'ERROR', code: 'unknown_handoff', message: `no handoff ${f.handoff_id}`, frame: 'ABORT', fatal: false });
            send({ type: 'ABORTING', handoff_id: f.handoff_id, phase: this.phase });
            this.decide(this.phase === 'reserved' || this.phase === 'init' ? 'failed' : 'rolled-back', `aborted: ${f.reason}`);
            return;
          }
          default:
            return;
        }
      },
      this.clock.after,
    );
    this.conns.push(conn);
    conn.closedPromise().then(() => this.subscribers.delete(conn), () => undefined);
    return engineEnd;
  }

  /** Connections still open. */
  get open(): number {
    return this.conns.filter((c) => !c.isClosed).length;
  }

  /** The frames of `type` received so far. */
  got(type: Frame['type']): Frame[] {
    return this.received.filter((r) => r.frame.type === type).map((r) => r.frame);
  }

  /** Moves the handoff to `phase` (an EVENT to subscribers). */
  setPhase(phase: Phase, note?: string): void {
    this.phase = phase;
    if (!this.handoff) return;
    const at = this.clock.now;
    this.timeline.push({ phase, at, ...(note ? { note } : {}) });
    if (phase === 'baking') this.handoff.bake_started_at = at;
    this.broadcast({ type: 'EVENT', event: { kind: 'phase', handoff_id: this.handoff.id, phase, at, ...(note ? { note } : {}) } });
  }

  /** Green `pid` claims the reservation (HELLO as green). */
  claim(pid: number): void {
    if (this.handoff) this.handoff.green_pid = pid;
    this.setPhase('init');
  }

  /** A HEALTH sample from green during the bake. */
  sample(handled = 10): void {
    if (!this.handoff) return;
    const s: HealthSample = { seq: this.health.length, at: this.clock.now, handled, errors: 0, latency_p50_ms: 5, latency_p99_ms: 9 };
    this.health.push(s);
    this.broadcast({ type: 'EVENT', event: { kind: 'health', handoff_id: this.handoff.id, sample: s } });
  }

  /** Blue decides the handoff: the verdict file, STATE.last_verdict, an EVENT; a promotion makes green the server. */
  decide(verdict: VerdictRecord['verdict'], reason: string): VerdictRecord {
    const h = this.handoff;
    if (!h) throw new Error('no handoff to decide');
    const rec: VerdictRecord = {
      v: 1,
      handoff_id: h.id,
      verdict,
      reason,
      release: h.release,
      runtime: h.runtime,
      blue_pid: this.pid,
      green_pid: h.green_pid,
      decided_by: 'blue',
      decided_at: this.clock.now,
      dark_window_ms: null,
      timeline: [...this.timeline],
      health: [...this.health],
    };
    this.files.set(`${HOME}/run/handoffs/${h.id}.json`, JSON.stringify(rec));
    this.lastVerdict = rec;
    this.handoff = null;
    this.phase = 'idle';
    if (verdict === 'promoted' && h.green_pid !== null) {
      this.pid = h.green_pid;
      this.release = h.release;
      this.runtime = h.runtime;
    }
    this.broadcast({ type: 'EVENT', event: { kind: 'verdict', record: rec } });
    return rec;
  }

  /** Drops every connection, as a lost SSH link does. */
  dropAll(): void {
    for (const c of this.conns) c.destroy();
  }

  /** The STATE frame now. */
  stateFrame(): Outgoing {
    return {
      type: 'STATE',
      phase: this.phase,
      server_pid: this.pid,
      release: this.release,
      runtime: this.runtime,
      handoff: this.handoff ? { ...this.handoff } : null,
      timeline: [...this.timeline],
      health: [...this.health],
      last_verdict: this.lastVerdict,
      standby: null,
    };
  }

  private broadcast(f: Outgoing): void {
    for (const c of this.subscribers) c.send(f);
  }
}

/** A green the host started. */
export interface FakeGreen {
  id: string;
  pid: number;
  alive: boolean;
  /** How it was stopped, if it was. */
  stoppedBy: string | null;
  stdin: string;
}

/** The host: files, greens, the blue behind the socket, and what every remote operation does. */
export class FakeHost implements Host {
  readonly kind = 'ssh' as const;
  readonly files = new Map<string, string>([[`${HOME}/run/handoff.token`, `${TOKEN}\n`]]);
  readonly blue: ScriptedBlue;
  /** Every argv exec'd, in order. */
  readonly execs: string[][] = [];
  readonly greens: FakeGreen[] = [];
  /** The socket file: `live` (blue answers), `stale` (a file, nobody listening), `missing`. */
  socket: 'live' | 'stale' | 'missing' = 'live';
  /** When set, openSocket and exec reject with it (a host key mismatch on reconnect, a dead link). */
  failure: Error | null = null;
  openSockets = 0;
  /** What prepare does: exit code (0 ok) and output, or a thrown error. */
  prepare: { code: number; output: string } | Error = { code: 0, output: '' };
  /** Called when a green is launched (the test scripts what it does next). */
  onLaunch: (g: FakeGreen) => void = () => {};
  private nextPid = 500;

  constructor(readonly clock: FakeClock) {
    this.blue = new ScriptedBlue(clock, this.files);
  }

  async exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    this.execs.push([...argv]);
    if (this.failure) throw this.failure;
    const ok = (stdout = ''): ExecResult => ({ code: 0, signal: null, stdout, stderr: '' });
    const code = (c: number, stderr = ''): ExecResult => ({ code: c, signal: null, stdout: '', stderr });
    if (argv[0] === AGENT_PROGRAM) return this.agentOp(argv.slice(1), opts);
    const [cmd, , script] = argv;
    if (cmd === 'cat') {
      const text = this.files.get(argv[2]!);
      return text === undefined ? code(1, `cat: ${argv[2]}: No such file or directory`) : ok(text);
    }
    if (cmd === 'tail') return ok(`green log of ${argv.at(-1)}\n`);
    if (cmd === 'timeout') {
      if (argv[6] !== PREPARE) throw new Error(`unexpected argv ${JSON.stringify(argv)}`);
      if (this.prepare instanceof Error) throw this.prepare;
      return { code: this.prepare.code, signal: null, stdout: this.prepare.output, stderr: '' };
    }
    if (cmd === 'sh') {
      const args = argv.slice(4);
      switch (script) {
        case PRINT_HOME:
          return ok('/home/hermes');
        case LIST_NEWEST:
          return ok(this.verdictIds().map((id) => `${id}.json\n`).join(''));
        case SOCKET_STATE:
          return code(this.socket === 'missing' ? 1 : 0);
        case LAUNCH_SCRIPT:
          return ok(`${this.launch(/green-([^/]+)\.log$/.exec(args[0]!)?.[1] ?? '?', opts.stdin ?? '').pid}\n`);
        case PID_RUNS:
          return code(this.greens.find((g) => g.pid === Number(args[0]))?.alive ? 0 : 1);
        case STOP_GREEN:
          return ok(this.stop(args[3]!, Number(args[1])));
        case RESOLVE_COMMAND:
          return ok(`/usr/bin/${args[1]}\n`);
      }
    }
    if (cmd === 'test' || cmd === 'df') return ok('Filesystem 1024-blocks Used Available Capacity Mounted\n/dev/x 1000000 1 999999 1% /\n');
    throw new Error(`the fake host does not know ${JSON.stringify(argv)}`);
  }

  async openSocket(path: string): Promise<Duplex> {
    this.openSockets++;
    if (this.failure) throw this.failure;
    if (path !== SOCKET) throw new Error(`${path}: no socket there`);
    if (this.socket !== 'live') throw new Error(`${path}: ${this.socket === 'stale' ? 'nothing listening' : 'no socket there'}`);
    return this.blue.connect();
  }

  async close(): Promise<void> {
    this.blue.dropAll();
  }

  /** The agent commands that reached the host (the words after the program name). */
  get agentOps(): string[][] {
    return this.execs.filter((a) => a[0] === AGENT_PROGRAM).map((a) => a.slice(1));
  }

  private verdictIds(): string[] {
    return [...this.files.keys()]
      .filter((k) => k.startsWith(`${HOME}/run/handoffs/`))
      .map((k) => k.slice(`${HOME}/run/handoffs/`.length, -'.json'.length))
      .reverse();
  }

  private launch(id: string, stdin: string): FakeGreen {
    const g: FakeGreen = { id, pid: this.nextPid++, alive: true, stoppedBy: null, stdin };
    this.greens.push(g);
    this.onLaunch(g);
    return g;
  }

  private stop(id: string, pid: number): string {
    const g = this.greens.find((x) => x.id === id && x.pid === pid);
    if (!g || !g.alive) return `green (process group ${pid}) had already exited`;
    g.alive = false;
    g.stoppedBy = 'stop-green';
    return `stopped green (process group ${pid}) with SIGTERM`;
  }

  private agentOp(words: string[], opts: ExecOptions): ExecResult {
    const [op, ...args] = words;
    const ok = (stdout = ''): ExecResult => ({ code: 0, signal: null, stdout, stderr: '' });
    const fail = (c: number, msg: string): ExecResult => ({ code: c, signal: null, stdout: '', stderr: `${AGENT_PROGRAM}: ${msg}\n` });
    switch (op) {
      case 'token':
        return ok(`${TOKEN}\n`);
      case 'verdict': {
        const text = this.files.get(`${HOME}/run/handoffs/${args[0]}.json`);
        return text === undefined ? fail(AGENT_EXIT.notFound, `no verdict for handoff ${args[0]}`) : ok(`${JSON.stringify(JSON.parse(text))}\n`);
      }
      case 'verdicts':
        return ok(
          this.verdictIds()
            .slice(0, Number(args[0] ?? 10))
            .map((id) => {
              const r = JSON.parse(this.files.get(`${HOME}/run/handoffs/${id}.json`)!) as VerdictRecord;
              return `${JSON.stringify({ handoff_id: id, verdict: r.verdict, reason: r.reason, release: r.release, runtime: r.runtime, decided_by: r.decided_by, decided_at: r.decided_at })}\n`;
            })
            .join(''),
        );
      case 'status':
        if (this.socket !== 'live') return fail(AGENT_EXIT.unavailable, `nothing accepts connections on ${SOCKET} (${this.socket === 'stale' ? 'Connection refused' : 'No such file or directory'}): is the gateway (blue) running?`);
        return ok(`${JSON.stringify({ v: 1, ...this.blue.stateFrame() })}\n`);
      case 'prepare':
        if (this.prepare instanceof Error) throw this.prepare;
        return this.prepare.code === 0 ? ok(this.prepare.output) : { code: AGENT_EXIT.no, signal: null, stdout: this.prepare.output, stderr: `${AGENT_PROGRAM}: the prepare command exited with ${this.prepare.code}\n` };
      case 'launch':
        return ok(`${this.launch(args[0]!, opts.stdin ?? '').pid}\n`);
      case 'pid-runs':
        return this.greens.find((g) => g.pid === Number(args[0]))?.alive ? ok(`pid ${args[0]} is running\n`) : { code: AGENT_EXIT.no, signal: null, stdout: `pid ${args[0]} is not running\n`, stderr: '' };
      case 'stop-green': {
        const g = this.greens.find((x) => x.id === args[0]);
        if (!g) return fail(AGENT_EXIT.notFound, `the agent launched no green for handoff ${args[0]}`);
        const was = g.alive;
        g.alive = false;
        g.stoppedBy ??= was ? 'stop-green' : null;
        return ok(`${JSON.stringify(was ? { handoff_id: g.id, launcher: 'process', pid: g.pid, stopped: true, signal: 'SIGTERM', pids: [g.pid] } : { handoff_id: g.id, launcher: 'process', pid: g.pid, stopped: false, detail: 'green had already exited' })}\n`);
      }
      case 'tail':
        return ok(`green log of ${args[0]}\n`);
      case 'preflight':
        return ok(`${JSON.stringify({ ok: true, checks: [{ name: 'agent config', ok: true, detail: '/etc/hermes-handoff/agent.json' }, { name: 'socket answers', ok: true, detail: SOCKET }], blue: null })}\n`);
      default:
        return fail(AGENT_EXIT.refused, `refused: unknown operation ${JSON.stringify(op)}`);
    }
  }
}

/** The agent's hello for a host whose config names HOME. */
export function agentHello(over: Partial<HostAgent> = {}): HostAgent {
  return {
    version: '1.0.0',
    protocol: 1,
    mode: 'full',
    forced: true,
    config: '/etc/hermes-handoff/agent.json',
    configError: null,
    hermesHome: HOME,
    socket: SOCKET,
    launcher: 'process',
    prepare: false,
    ops: ['hello', 'preflight', 'status', 'verdict', 'verdicts', 'token', 'socket', 'prepare', 'launch', 'pid-runs', 'stop-green', 'tail'],
    ...over,
  };
}

/** The engine's parameters for a run on the fake host. */
export function params(over: Partial<EngineParams> = {}): EngineParams {
  return {
    mode: 'promote',
    targetName: 'staging',
    hermesHome: HOME,
    socketPath: null,
    greenCommand: 'hermes gateway',
    workdir: null,
    runtime: 'claw',
    release: 'r2',
    greenEnv: { SECRET: 's3cret' },
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
    bakeMs: 5_000,
    timeoutMs: 60_000,
    thresholds: {},
    deadlines: {},
    ...over,
  };
}

/** The engine's io on the fake host and clock, its log kept in `logs`. */
export function engineIo(host: FakeHost, agent: HostAgent | null = null): EngineIo & { logs: string[]; phases: string[] } {
  const logs: string[] = [];
  const phases: string[] = [];
  return {
    host,
    agent,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) },
    onPhase: (p) => phases.push(p),
    now: () => host.clock.now,
    after: host.clock.after,
    logs,
    phases,
  };
}

/** A fresh clock, host and blue. */
export function world(): { clock: FakeClock; host: FakeHost; blue: ScriptedBlue } {
  const clock = new FakeClock();
  const host = new FakeHost(clock);
  return { clock, host, blue: host.blue };
}

/** A green that claims at once, bakes `bakeMs` with a heartbeat a second, and is promoted (the scripted happy path). */
export function promotesAfter(host: FakeHost, bakeMs: number): (g: FakeGreen) => void {
  return (g) => {
    host.clock.after(100, () => {
      host.blue.claim(g.pid);
      host.blue.setPhase('baking', 'green polling');
      for (let t = 1_000; t <= bakeMs; t += 1_000) host.clock.after(t, () => host.blue.sample());
      host.clock.after(bakeMs + 10, () => host.blue.decide('promoted', `bake of ${bakeMs / 1000} s passed`));
    });
  };
}
