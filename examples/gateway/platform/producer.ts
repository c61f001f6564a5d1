// Makes updates at a steady rate: spread evenly by a timer, catching up when the timer fires late.
import { performance } from 'node:perf_hooks';

/** A rate-driven producer calling `emit(n)` with how many updates are due. */
export class Producer {
  private rate = 0;
  private base = 0;
  private done = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly emit: (n: number) => void) {}

  /** Updates per second now. */
  get current(): number {
    return this.rate;
  }

  /** Sets the rate (updates per second, 0 = none), counting from now. */
  setRate(rate: number): void {
    if (!Number.isFinite(rate) || rate < 0) throw new Error(`rate must be a finite number >= 0, got ${rate}`);
    this.stop();
    this.rate = rate;
    this.base = performance.now();
    this.done = 0;
    if (rate > 0) this.schedule();
  }

  /** Stops producing (the rate stays as set until setRate). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const next = this.base + ((this.done + 1) * 1000) / this.rate;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    const due = Math.floor(((performance.now() - this.base) * this.rate) / 1000);
    const n = due - this.done;
    this.done = Math.max(this.done, due);
    if (n > 0) this.emit(n);
    if (this.rate > 0 && this.timer === null) this.schedule();
  }
}
