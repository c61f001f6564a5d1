// What both fault-matrix files share: the short deadlines of every cell, the engine's parameters and
// the SSH connection the engine reaches the host through.
import type { TestContext } from 'node:test';
import type { EngineParams } from '../../src/core/params.ts';
import { connectSsh, type SshHost } from '../../src/host/ssh/connect.ts';
import type { SshWorld } from '../support/ssh-world.ts';

// Short settings, so the whole matrix fits CI's budget (docs/reliability.md states the same).
/** The bake of every cell of matrix.test.ts. */
export const BAKE_MS = 1_500;
/** The heartbeat age limit. */
export const AGE_MS = 1_000;
/** At least DRAIN_MS: green's own drain on rollback must fit the grace (RESERVE refuses less). */
export const GRACE_MS = 3_000;
/** The HANDOFF_ACK deadline. */
export const ACK_MS = 5_000;
/** The drain deadline. */
export const DRAIN_MS = 3_000;
/** The HANDOFF_CONFIRM deadline. */
export const CONFIRM_MS = 3_000;
/** Messages per second on each platform. */
export const RATE = 50;

/** The engine's parameters for a promotion in `w` of a green started with `fault`, with the settings above. */
export function params(w: SshWorld, fault = 'none', over: Partial<EngineParams> = {}): EngineParams {
  return {
    mode: 'promote',
    targetName: 'staging',
    hermesHome: w.home,
    socketPath: null,
    greenCommand: w.greenCommand(fault),
    workdir: null,
    runtime: 'claw',
    release: 'r2',
    greenEnv: {},
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
    bakeMs: BAKE_MS,
    timeoutMs: 60_000,
    // Latency is not what these cells judge, and a busy 2-core runner makes it noisy: a high floor.
    thresholds: { max_heartbeat_age_ms: AGE_MS, consecutive: 3, latency_floor_ms: 5_000 },
    deadlines: { rollback_grace_ms: GRACE_MS, ack_ms: ACK_MS, drain_ms: DRAIN_MS, confirm_ms: CONFIRM_MS, claim_ms: 15_000 },
    ...over,
  };
}

/** One pinned SSH connection to `w`'s sshd, closed after the test; its log lines go to `logs`. */
export async function connect(t: TestContext, w: SshWorld, logs: string[]): Promise<SshHost> {
  const host = await connectSsh(
    {
      host: '127.0.0.1',
      port: w.sshd.port,
      username: w.sshd.username,
      privateKey: w.sshd.clientKey,
      pins: { knownHosts: [w.sshd.knownHostsLine], fingerprints: [] },
      reconnect: { attempts: 8, baseDelayMs: 100, maxDelayMs: 1_000 },
    },
    logTo(logs),
  );
  t.after(() => host.close());
  return host;
}

/** A log that appends to `logs`. */
export const logTo = (logs: string[]) => ({ info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`warn: ${m}`) });
