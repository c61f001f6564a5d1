// Every operation the engine runs on the host, typed: the one place (this folder) where argv is built, so
// quoting and arguments are audited here and nowhere else. Two implementations: plain argv over the Host
// (plain.ts, a login shell runs it) and the host agent's operations (agent.ts, no shell, green's command from
// the host's own config). remoteFor() picks one per run, from what the host said when it was opened.
import type { Check } from '../../core/outcome.ts';
import type { StateFrame } from '../../peer/observer.ts';
import type { VerdictRecord } from '../../protocol/frames.ts';
import type { HostPaths } from '../paths.ts';

/** What a socket path holds when nothing answered on it. */
export type SocketState = 'listening' | 'stale' | 'missing' | 'unknown';

/** One verdict file as the list of recent ones shows it. */
export interface VerdictSummary {
  handoff_id: string;
  /** The verdict, or null when the file could not be read as a verdict record. */
  verdict: string | null;
  release: string | null;
  decided_at: number | null;
}

/** How prepare ended: ok, or failed with a reason (for the verdict) and the command's output (host text, for the summary). */
export type PrepareResult = { ok: true } | { ok: false; reason: string; output: string | null };

/** What preflight asks by commands on the host: shown before and after the engine's own socket checks. */
export interface HostChecks {
  before: Check[];
  after: Check[];
  /** True when these already checked the token, the socket and blue's phase on the host (the agent does). */
  socketChecked: boolean;
}

/** The environment the engine gives green: the user's green-env, and the variables the engine sets (HERMES_*). */
export interface GreenEnv {
  user: Record<string, string>;
  own: Record<string, string>;
}

/** The engine's operations on the host. Every method bounds its own wait; host text in results is data. */
export interface Remote {
  /** `shell`: plain argv over a login shell; `agent`: the host agent's operations. */
  readonly via: 'shell' | 'agent';
  /** Why this key may change nothing (a read-only agent key), or null when it may. */
  readonly readOnly: string | null;
  /** True when green's command, workdir, launcher and prepare command come from the host, not from the run. */
  readonly hostDecidesGreen: boolean;
  /** Why a promotion cannot run through this remote as the run is set up (checked before RESERVE), or null. */
  promoteProblem(): string | null;
  /** The gateway's paths on the host (resolved once). */
  paths(): Promise<HostPaths>;
  /** The socket token (a secret: the caller masks it); throws naming the file when it is not one. */
  token(): Promise<string>;
  /** Handoff `id`'s verdict file, or null when there is none (yet). */
  verdict(id: string): Promise<VerdictRecord | null>;
  /** The newest verdict files, newest first (at most `count`). */
  recentVerdicts(count: number): Promise<VerdictSummary[]>;
  /** Blue's STATE without holding a connection (the agent asks it on the host; plain opens one observer). */
  state(): Promise<StateFrame>;
  /** What the socket path holds, asked after a connection to it failed. */
  socketState(): Promise<SocketState>;
  /** Runs the prepare command for reserved handoff `id` within `budgetMs`; null when there is none to run. */
  prepare(id: string, budgetMs: number): Promise<PrepareResult | null>;
  /** Starts green for reserved handoff `id`, detached; resolves with the pid the launcher reports. */
  launch(id: string, env: GreenEnv): Promise<number>;
  /** Whether `pid` runs (a zombie does not); null when the host could not tell. */
  pidRuns(pid: number): Promise<boolean | null>;
  /** Stops what launch() started for `id` (`pid` is what it reported): its process group or unit. Resolves with a line for the log. */
  stopGreen(id: string, pid: number): Promise<string>;
  /** The last `lines` lines of green's log for `id`, or null when it cannot be read. */
  tail(id: string, lines: number): Promise<string | null>;
  /** The preflight checks done by commands on the host. */
  hostChecks(): Promise<HostChecks>;
}
