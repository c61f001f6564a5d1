// One start()..pause() stretch of an adapter: what pause() may cut short, and what it counts.

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 2000;

/** The next backoff after `prev` ms: 50 ms, doubling, at most 2 s. */
export const nextBackoff = (prev: number): number => Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, prev * 2));

/** A stretch of running: abandoned when pause() gives up on it; its waits end early when woken. */
export class AdapterRun {
  /** pause() gave up waiting for the drain: send nothing more, record nothing more. */
  abandoned = false;
  /** Messages answered after pause() was called. */
  drained = 0;
  private readonly sleepers = new Set<() => void>();
  private readonly ctl = new AbortController();

  /** Aborted by stop() and abandon(): requests of this run that may be cut short. */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** Waits `ms`, or less when wake() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Ends every wait now. */
  wake(): void {
    for (const s of [...this.sleepers]) s();
  }

  /** Ends its waits and aborts its requests (the run is stopping). */
  stop(): void {
    this.ctl.abort();
    this.wake();
  }

  /** Marks the run abandoned, ends its waits and aborts its requests. */
  abandon(): void {
    this.abandoned = true;
    this.stop();
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise (p keeps running). */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A limit of `n` tasks at once: the function returned runs `task` when a slot is free. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return (task) =>
    new Promise((resolve, reject) => {
      const go = () => {
        active++;
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < n) go();
      else queue.push(go);
    });
}
