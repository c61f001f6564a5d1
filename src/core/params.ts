// What a run asks the engine to do: the one shape config/ builds (inside Settings) and handoff/ reads.
import { z } from 'zod';
import type { Deadlines, Thresholds } from '../protocol/deadlines.ts';
import type { Mode } from './mode.ts';
import type { Words } from './reasons.ts';

/** How green is started on the host: a detached process, or a transient systemd user unit. */
export const Launcher = z.enum(['process', 'systemd']);
export type Launcher = z.infer<typeof Launcher>;

/** The gateway on the host and how green starts there, as the engine reads it (Settings.gateway). */
export const GatewayParams = z.object({
  /** Absolute, or starting with `~/` (the engine expands it on the host). */
  hermesHome: z.string(),
  /** Null: `<hermesHome>/run/handoff.sock`. */
  socketPath: z.string().nullable(),
  greenCommand: z.string().nullable(),
  workdir: z.string().nullable(),
  runtime: z.string(),
  /** The release to promote; '' only outside promote when neither the input nor GITHUB_SHA is set. */
  release: z.string(),
  /** Every value is a secret. */
  greenEnv: z.record(z.string(), z.string()),
  prepareCommand: z.string().nullable(),
  launcher: Launcher,
  /** A template unit name ending in `@`. */
  systemdUnit: z.string(),
});
export type GatewayParams = z.infer<typeof GatewayParams>;

/** The bake as the engine reads it (Settings.bake): thresholds and deadlines are the protocol's own, any left out take its defaults on the host. */
export interface BakeParams {
  bakeMs: number;
  /** The observation window after a promotion, sent in RESERVE; absent or 0: none (blue leaves once green owns the socket). */
  observeMs?: number;
  /** The action's own deadline. */
  timeoutMs: number;
  thresholds: Partial<Thresholds>;
  deadlines: Partial<Deadlines>;
}

/** What the engine needs to run one mode: the gateway and bake settings as they are, plus the mode, the target's name and the handoff asked for. */
export type EngineParams = GatewayParams &
  BakeParams & {
    mode: Mode;
    targetName: string;
    /** status and rollback: the handoff to report or roll back; null means the current or last one. */
    handoffId?: string | null;
    /** The words of the interface in use, for hints in reasons (default the action's). */
    words?: Words;
  };
