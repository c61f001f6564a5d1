// The one settings shape, built from the schemas of the parts that use it: the SSH host's options,
// the engine's gateway parameters and the protocol's thresholds and deadlines. A field any of them
// adds (with its default) is in Settings without a change here.
import { z } from 'zod';
import { Mode } from '../core/mode.ts';
import type { Words } from '../core/reasons.ts';
import { GatewayParams } from '../core/params.ts';
import { SshOptions } from '../host/ssh/options.ts';
import { Deadlines, Thresholds } from '../protocol/deadlines.ts';
import { HandoffId } from '../protocol/ids.ts';
import { PROTOCOL_INPUTS } from './inputs.ts';

/** How the host is reached. */
export const Transport = z.enum(['ssh', 'local']);
export type Transport = z.infer<typeof Transport>;

type DeadlineInput = Extract<(typeof PROTOCOL_INPUTS)[keyof typeof PROTOCOL_INPUTS], { group: 'deadlines' }>;
// The deadlines an input sets; the others are left to the host (blue fills in the protocol's defaults).
const deadlineKeys = Object.fromEntries(
  Object.values(PROTOCOL_INPUTS)
    .filter((p): p is DeadlineInput => p.group === 'deadlines')
    .map((p) => [p.key, true]),
) as { [K in DeadlineInput['key']]: true };

/** Everything a run is configured with, as the engine reads it. Built only by readSettings. */
export const SettingsShape = z.object({
  mode: Mode,
  /** The words of the interface that read these settings (the action's or the CLI's), for the hints a run words. */
  words: z.custom<Words>((v) => typeof v === 'object' && v !== null && 'kind' in v),
  transport: Transport,
  /** status and rollback: the handoff to report or roll back; null means the current or last one. */
  handoffId: HandoffId.nullable(),
  /** What the SSH host takes (its own defaults filled in); null for the local transport. */
  ssh: SshOptions.nullable(),
  gateway: GatewayParams,
  bake: z.object({
    bakeMs: z.number().int().nonnegative(),
    /** The observation window after a promotion (0: none). */
    observeMs: z.number().int().nonnegative(),
    /** The action's own deadline. */
    timeoutMs: z.number().int().positive(),
    /** Every threshold: from its input, else the protocol's default. */
    thresholds: Thresholds,
    deadlines: Deadlines.pick(deadlineKeys),
  }),
  report: z.object({
    targetName: z.string(),
    statusContext: z.string(),
    failOnRollback: z.boolean(),
    githubToken: z.string().nullable(),
    issue: z.number().int().nullable(),
    closeIssueOnSuccess: z.boolean(),
    failureLabel: z.string(),
    /** The most related issues one run touches. */
    maxIssues: z.number().int().positive(),
    /** Green's log tail and prepare-command's output in comments and issues too. */
    hostOutputInComments: z.boolean(),
  }),
});

/** Everything a run is configured with. */
export type Settings = z.infer<typeof SettingsShape>;
