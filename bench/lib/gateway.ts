// The reference gateway (dist/cli.js example-gateway) as the bench starts it.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { HandoverOrder } from '../../examples/gateway/agent.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { waitFor, type Procs } from './procs.ts';

/** Where a gateway lives and how it starts. */
export interface GatewaySpec {
  /** Path of dist/cli.js. */
  cli: string;
  home: string;
  platformUrl: string;
  initMs: number;
  /** Long-poll seconds. */
  pollTimeoutS: number;
  /** How a paused gateway leaves each platform (--handover; default the gateway's own). */
  handover?: HandoverOrder;
}

/**
 * The argv of the reference gateway for `spec`, with both adapters (Telegram at the platform's root,
 * Discord's REST under /api, at the fake's rate rather than Discord's 50 requests/s); an absolute node
 * path, so it also runs from a bare ssh session. `extra` flags go last (a green's --fault).
 */
export function gatewayArgv(spec: GatewaySpec, extra: string[] = []): string[] {
  return [
    process.execPath,
    spec.cli,
    'example-gateway',
    '--home',
    spec.home,
    '--platform',
    `telegram=${spec.platformUrl}`,
    '--platform',
    `discord=${spec.platformUrl}/api`,
    '--rest-rps',
    '1000',
    '--init-ms',
    String(spec.initMs),
    '--poll-timeout',
    String(spec.pollTimeoutS),
    ...(spec.handover ? ['--handover', spec.handover] : []),
    ...extra,
  ];
}

/** The handoff socket of a gateway home. */
export const socketOf = (home: string) => join(home, 'run', 'handoff.sock');

/** The environment of a blue started by the bench: no handoff id, so it serves as blue. */
export function blueEnv(release: string, runtime: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HERMES_RELEASE: release, HERMES_RUNTIME: runtime };
  for (const k of ['HERMES_HANDOFF_ID', 'HERMES_HANDOFF_FAULT', 'HERMES_BLUE_FAULT', 'HERMES_SOCKET']) delete env[k];
  return env;
}

/** Starts a blue gateway (tracked by `procs`, `extraEnv` added to its environment); resolves once its handoff socket answers, or rejects naming its log. */
export async function startBlueGateway(procs: Procs, spec: GatewaySpec, release: string, logPath: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = procs.spawnLogged(gatewayArgv(spec), { ...blueEnv(release, 'legacy'), ...extraEnv }, logPath);
  await waitFor(
    `blue gateway (see ${logPath})`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`blue gateway exited (${child.exitCode ?? child.signalCode}); see ${logPath}`);
      return socketAnswers(socketOf(spec.home));
    },
    spec.initMs + 30_000,
    5,
  );
  return child;
}
