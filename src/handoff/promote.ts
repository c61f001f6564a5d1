import { PeerError, type ObserverClient } from '../peer/observer.ts';
import { followHandoff } from './follow.ts';
import { GREEN_ENV } from '../core/green-env.ts';
import { greenEnvFile, greenLogFile } from '../core/layout.ts';
import { resolvePaths, type HostPaths } from './paths.ts';
import { launchGreen, unitName } from './launch.ts';
import { mintHandoffId } from './mint.ts';
import { confirmTakeover, openObserver, readHostToken } from './observe.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import type { EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';
import { verdictOutcome } from './verdicts.ts';
import { tailGreenLog } from './green-log.ts';
import { errorMessage } from '../core/errors.ts';
import { ACTION_WORDS, deadlinePassed } from '../core/reasons.ts';
import { ANSWER_MS, CONFIRM_TAKEOVER_MS, drainFor } from '../core/budget.ts';

/** A heartbeat interval that gives a short bake at least ~10 samples to judge by (1 s for long bakes). */
export function heartbeatFor(bakeMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(bakeMs / 10)));
}

/**
 * Exits 0 while pid $1 runs. An exited but unreaped process (a zombie: green is orphaned by its
 * launcher, and some container inits reap slowly) still passes `kill -0`, so ps is asked too.
 */
const PID_RUNS = 'kill -0 "$1" 2>/dev/null || exit 1; case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) exit 1;; esac; exit 0';

/** Promotes: STATUS, RESERVE, prepare, start green, follow the handoff to its verdict. Never throws past the deadline. */
export async function promote(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const now = io.now ?? Date.now;
  const started = now();
  const deadlineAt = started + p.timeoutMs;
  const out = new OutcomeBuilder(p, started, now);
  out.bakeMs = p.bakeMs;
  const host = io.host;
  let obs: ObserverClient | null = null;
  let paths: HostPaths | null = null;
  try {
    if (!p.greenCommand) return out.done('failed', 'no green-command: nothing to start');
    paths = await resolvePaths(host, p.hermesHome, p.socketPath, p.workdir);
    const token = await readHostToken(host, paths);
    io.addSecret?.(token);
    obs = await openObserver(host, paths, token);
    out.bluePid = obs.welcome?.server_pid ?? null;
    const state = await obs.status(ANSWER_MS);
    if (state.phase === 'idle' && state.release === p.release && state.runtime === p.runtime) {
      return out.done('unchanged', `release ${p.release} (runtime ${p.runtime}) already serves on ${p.targetName}`);
    }
    const id = mintHandoffId(p.release, now());
    out.handoffId = id;
    io.onPhase?.('reserving', `reserving handoff ${id}`);
    try {
      await obs.reserve(
        {
          handoff_id: id,
          release: p.release,
          runtime: p.runtime,
          bake_ms: p.bakeMs,
          thresholds: p.thresholds,
          deadlines: { heartbeat_ms: heartbeatFor(p.bakeMs), drain_ms: drainFor(p.deadlines.rollback_grace_ms), ...p.deadlines },
          // The window after a promotion: the old gateway stands by this long (0: none).
          ...(p.observeMs !== undefined ? { observe_ms: p.observeMs } : {}),
        },
        ANSWER_MS,
      );
    } catch (e) {
      if (e instanceof PeerError && e.code === 'busy') {
        out.busyWith = e.message;
        return out.done('failed', `the host refused the handoff: ${e.message}`);
      }
      throw e;
    }
    io.log.info(`reserved handoff ${id} for release ${p.release}`);

    // From here on a failure must release the reservation, so blue is free again.
    const abandon = async (reason: string) => {
      await obs?.abort(id, reason, 10_000).catch(() => undefined);
      return reason;
    };
    if (p.prepareCommand) {
      io.onPhase?.('preparing', 'running prepare-command');
      const budgetMs = Math.max(1_000, deadlineAt - now() - 30_000);
      // timeout(1) on the host ends it there too: closing an SSH channel does not stop a root session's command.
      const limit = ['timeout', '-k', '5', `${Math.ceil(budgetMs / 1000)}s`];
      const argv = paths.workdir
        ? [...limit, 'sh', '-c', 'cd "$1" && exec sh -c "$2"', 'hermes-prepare', paths.workdir, p.prepareCommand]
        : [...limit, 'sh', '-c', p.prepareCommand];
      const r = await host.exec(argv, { timeoutMs: budgetMs + 10_000, stdin: '' });
      if (r.code !== 0) {
        // Its output is host text: it goes to the job summary and the log, not into the reason (statuses, comments).
        out.prepareOutput = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim() || null;
        return out.done('failed', await abandon(`prepare-command failed (exit ${r.code ?? r.signal}); its output is in the job summary and the run log`));
      }
    }
    const log = greenLogFile(paths, id);
    let launcherPid: number;
    try {
      launcherPid = await launchGreen(host, {
        logPath: log,
        envPath: greenEnvFile(paths, id),
        workdir: paths.workdir,
        greenCommand: p.greenCommand,
        launcher: p.launcher,
        unit: unitName(p.systemdUnit, id),
        env: { ...p.greenEnv, [GREEN_ENV.home]: paths.home, [GREEN_ENV.runtime]: p.runtime, [GREEN_ENV.release]: p.release, [GREEN_ENV.socket]: paths.socket, [GREEN_ENV.handoffId]: id },
      });
    } catch (e) {
      return out.done('failed', await abandon(errorMessage(e)));
    }
    out.launcherPid = launcherPid;
    io.log.info(`started green (launcher pid ${launcherPid}); log ${log}`);
    let unclaimedSince: number | null = null;
    const end = await followHandoff({
      io,
      paths,
      token,
      id,
      deadlineAt,
      first: obs,
      timeline: out.timeline,
      health: out.health,
      // A green that died before HELLO would otherwise hold the reservation until it expires.
      checkUnclaimed: async () => {
        const r = await host.exec(['sh', '-c', PID_RUNS, 'hermes-pid-runs', String(launcherPid)], { timeoutMs: 10_000 }).catch(() => null);
        if (!r || r.code === 0) return null;
        unclaimedSince ??= now();
        return now() - unclaimedSince >= 1_000 ? `green exited before connecting to the handoff socket (see ${log})` : null;
      },
    });
    obs = null;
    if (end.kind === 'timeout') {
      return out.done('timed-out', deadlinePassed(p.words ?? ACTION_WORDS, p.timeoutMs, end.phase));
    }
    out.absorb(end.record);
    let o = verdictOutcome(end.record, p.release);
    if (o.verdict === 'promoted') {
      // Promoted means green serves: see the socket answer from it before saying so.
      const why = await confirmTakeover(host, paths, token, end.record, Math.max(1_000, Math.min(CONFIRM_TAKEOVER_MS, deadlineAt - now())));
      if (why) o = { verdict: 'failed', reason: `blue decided promoted, but ${why}` };
    }
    if (o.verdict !== 'promoted') out.greenLogTail = await tailGreenLog(host, log);
    return out.done(o.verdict, o.reason);
  } catch (e) {
    const msg = errorMessage(e);
    if (now() >= deadlineAt) return out.done('timed-out', deadlinePassed(p.words ?? ACTION_WORDS, p.timeoutMs, null, msg));
    return out.done('failed', msg);
  } finally {
    obs?.close();
  }
}
