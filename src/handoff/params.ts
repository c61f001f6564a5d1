import type { Host } from '../host/host.ts';

/** How the engine talks to the world: the host, the log, and the reporter's phase hook. */
export interface EngineIo {
  host: Host;
  log: { info(msg: string): void; warn(msg: string): void };
  /** Called at every phase change with a short description (the commit status). */
  onPhase?: (phase: string, detail: string) => void;
  /** Registers a value to be masked in every later log line (the socket token). */
  addSecret?: (value: string) => void;
  now?: () => number;
  /** How often a progress line is logged during the bake. */
  progressEveryMs?: number;
}
