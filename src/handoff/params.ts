import type { HostAgent } from '../host/agent.ts';
import type { Host } from '../host/host.ts';

/** Cancels a timer set with `EngineIo.after`; a no-op once it fired. */
export type Cancel = () => void;

/** How the engine talks to the world: the host (and its agent, if any), the log, the hooks, the clock. */
export interface EngineIo {
  host: Host;
  /**
   * The host agent found when the host was opened (`SshHost.agent`), or null/absent: a plain host. Chosen once per
   * run: with an agent every remote operation is an agent operation, never a shell line.
   */
  agent?: HostAgent | null;
  log: { info(msg: string): void; warn(msg: string): void };
  /** Called at every phase change with a short description (the commit status). */
  onPhase?: (phase: string, detail: string) => void;
  /** Registers a value to be masked in every later log line (the socket token). */
  addSecret?: (value: string) => void;
  /** How often a progress line is logged during the bake (default 10 s; the demo shows one a second). */
  progressEveryMs?: number;
  /** The clock (epoch ms); Date.now when absent. */
  now?: () => number;
  /** Calls `fn` once after `ms` of the same clock; setTimeout when absent. */
  after?: (ms: number, fn: () => void) => Cancel;
}

/** The engine's clock: what `io` gives, else the real one. */
export interface EngineClock {
  now(): number;
  after(ms: number, fn: () => void): Cancel;
  /** Resolves after `ms` (at once for 0 or less). */
  sleep(ms: number): Promise<void>;
}

/** The clock of `io`. */
export function clockOf(io: Pick<EngineIo, 'now' | 'after'>): EngineClock {
  const now = io.now ?? Date.now;
  const after =
    io.after ??
    ((ms: number, fn: () => void): Cancel => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    });
  return { now, after, sleep: (ms) => (ms <= 0 ? Promise.resolve() : new Promise<void>((r) => void after(ms, r))) };
}
