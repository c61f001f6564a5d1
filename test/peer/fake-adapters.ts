// Adapters for in-process tests: a platform offset that moves only when the test says messages
// were answered, with every call recorded, on the fake world's clock.
import type { Adapters, WindowStats } from '../../src/peer/adapters.ts';
import type { Cursors } from '../../src/protocol/frames.ts';
import type { Reply } from '../../src/protocol/health.ts';
import type { FakeWorld } from './fake-os.ts';

/** Who polls the one fake platform: never two adapters at once (the tests' conflict count). */
export class Pollers {
  readonly polling = new Set<FakeAdapters>();
  /** The most adapters ever polling at once. */
  most = 0;
  /** Each adapter that started, with the cursors it started from, in order. */
  readonly starts: { pid: number; offset: number }[] = [];
}

/** A fake platform adapter named `telegram`; `calls` logs start/pause/release in order. */
export class FakeAdapters implements Adapters {
  running = false;
  offset: number;
  readonly calls: string[] = [];
  /** What the next sample() returns. */
  window: WindowStats = { handled: 10, errors: 0, latency_p50_ms: 5, latency_p99_ms: 20 };
  /** What replies() returns (blue's baseline is taken from them). */
  history: Reply[] = [];
  /** What handoverNotes() returns. */
  notes: string[] = [];
  /** How long pause() takes on the fake clock (0: at once). */
  pauseTakesMs = 0;

  constructor(
    protected readonly world: FakeWorld,
    readonly pid: number,
    start = 100,
    /** The platform's pollers, shared by every adapter of a test that counts them. */
    readonly pollers: Pollers | null = null,
  ) {
    this.offset = start;
  }

  names(): string[] {
    return ['telegram'];
  }

  async start(cursors: Cursors | null): Promise<number> {
    if (this.running) throw new Error('start() while polling');
    const from = cursors?.telegram;
    if (from?.kind === 'telegram') this.offset = from.offset;
    this.running = true;
    this.calls.push(`start ${cursors === null ? 'store' : JSON.stringify(cursors)}`);
    if (this.pollers) {
      this.pollers.polling.add(this);
      this.pollers.most = Math.max(this.pollers.most, [...this.pollers.polling].filter((a) => a.running && this.world.isAlive(a.pid)).length);
      this.pollers.starts.push({ pid: this.pid, offset: this.offset });
    }
    return this.world.now;
  }

  /** The standby's release: what it frees (nothing to free here but the record of it). */
  async release(): Promise<void> {
    this.calls.push('release');
  }

  async pause(deadlineMs: number): Promise<{ cursors: Cursors; drained: number; paused_at: number }> {
    this.calls.push(`pause ${deadlineMs}`);
    const pausedAt = this.world.now;
    this.running = false;
    this.pollers?.polling.delete(this);
    if (this.pauseTakesMs > 0) {
      const os = this.world.os(this.pid);
      await new Promise<void>((r) => os.after(this.pauseTakesMs, r));
    }
    return { cursors: this.cursors(), drained: 0, paused_at: pausedAt };
  }

  /** The platform answered `n` messages by this process: the offset moves on (only while polling). */
  answer(n: number): void {
    if (this.running) this.offset += n;
  }

  cursors(): Cursors {
    return { telegram: { kind: 'telegram', offset: this.offset } };
  }

  sample(): WindowStats {
    return { ...this.window };
  }

  replies(): readonly Reply[] {
    return this.history;
  }

  handoverNotes(): string[] {
    return this.notes;
  }
}
