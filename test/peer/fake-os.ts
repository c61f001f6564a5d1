// An in-memory world for in-process tests of the peer roles: a fake clock whose timers fire only when
// the test advances it, a process table, a socket namespace of in-memory duplex pairs, and files in a
// map. Every process (blue, green, the test's own clients) gets a PeerOs view of the same world.
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Cancel, PeerFiles, PeerListener, PeerNet, PeerOs } from '../../src/peer/os.ts';
import type { VerdictState } from '../../src/peer/files.ts';
import { parseHandoffId } from '../../src/protocol/ids.ts';
import { VerdictRecord } from '../../src/protocol/frames.ts';

interface Timer {
  at: number;
  seq: number;
  owner: number;
  fn: () => void;
}

interface Listening {
  owner: number;
  live: boolean;
  onConnection: (s: Duplex) => void;
}

/** One end of an in-memory byte stream; what one end writes the other reads. */
class End extends Duplex {
  other: End | null = null;
  /** Sees every byte this end writes (the transcripts tap). */
  tap: ((text: string) => void) | null = null;
  constructor(
    readonly owner: number,
    /** True while a process is frozen: what is written to it is never read. */
    private readonly frozen: (pid: number) => boolean = () => false,
  ) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.tap?.(Buffer.from(chunk).toString('utf8'));
    if (this.other && !this.other.destroyed && !this.frozen(this.other.owner)) this.other.push(Buffer.from(chunk));
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    if (this.other && !this.other.destroyed) this.other.push(null);
    cb();
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const o = this.other;
    this.other = null;
    if (o && !o.destroyed) o.destroy();
    cb(err);
  }
}

/** Two connected in-memory streams: `a` for the `ownerA` side, `b` for the `ownerB` side. */
export function duplexPair(ownerA: number, ownerB: number, frozen: (pid: number) => boolean = () => false): [Duplex, Duplex] {
  const a = new End(ownerA, frozen);
  const b = new End(ownerB, frozen);
  a.other = b;
  b.other = a;
  return [a, b];
}

const errno = (code: string, msg: string) => Object.assign(new Error(`${code}: ${msg}`), { code });

/** What a fake process does with a signal other than SIGKILL: `ignore` it, or `exit`. */
export type SignalMode = 'exit' | 'ignore';

/** The shared world: clock, processes, sockets and files. */
export class FakeWorld {
  private clock: number;
  private seq = 0;
  private timers: Timer[] = [];
  private readonly alive = new Map<number, SignalMode>();
  /** Hung processes: alive, but their timers never fire and they read nothing. */
  private readonly frozen = new Set<number>();
  /** What rss() reports, by pid (default 40 MiB). */
  readonly rssBytes = new Map<number, number>();
  private readonly sockets = new Map<string, Listening>();
  private readonly streams = new Set<End>();
  /** File contents by path (verdict files, tokens). */
  readonly fileMap = new Map<string, string>();
  /** Make the next verdict writes fail with this message (null: they succeed). */
  failVerdictWrites: string | null = null;
  /** Called right after a verdict file was written (a test steps in at that instant). */
  onVerdictWrite: ((record: VerdictRecord) => void) | null = null;
  /** Every signal sent, in order. */
  readonly signals: { pid: number; signal: NodeJS.Signals }[] = [];
  /** Sees what each side of every connection writes: the connecting pid, the listener's pid, who wrote, the bytes. */
  tap: ((client: number, server: number, from: 'client' | 'server', text: string) => void) | null = null;

  constructor(start = 1_800_000_000_000) {
    this.clock = start;
  }

  /** The current fake time. */
  get now(): number {
    return this.clock;
  }

  /** Adds a live process; `onSigterm` says what it does with SIGTERM. */
  spawn(pid: number, onSigterm: SignalMode = 'exit'): void {
    this.alive.set(pid, onSigterm);
  }

  /** True while `pid` lives. */
  isAlive(pid: number): boolean {
    return this.alive.has(pid);
  }

  /** Hangs `pid` for good (a blocked thread): it stays alive, but none of its timers fires and it reads nothing, also no new connection. */
  freeze(pid: number): void {
    if (this.alive.has(pid)) this.frozen.add(pid);
  }

  /** Kills `pid` at once, like SIGKILL: its timers stop, its connections drop, its listeners stop answering. */
  crash(pid: number): void {
    this.frozen.delete(pid);
    if (!this.alive.delete(pid)) return;
    this.timers = this.timers.filter((t) => t.owner !== pid);
    for (const l of this.sockets.values()) if (l.owner === pid) l.live = false;
    for (const s of [...this.streams]) {
      if (s.owner === pid) {
        this.streams.delete(s);
        s.destroy();
      }
    }
  }

