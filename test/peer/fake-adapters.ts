// Adapters for in-process tests: a platform offset that moves only when the test says messages
// were answered, with every call recorded, on the fake world's clock.
import type { Adapters, WindowStats } from '../../src/peer/adapters.ts';
import type { Cursors } from '../../src/protocol/frames.ts';
import type { Reply } from '../../src/protocol/health.ts';
import type { FakeWorld } from './fake-os.ts';

/** A fake platform adapter named `telegram`; `calls` logs start/pause in order. */
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
    return this.world.now;
  }

  async pause(deadlineMs: number): Promise<{ cursors: Cursors; drained: number; paused_at: number }> {
    this.calls.push(`pause ${deadlineMs}`);
    const pausedAt = this.world.now;
    this.running = false;
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
