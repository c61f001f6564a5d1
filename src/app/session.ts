import type { Settings } from '../config/settings.ts';
import { runMode } from '../handoff/run.ts';
import type { Outcome } from '../handoff/outcome.ts';
import type { EngineIo } from '../handoff/params.ts';
import { OutcomeBuilder } from '../handoff/result.ts';
import type { Host } from '../host/host.ts';
import { LocalHost } from '../host/local/local-host.ts';
import { connectSsh } from '../host/ssh/connect.ts';
import { engineParams, sshOptions } from './engine-params.ts';

export interface SessionIo {
  log: EngineIo['log'];
  onPhase?: EngineIo['onPhase'];
  addSecret?: EngineIo['addSecret'];
}

/** Starts connecting to the host (one SSH connection, or this machine); the promise rejects when that fails. */
export function openHost(s: Settings, log: EngineIo['log']): Promise<Host> {
  const ssh = sshOptions(s);
  return ssh ? connectSsh(ssh, log) : Promise.resolve(new LocalHost());
}

/** Runs the mode on a host being opened, then closes it; every failure (the connection's too) becomes an Outcome. */
export async function runOnHost(s: Settings, hostP: Promise<Host>, io: SessionIo, started = Date.now()): Promise<{ outcome: Outcome; host: Host | null }> {
  const p = engineParams(s);
  let host: Host;
  try {
    host = await hostP;
  } catch (e) {
    const out = new OutcomeBuilder(p, started, Date.now);
    const msg = `cannot connect to ${s.report.targetName}: ${(e as Error).message}`;
    if (s.mode === 'preflight') {
      out.checks.push({ name: 'host reachable', ok: false, detail: (e as Error).message });
      return { outcome: out.done('not-ready', msg), host: null };
    }
    return { outcome: out.done('failed', msg), host: null };
  }
  try {
    const outcome = await runMode(p, { host, log: io.log, onPhase: io.onPhase, addSecret: io.addSecret });
    return { outcome, host };
  } finally {
    await host.close().catch(() => undefined);
  }
}

/** Connects, runs the mode, closes: openHost then runOnHost. */
export function runSession(s: Settings, io: SessionIo): Promise<{ outcome: Outcome; host: Host | null }> {
  const started = Date.now();
  const hostP = openHost(s, io.log);
  hostP.catch(() => undefined); // handled in runOnHost
  return runOnHost(s, hostP, io, started);
}
