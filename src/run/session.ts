import type { Settings } from '../config/settings.ts';
import type { Outcome } from '../core/outcome.ts';
import { cannotConnect } from '../core/reasons.ts';
import { errorMessage } from '../core/errors.ts';
import type { EngineIo } from '../handoff/params.ts';
import type { HostAgent } from '../host/agent.ts';
import type { Host } from '../host/host.ts';
import { LocalHost } from '../host/local/local-host.ts';
import { connectSsh } from '../host/ssh/connect.ts';
import { engineParams } from './engine-params.ts';

/** What a session gives the engine besides the host: the log, the phase hook, the secret hook. */
export interface SessionIo {
  log: EngineIo['log'];
  onPhase?: EngineIo['onPhase'];
  addSecret?: EngineIo['addSecret'];
}

/** A host as a session opened it: the Host port, and the host agent the SSH host found on it (null: none). */
export type OpenedHost = Host & { readonly agent?: HostAgent | null };

/** Starts connecting to the host (one SSH connection, or this machine); the promise rejects when that fails. */
export function openHost(s: Settings, log: EngineIo['log']): Promise<OpenedHost> {
  return s.transport === 'ssh' && s.ssh ? connectSsh(s.ssh, log) : Promise.resolve(new LocalHost());
}

/** Runs the mode on a host being opened, then closes it; every failure (the connection's too) becomes an Outcome. */
export async function runOnHost(s: Settings, hostP: Promise<OpenedHost>, io: SessionIo, started = Date.now()): Promise<Outcome> {
  const p = engineParams(s);
  const { OutcomeBuilder, runMode } = await import('./lazy-engine.ts');
  let host: OpenedHost;
  try {
    host = await hostP;
  } catch (e) {
    const out = new OutcomeBuilder(p, started, Date.now);
    const why = errorMessage(e);
    if (s.mode === 'preflight') {
      out.checks.push({ name: 'host reachable', ok: false, detail: why });
      return out.done('not-ready', cannotConnect(s.report.targetName, why));
    }
    return out.done('failed', cannotConnect(s.report.targetName, why));
  }
  try {
    // The agent is chosen once per run, from what the SSH host found when it connected.
    return await runMode(p, { host, agent: host.agent ?? null, log: io.log, onPhase: io.onPhase, addSecret: io.addSecret });
  } finally {
    await host.close().catch(() => undefined);
  }
}
