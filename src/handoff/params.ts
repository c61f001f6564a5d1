import type { Deadlines, Thresholds } from '../protocol/deadlines.ts';
import type { Host } from '../host/host.ts';
import type { Mode } from '../core/outcome.ts';

/** What the engine needs to run one mode; built from the Settings by the entry points. */
export interface EngineParams {
  mode: Mode;
  targetName: string;
  hermesHome: string;
  socketPath: string | null;
  greenCommand: string | null;
  workdir: string | null;
  runtime: string;
  release: string;
  greenEnv: Record<string, string>;
  prepareCommand: string | null;
  launcher: 'process' | 'systemd';
  systemdUnit: string;
  bakeMs: number;
  timeoutMs: number;
  thresholds: Partial<Thresholds>;
  deadlines: Partial<Deadlines>;
  /** status mode: the handoff to report; null means the current or last one. */
  handoffId?: string | null;
}

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
