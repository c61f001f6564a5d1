import type { Check, Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import { errorMessage } from '../core/errors.ts';
import { cannotConnect, missingSocket, staleSocket } from '../core/reasons.ts';
import { AGENT_PROGRAM } from '../host/agent.ts';
import { isFatalHostError, openObserver } from './observe.ts';
import { PeerError } from '../peer/observer.ts';
import { clockOf, type EngineIo } from './params.ts';
import type { HostPaths } from './paths.ts';
import { remoteFor, type HostChecks } from './remote/index.ts';
import { OutcomeBuilder } from './result.ts';

/** Checks, changing nothing, that the host is ready for a handoff: ready, or not-ready with the first failing check. */
export async function preflight(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const clock = clockOf(io);
  const out = new OutcomeBuilder(p, clock.now(), clock.now);
  const check = (c: Check) => {
    out.checks.push(c);
    (c.ok ? io.log.info : io.log.warn)(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return c.ok;
  };
  const host = io.host;
  const remote = remoteFor(p, io);
  const via = io.agent ? `; ${AGENT_PROGRAM} ${io.agent.version} (${io.agent.mode} key)` : '';
  check({ name: 'host reachable', ok: true, detail: host.kind === 'ssh' ? `connected over SSH with a verified host key${via}` : 'running on the host itself' });
  let hc: HostChecks;
  try {
    hc = await remote.hostChecks();
  } catch (e) {
    if (isFatalHostError(e)) return out.done('not-ready', cannotConnect(p.targetName, e.message));
    hc = { before: [{ name: 'host checks', ok: false, detail: errorMessage(e) }], after: [], socketChecked: false };
  }
  hc.before.forEach(check);
  const paths = await remote.paths().catch(() => null);
  if (paths && (!hc.socketChecked || remote.readOnly === null)) {
    try {
      await socketChecks(paths, hc.socketChecked);
    } catch (e) {
      if (isFatalHostError(e)) return out.done('not-ready', cannotConnect(p.targetName, e.message));
      throw e;
    }
  }
  hc.after.forEach(check);
  out.release = p.release;
  const failed = out.checks.find((c) => !c.ok);
  return failed ? out.done('not-ready', `${failed.name}: ${failed.detail}`) : out.done('ready', `all ${out.checks.length} checks passed`);

  /**
   * The token, the socket and blue's phase, from the runner's side. When the agent checked them on the host
   * already, only that the runner reaches the socket over this connection ('socket reachable over SSH').
   */
  async function socketChecks(paths: HostPaths, onHostAlready: boolean): Promise<void> {
    let token: string | null = null;
    try {
      token = await remote.token();
      io.addSecret?.(token);
      if (!onHostAlready) check({ name: 'token readable', ok: true, detail: paths.token });
    } catch (e) {
      if (isFatalHostError(e)) throw e;
      check({ name: 'token readable', ok: false, detail: errorMessage(e) });
    }
    if (!token) return;
    const name = onHostAlready ? 'socket reachable over SSH' : 'socket answers';
    try {
      const obs = await openObserver(host, paths.socket, token, clock);
      try {
        check({ name, ok: true, detail: `${paths.socket} (blue pid ${obs.welcome?.server_pid})` });
        const st = await obs.status(10_000);
        out.bluePid = st.server_pid;
        if (!onHostAlready) {
          check({
            name: 'blue is idle',
            ok: st.phase === 'idle' && st.handoff === null,
            detail: st.handoff ? `handoff ${st.handoff.id} is ${st.phase}` : `phase ${st.phase}, release ${st.release}, runtime ${st.runtime}`,
          });
        }
      } finally {
        obs.close();
      }
    } catch (e) {
      if (isFatalHostError(e)) throw e;
      // Blue's own answer (a wrong token, no WELCOME in time) says it listens; only a failed connection asks what the path holds.
      const kind = e instanceof PeerError ? 'listening' : await remote.socketState().catch(() => 'unknown' as const);
      const detail = kind === 'stale' ? staleSocket(paths.socket) : kind === 'missing' ? missingSocket(paths.socket) : `${paths.socket}: ${errorMessage(e)}`;
      check({ name, ok: false, detail });
    }
  }
}
