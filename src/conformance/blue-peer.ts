// The driver's side of `--drive blue`: the observers and the greens it plays against a blue, what they
// share, and the checks of blue's records. Green's pid is always a stand-in process the driver started,
// because blue watches it and may kill it.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Deadlines, Thresholds } from '../protocol/deadlines.ts';
import { formatDuration } from '../protocol/format.ts';
import type { Cursors, FrameOf, VerdictRecord } from '../protocol/frames.ts';
import type { Decoded } from '../protocol/framing.ts';
import { expectEqual, expectThat, Mismatch, show, type Scope } from './cases.ts';
import { spawnStandIn, type Proc } from './procs.ts';
import { Wire } from './wire.ts';

type Ev = FrameOf<'EVENT'>['event'];

/** Every EVENT of one subscribed observer connection, kept in order; waits look through all of them. */
export class EventLog {
  readonly events: Ev[] = [];
  private wake: (() => void) | null = null;

  constructor(readonly wire: Wire) {
    wire.tap((d: Decoded) => {
      if (d.ok && d.frame.type === 'EVENT') this.events.push(d.frame.event);
      this.wake?.();
    });
  }

  /** The first event (from index `from`) that `match` accepts, within `ms`. */
  async find(what: string, match: (e: Ev) => boolean, ms: number, from = 0): Promise<Ev> {
    const end = Date.now() + ms;
    for (;;) {
      const e = this.events.slice(from).find(match);
      if (e) return e;
      if (this.wire.closed) throw new Mismatch(what, 'the subscriber connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Mismatch(what, `no such EVENT within ${formatDuration(ms)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** The verdict record of handoff `id`, within `ms`. */
  async verdict(id: string, ms: number): Promise<VerdictRecord> {
    const e = await this.find(`EVENT verdict of handoff ${id}`, (x) => x.kind === 'verdict' && x.record.handoff_id === id, ms);
    if (e.kind !== 'verdict') throw new Error('unreachable');
    return e.record;
  }

  /** The phase event of handoff `id` entering `phase`, within `ms`. */
  async phase(id: string, phase: string, ms: number): Promise<Extract<Ev, { kind: 'phase' }>> {
    const e = await this.find(`EVENT phase ${phase} of handoff ${id}`, (x) => x.kind === 'phase' && x.handoff_id === id && x.phase === phase, ms);
    if (e.kind !== 'phase') throw new Error('unreachable');
    return e;
  }
}

/** What the blue cases share. */
export interface BlueDrive {
  socket: string;
  /** HERMES_HOME when known: the verdict files are then checked too. */
  home: string | null;
  token: string;
  /** Makes every handoff id of this run unique. */
  run: string;
  n: number;
  /** Blue as its first WELCOME showed it. */
  blue: { pid: number; release: string; runtime: string };
  events: EventLog | null;
  /** A connection that never says HELLO, opened at the start; blue must close it after hello_ms. */
  silent: { wire: Wire; at: number } | null;
}

/** A fresh context for `socket`. */
export function blueDrive(socket: string, token: string, home: string | null): BlueDrive {
  return { socket, home, token, run: randomBytes(3).toString('hex'), n: 0, blue: { pid: 0, release: '', runtime: '' }, events: null, silent: null };
}

export const RELEASE = 'conformance-r2';
export const RUNTIME = 'conformance';
export const BAKE_MS = 400;
/** Short deadlines, so every case decides within seconds. */
export const DEADLINES: Deadlines = { hello_ms: 5_000, claim_ms: 5_000, ack_ms: 3_000, drain_ms: 3_000, confirm_ms: 3_000, heartbeat_ms: 100, rollback_grace_ms: 3_000, takeover_ms: 1_500, restart_grace_ms: 1_000 };
/** Latency is not what these cases judge: a floor no reply reaches. */
export const THRESHOLDS: Partial<Thresholds> = { max_heartbeat_age_ms: 800, consecutive: 2, latency_floor_ms: 60_000, min_messages: 10 };
/** How long blue may take to decide something the driver can see at once (a frame answered, a phase entered). */
export const SOON = 3_000;

export const token64 = (c: string) => c.repeat(64);
export const newId = (x: BlueDrive) => `cf-${x.run}-${++x.n}`;

/** An observer connection that got its WELCOME. */
export async function observer(x: BlueDrive): Promise<{ wire: Wire; welcome: FrameOf<'WELCOME'> }> {
  const wire = await Wire.open(x.socket);
  wire.send({ type: 'HELLO', role: 'observer', token: x.token, pid: process.pid, client: 'hermes-handoff/conformance' });
  const welcome = await wire.frame('WELCOME', SOON);
  return { wire, welcome };
}

export async function reserve(x: BlueDrive, id: string, o: { bake?: number; deadlines?: Partial<Deadlines>; thresholds?: Partial<Thresholds> } = {}): Promise<FrameOf<'RESERVED'>> {
  const { wire } = await observer(x);
  try {
    wire.send({ type: 'RESERVE', handoff_id: id, release: RELEASE, runtime: RUNTIME, bake_ms: o.bake ?? BAKE_MS, thresholds: { ...THRESHOLDS, ...o.thresholds }, deadlines: { ...DEADLINES, ...o.deadlines } });
    return await wire.frame('RESERVED', SOON);
  } finally {
    wire.close();
  }
}

export async function abort(x: BlueDrive, id: string, reason: string, phase: string): Promise<void> {
  const { wire } = await observer(x);
  try {
    wire.send({ type: 'ABORT', handoff_id: id, reason });
    const a = await wire.frame('ABORTING', SOON);
    expectEqual('ABORTING', a, { v: 1, type: 'ABORTING', handoff_id: id, phase });
  } finally {
    wire.close();
  }
}

export function expectVerdict(r: VerdictRecord, verdict: string, reason: string | RegExp, greenPid: number | null, x: BlueDrive): void {
  const ok = r.verdict === verdict && (typeof reason === 'string' ? r.reason === reason : reason.test(r.reason));
  expectThat(ok, `verdict ${verdict} ${typeof reason === 'string' ? show(reason) : String(reason)}`, () => `${r.verdict} ${show(r.reason)}`);
  expectEqual('the record of blue', { decided_by: r.decided_by, blue_pid: r.blue_pid, green_pid: r.green_pid, release: r.release, runtime: r.runtime }, { decided_by: 'blue', blue_pid: x.blue.pid, green_pid: greenPid, release: RELEASE, runtime: RUNTIME });
}

/** One handoff played as green by the driver, with a stand-in process for green's pid. */
export class GreenSide {
  wire!: Wire;
  init!: FrameOf<'HANDOFF_INIT'>;
  active!: FrameOf<'HANDOFF_ACTIVE'>;
  reserved!: FrameOf<'RESERVED'>;
  seq = 0;

  private constructor(
    readonly x: BlueDrive,
    readonly id: string,
    readonly green: Proc,
  ) {}

  /** Reserves, starts the stand-in, says HELLO as green and checks HANDOFF_INIT. */
  static async start(x: BlueDrive, scope: Scope, o: { bake?: number; deadlines?: Partial<Deadlines>; thresholds?: Partial<Thresholds> } = {}): Promise<GreenSide> {
    const id = newId(x);
    const g = new GreenSide(x, id, spawnStandIn());
    scope.defer(() => g.green.kill());
    g.reserved = await reserve(x, id, o);
    g.wire = await Wire.open(x.socket);
    scope.defer(() => g.wire.close());
    g.wire.send({ type: 'HELLO', role: 'green', token: x.token, pid: g.green.pid, handoff_id: id, client: 'green/conformance' });
    g.init = await g.wire.frame('HANDOFF_INIT', SOON);
    return g;
  }

  get cursors(): Cursors {
    return this.active.cursors;
  }

  ack(over: Record<string, unknown> = {}): void {
    this.wire.send({ type: 'HANDOFF_ACK', handoff_id: this.id, pid: this.green.pid, runtime: RUNTIME, release: RELEASE, store_schema: this.init.store.schema, init_ms: 120, ...over });
  }

  /** ACK, then HANDOFF_ACTIVE (checked). */
  async toActive(): Promise<void> {
    const t = Date.now();
    this.ack();
    this.active = await this.wire.frame('HANDOFF_ACTIVE', this.init.deadlines.drain_ms + SOON);
    expectEqual('HANDOFF_ACTIVE.handoff_id', this.active.handoff_id, this.id);
    expectThat(this.active.paused_at >= t - 1_000 && this.active.paused_at <= Date.now() + 1_000, `paused_at between the ACK (${t}) and now`, () => String(this.active.paused_at));
  }

  confirm(adapters: string[] = Object.keys(this.cursors), notes?: string[]): void {
    this.wire.send({ type: 'HANDOFF_CONFIRM', handoff_id: this.id, adapters, polling_at: Date.now(), ...(notes ? { notes } : {}) });
  }

  /** ACK, ACTIVE, CONFIRM of every adapter handed over, and the `baking` phase. */
  async toBaking(adapters?: string[], notes?: string[]): Promise<Extract<Ev, { kind: 'phase' }>> {
    await this.toActive();
    this.confirm(adapters, notes);
    return this.x.events!.phase(this.id, 'baking', SOON);
  }

  health(handled = 10, errors = 0): void {
    this.seq++;
    this.wire.send({
      type: 'HEALTH',
      handoff_id: this.id,
      sample: { seq: this.seq, at: Date.now(), handled, errors, latency_p50_ms: 2, latency_p99_ms: 5 },
      cursors: this.cursors,
    });
  }

  /** Heartbeats every heartbeat_ms until blue sends a frame of `type` (other frames fail the case). */
  async beatUntil<T extends 'HANDOFF_COMPLETE' | 'HANDOFF_ROLLBACK'>(type: T, ms: number, sample: () => [number, number] = () => [10, 0]): Promise<FrameOf<T>> {
    const end = Date.now() + ms;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) throw new Mismatch(`a ${type} from blue within ${formatDuration(ms)}`, 'none');
      const got = await this.wire.anyFrame(`a ${type}`, Math.min(left, this.init.deadlines.heartbeat_ms)).catch((e: unknown) => {
        if (e instanceof Mismatch && e.got.startsWith('nothing within')) return null;
        throw e;
      });
      if (got === null) {
        this.health(...sample());
        continue;
      }
      if (got.type !== type) throw new Mismatch(`a ${type} from blue`, show(got));
      return got as FrameOf<T>;
    }
  }

  /** Answers a HANDOFF_ROLLBACK with HANDOFF_STOPPED (the cursors it got), as a green that stops. */
  stopped(cursors: Cursors = this.cursors): void {
    this.wire.send({ type: 'HANDOFF_STOPPED', handoff_id: this.id, cursors });
  }

  /** Blue's verdict on this handoff. */
  verdict(ms = SOON + this.init.deadlines.rollback_grace_ms): Promise<VerdictRecord> {
    return this.x.events!.verdict(this.id, ms);
  }
}

/** A bad line on a fresh connection (after a HELLO when `hello`) must get exactly this ERROR and a close. */
export async function refused(x: BlueDrive, line: string | Uint8Array, spec: Parameters<Wire['error']>[0], hello = false): Promise<void> {
  const wire = hello ? (await observer(x)).wire : await Wire.open(x.socket);
  try {
    wire.raw(line);
    await wire.error(spec);
  } finally {
    wire.close();
  }
}

export const hello = (x: BlueDrive, extra: Record<string, unknown> = {}) => JSON.stringify({ v: 1, type: 'HELLO', role: 'observer', token: x.token, pid: process.pid, ...extra }) + '\n';

/** Answers connections on the driver's own listener as a green that took over: WELCOME with green's pid. */
export function answerAsGreen(socket: Socket, x: BlueDrive, greenPid: number): void {
  const w = new Wire(socket);
  void (async () => {
    try {
      const f = await w.anyFrame('HELLO', 5_000);
      if (f.type !== 'HELLO' || f.token !== x.token) return w.close();
      w.send({ type: 'WELCOME', server_pid: greenPid, phase: 'idle', release: RELEASE, runtime: RUNTIME, versions: [1] });
      await w.closedWithin(10_000);
    } catch {
      /* the checker went away */
    } finally {
      w.close();
    }
  })();
}
