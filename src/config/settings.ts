import { z } from 'zod';
import { Mode } from '../core/outcome.ts';

/** Host key pins: known_hosts lines and `SHA256:...` fingerprints; any one match admits the key. */
const Pins = z.object({ knownHosts: z.array(z.string()), fingerprints: z.array(z.string()) });

/** The jump host: its own address, key and pins. */
const JumpSettings = z.object({
  host: z.string(),
  port: z.number().int(),
  username: z.string(),
  privateKey: z.string(),
  passphrase: z.string().optional(),
  pins: Pins,
});

/** How to reach the host (field names as src/host/ssh/options.ts's SshOptions). */
const SshSettings = z.object({
  host: z.string(),
  port: z.number().int(),
  username: z.string(),
  privateKey: z.string(),
  passphrase: z.string().optional(),
  pins: Pins,
  insecureSkipHostKeyCheck: z.boolean(),
  jump: JumpSettings.optional(),
  readyTimeoutMs: z.number().int().positive(),
});

/** Everything a run is configured with, as the engine reads it. Built only by readSettings. */
export const SettingsShape = z.object({
  mode: Mode,
  transport: z.enum(['ssh', 'local']),
  /** status and rollback: the handoff to report or roll back; null means the current or last one. */
  handoffId: z.string().nullable(),
  /** Null for the local transport. */
  ssh: SshSettings.nullable(),
  gateway: z.object({
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
    launcher: z.enum(['process', 'systemd']),
    /** A template unit name ending in `@`. */
    systemdUnit: z.string(),
  }),
  bake: z.object({
    bakeMs: z.number().int().nonnegative(),
    /** The action's own deadline. */
    timeoutMs: z.number().int().positive(),
    thresholds: z.object({
      max_error_rate: z.number(),
      max_latency_factor: z.number(),
      latency_floor_ms: z.number(),
      max_heartbeat_age_ms: z.number().int(),
      consecutive: z.number().int(),
    }),
    deadlines: z.object({ ack_ms: z.number().int(), claim_ms: z.number().int(), rollback_grace_ms: z.number().int() }),
  }),
  report: z.object({
    targetName: z.string(),
    statusContext: z.string(),
    failOnRollback: z.boolean(),
    githubToken: z.string().nullable(),
    issue: z.number().int().nullable(),
    closeIssueOnSuccess: z.boolean(),
    failureLabel: z.string(),
  }),
});

/** Everything a run is configured with. */
export type Settings = z.infer<typeof SettingsShape>;
