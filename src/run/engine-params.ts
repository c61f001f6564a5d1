import type { Settings } from '../config/settings.ts';
import type { EngineParams } from '../handoff/params.ts';
import type { SshOptionsInput } from '../host/ssh/options.ts';

/** The engine's parameters from the validated settings. */
export function engineParams(s: Settings): EngineParams {
  return {
    mode: s.mode,
    targetName: s.report.targetName,
    hermesHome: s.gateway.hermesHome,
    socketPath: s.gateway.socketPath,
    greenCommand: s.gateway.greenCommand,
    workdir: s.gateway.workdir,
    runtime: s.gateway.runtime,
    release: s.gateway.release,
    greenEnv: s.gateway.greenEnv,
    prepareCommand: s.gateway.prepareCommand,
    launcher: s.gateway.launcher,
    systemdUnit: s.gateway.systemdUnit,
    bakeMs: s.bake.bakeMs,
    timeoutMs: s.bake.timeoutMs,
    thresholds: s.bake.thresholds,
    deadlines: s.bake.deadlines,
    handoffId: s.handoffId,
  };
}

/** The SSH host's options from the validated settings (null for the local transport). */
export function sshOptions(s: Settings): SshOptionsInput | null {
  if (s.transport !== 'ssh' || !s.ssh) return null;
  const x = s.ssh;
  return {
    host: x.host,
    port: x.port,
    username: x.username,
    privateKey: x.privateKey,
    ...(x.passphrase ? { passphrase: x.passphrase } : {}),
    pins: x.pins,
    insecureSkipHostKeyCheck: x.insecureSkipHostKeyCheck,
    readyTimeoutMs: x.readyTimeoutMs,
    ...(x.jump ? { jump: { ...x.jump } } : {}),
  };
}
