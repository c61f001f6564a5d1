import { resolvePaths, type HostPaths } from './paths.ts';
import { openObserver, readHostToken } from './observe.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import type { EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';
import { errorMessage } from '../core/errors.ts';

/** Free space below which a handoff is not started (logs, verdict files, green's store writes). */
const MIN_FREE_KIB = 100 * 1024;

/** Checks, changing nothing, that the host is ready for a handoff: ready, or not-ready with the first failing check. */
export async function preflight(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const now = io.now ?? Date.now;
  const out = new OutcomeBuilder(p, now(), now);
  const check = (name: string, ok: boolean, detail: string) => {
    out.checks.push({ name, ok, detail });
    (ok ? io.log.info : io.log.warn)(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
    return ok;
  };
  const host = io.host;
  check('host reachable', true, host.kind === 'ssh' ? 'connected over SSH with a verified host key' : 'running on the host itself');
  let paths: HostPaths | null = null;
  try {
    paths = await resolvePaths(host, p.hermesHome, p.socketPath, p.workdir);
    const r = await host.exec(['test', '-d', paths.home], { timeoutMs: 10_000 });
    check('hermes-home exists', r.code === 0, r.code === 0 ? paths.home : `${paths.home} is not a directory`);
  } catch (e) {
    check('hermes-home exists', false, errorMessage(e));
  }
  if (paths) {
    let token: string | null = null;
    try {
      token = await readHostToken(host, paths);
      io.addSecret?.(token);
      check('token readable', true, paths.token);
    } catch (e) {
      check('token readable', false, errorMessage(e));
    }
    if (token) {
      try {
        const obs = await openObserver(host, paths, token);
        check('socket answers', true, `${paths.socket} (blue pid ${obs.welcome?.server_pid})`);
        const st = await obs.status(10_000);
        obs.close();
        out.bluePid = st.server_pid;
        out.release = p.release;
        check('blue is idle', st.phase === 'idle' && st.handoff === null, st.handoff ? `handoff ${st.handoff.id} is ${st.phase}` : `phase ${st.phase}, release ${st.release}, runtime ${st.runtime}`);
      } catch (e) {
        check('socket answers', false, `${paths.socket}: ${errorMessage(e)}`);
      }
    }
    const df = await host.exec(['df', '-Pk', '--', paths.home], { timeoutMs: 10_000 }).catch(() => null);
    const avail = df && df.code === 0 ? Number.parseInt(df.stdout.trim().split('\n').pop()?.split(/\s+/)[3] ?? '', 10) : NaN;
    check('free disk', avail >= MIN_FREE_KIB, Number.isFinite(avail) ? `${Math.round(avail / 1024)} MiB free under ${paths.home}` : 'could not read free space');
  }
  if (p.greenCommand) {
    const word = p.greenCommand.trim().split(/\s+/)[0] ?? '';
    const argv = ['sh', '-c', 'if [ -n "$1" ]; then cd "$1" || exit 3; fi; command -v "$2"', 'hermes-preflight', paths?.workdir ?? p.workdir ?? '', word];
    const r = await host.exec(argv, { timeoutMs: 10_000 }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message, signal: null }));
    check('green command resolves', r.code === 0, r.code === 0 ? `${word} -> ${r.stdout.trim()}` : `${word} not found on the host's PATH${p.workdir ? ` in ${p.workdir}` : ''} (non-interactive shells may have a shorter PATH)`);
  } else if (p.mode === 'promote') {
    check('green command resolves', false, 'no green-command given');
  }
  const failed = out.checks.find((c) => !c.ok);
  return failed ? out.done('not-ready', `${failed.name}: ${failed.detail}`) : out.done('ready', `all ${out.checks.length} checks passed`);
}