  /** The PeerOs of process `pid` (spawned if it is not yet). */
  os(pid: number): PeerOs {
    if (!this.alive.has(pid)) this.spawn(pid);
    const net: PeerNet = {
      listen: async (socketPath, onConnection, takeover): Promise<PeerListener> => {
        const cur = this.sockets.get(socketPath);
        if (!takeover && cur && cur.live && this.isAlive(cur.owner)) throw new Error(`another process is already listening on ${socketPath}`);
        const l: Listening = { owner: pid, live: true, onConnection };
        this.sockets.set(socketPath, l);
        return {
          close: async () => {
            l.live = false;
          },
        };
      },
      connect: async (socketPath) => {
        if (!this.isAlive(pid)) throw errno('EPERM', 'this process is dead');
        const l = this.sockets.get(socketPath);
        if (!l) throw errno('ENOENT', socketPath);
        if (!l.live || !this.isAlive(l.owner)) throw errno('ECONNREFUSED', socketPath);
        const [mine, theirs] = duplexPair(pid, l.owner, (p) => this.frozen.has(p)) as [End, End];
        const server = l.owner;
        mine.tap = (t) => this.tap?.(pid, server, 'client', t);
        theirs.tap = (t) => this.tap?.(pid, server, 'server', t);
        this.streams.add(mine);
        this.streams.add(theirs);
        // A hung listener's kernel accepts the connection; the process never takes it.
        if (!this.frozen.has(server)) l.onConnection(theirs);
        return mine;
      },
    };
    const files: PeerFiles = {
      ensureToken: (socketPath) => {
        const p = tokenPath(socketPath);
        const t = this.fileMap.get(p) ?? `${'ab'.repeat(32)}\n`;
        this.fileMap.set(p, t);
        return t.trim();
      },
      readToken: (socketPath) => this.fileMap.get(tokenPath(socketPath))?.trim() || null,
      writeVerdict: (home, record) => {
        if (!this.isAlive(pid)) throw new Error('a dead process writes nothing');
        if (this.failVerdictWrites !== null) throw new Error(this.failVerdictWrites);
        this.fileMap.set(verdictFile(home, record.handoff_id), JSON.stringify(record));
        this.onVerdictWrite?.(record);
      },
      readVerdict: (home, id) => this.verdict(home, id),
      verdictState: (home, id): VerdictState => {
        const text = this.fileMap.get(verdictFile(home, id));
        if (text === undefined) return null;
        return this.verdict(home, id)?.verdict ?? 'unreadable';
      },
    };
    return {
      pid,
      now: () => this.clock,
      after: (ms, fn) => this.after(pid, ms, fn),
      isAlive: (p) => this.isAlive(p),
      rss: () => this.rssBytes.get(pid) ?? 40 * 1024 * 1024,
      hold: () => () => {},
      kill: (p, signal) => {
        this.signals.push({ pid: p, signal });
        const mode = this.alive.get(p);
        if (mode === undefined) return;
        if (signal === 'SIGKILL' || mode === 'exit') this.crash(p);
      },
      files,
      net,
    };
  }

  /** Handoff `id`'s verdict file under `home`, parsed, or null. */
  verdict(home: string, id: string): VerdictRecord | null {
    const text = this.fileMap.get(verdictFile(home, id));
    if (text === undefined) return null;
    try {
      const r = VerdictRecord.safeParse(JSON.parse(text));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  }

  /** The pid whose listener answers at `socketPath`, or null. */
  listenerOf(socketPath: string): number | null {
    const l = this.sockets.get(socketPath);
    return l && l.live && this.isAlive(l.owner) ? l.owner : null;
  }

  private after(owner: number, ms: number, fn: () => void): Cancel {
    if (!this.alive.has(owner)) return () => {};
    const t: Timer = { at: this.clock + Math.max(0, ms), seq: this.seq++, owner, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Lets everything that is not waiting for the clock run (promises, stream events). */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await nextTurn();
  }

  /** Fires the earliest timer due at or before `limit`; false when there is none. */
  private async fireNext(limit: number): Promise<boolean> {
    let next: Timer | undefined;
    for (const t of this.timers) {
      if (this.frozen.has(t.owner)) continue;
      if (t.at <= limit && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    }
    if (!next) return false;
    this.timers = this.timers.filter((x) => x !== next);
    this.clock = Math.max(this.clock, next.at);
    next.fn();
    await this.settle();
    return true;
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.clock + ms;
    await this.settle();
    while (await this.fireNext(target));
    this.clock = target;
    await this.settle();
  }

  /** Runs the clock until `cond()` holds; throws when it does not within `maxMs` of fake time. */
  async until(cond: () => boolean, maxMs: number, what = 'the condition'): Promise<void> {
    const limit = this.clock + maxMs;
    await this.settle();
    while (!cond()) {
      if (!(await this.fireNext(limit))) throw new Error(`${what} did not happen within ${maxMs} ms of fake time`);
    }
  }
}

function tokenPath(socketPath: string): string {
  return `${socketPath.slice(0, socketPath.lastIndexOf('/'))}/handoff.token`;
}

function verdictFile(home: string, id: string): string {
  return `${home}/run/handoffs/${parseHandoffId(id)}.json`;
}
