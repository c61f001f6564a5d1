import type { Reserve } from '../protocol/frames.ts';
import type { z } from 'zod';
import { PeerError, type ObserverClient } from '../peer/observer.ts';
import { followHandoff, type FollowEnd } from './follow.ts';
import { GREEN_ENV } from '../core/green-env.ts';
import { greenLogFile } from '../core/layout.ts';
import { mintHandoffId } from './mint.ts';
import { confirmTakeover, isFatalHostError, openObserver } from './observe.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import { clockOf, type EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';
import { verdictOutcome } from './verdicts.ts';
import { errorMessage } from '../core/errors.ts';
import { ACTION_WORDS, busyNoTimeLeft, busyTimedOut, deadlinePassed, readOnlyKey } from '../core/reasons.ts';
import { ANSWER_MS, CONFIRM_TAKEOVER_MS, drainFor } from '../core/budget.ts';
import { attachTo, guarded, link, outcomeOfError } from './attach.ts';
import type { Attachment, Link } from './link.ts';

/** A heartbeat interval that gives a short bake at least ~10 samples to judge by (1 s for long bakes). */
export function heartbeatFor(bakeMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(bakeMs / 10)));
}

/** How often a run waiting for a busy host says so in its log. */
const WAIT_PROGRESS_MS = 30_000;
/** How long green's launcher may be gone before the reservation is released (a green that died before HELLO). */
const UNCLAIMED_GRACE_MS = 1_000;

/** The RESERVE this run sends for handoff `id`. */
function reserveFrame(p: EngineParams, id: string): Omit<z.infer<typeof Reserve>, 'v' | 'type'> {
  return {
    handoff_id: id,
    release: p.release,
    runtime: p.runtime,
    bake_ms: p.bakeMs,
    thresholds: p.thresholds,
    deadlines: { heartbeat_ms: heartbeatFor(p.bakeMs), drain_ms: drainFor(p.deadlines.rollback_grace_ms), ...p.deadlines },
    // The window after a promotion: the old gateway stands by this long (0: none).
    ...(p.observeMs !== undefined ? { observe_ms: p.observeMs } : {}),
  };
}

/**
 * Promotes: STATUS, RESERVE (waiting for a handoff under way, the host being the queue), prepare, start green,
 * follow the handoff to its verdict. From RESERVED until green claims the reservation, every way out releases it;
 * every green this run started is stopped unless the host promoted it (or still decides about it). Never throws.
 */
export async function promote(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const clock = clockOf(io);
  const started = clock.now();
  const deadlineAt = started + p.timeoutMs;
  const out = new OutcomeBuilder(p, started, clock.now);
  out.bakeMs = p.bakeMs;
  return guarded(p, out, clock, deadlineAt, async () => {
    const l = await link(p, io, false);
    if (l.remote.readOnly) return out.done('failed', readOnlyKey('promote', p.words));
    const problem = l.remote.promoteProblem();
    if (problem) return out.done('failed', problem);
    l.token = await l.remote.token();
    io.addSecret?.(l.token);
    if (l.remote.hostDecidesGreen) {
      io.log.info("green's command, workdir, launcher and prepare command come from the host agent's config; green-command, workdir, launcher, systemd-unit and prepare-command are not sent");
    }
    const id = mintHandoffId(p.release, clock.now());
    const r = await reserveQueued(l, p, out, id, deadlineAt);
    if ('outcome' in r) return r.outcome;
    return held(l, r.att, p, out, id, deadlineAt);
  });
}

/**
 * RESERVEs handoff `id`; a host busy with another handoff is waited for (SUBSCRIBE to it, bounded by the
 * deadline, progress in the log now and then), then asked again. Resolves with the attachment that holds the
 * reservation, or the Outcome when there is nothing to do (`unchanged`) or the deadline passed first.
 */
async function reserveQueued(l: Link, p: EngineParams, out: OutcomeBuilder, id: string, deadlineAt: number): Promise<{ att: Attachment } | { outcome: Outcome }> {
  const { io, clock } = l;
  for (;;) {
    const att = await attachTo(l, out, p.words);
    const { state, obs } = att;
    if (state.phase === 'idle' && state.release === p.release && state.runtime === p.runtime) {
      obs.close();
      out.busyWith = null;
      return { outcome: out.done('unchanged', `release ${p.release} (runtime ${p.runtime}) already serves on ${p.targetName}`) };
    }
    if (out.busyWith !== null && deadlineAt - clock.now() <= p.bakeMs) {
      obs.close();
      return { outcome: out.done('timed-out', busyNoTimeLeft(p.timeoutMs, out.busyWith, p.bakeMs, p.words)) };
    }
    io.onPhase?.('reserving', `reserving handoff ${id}`);
    try {
      await obs.reserve(reserveFrame(p, id), ANSWER_MS);
      out.busyWith = null;
      out.handoffId = id;
      io.log.info(`reserved handoff ${id} for release ${p.release}`);
      return { att };
    } catch (e) {
      if (!(e instanceof PeerError && e.code === 'busy')) {
        // RESERVE unanswered in time may still have reserved: release it rather than hold the host for claim-timeout-seconds.
        if (e instanceof PeerError && e.code === 'timeout') await obs.abort(id, `RESERVE was not answered in time: ${e.message}`, 5_000).catch(() => undefined);
        obs.close();
        throw e;
      }
      const waited = await waitForHolder(l, obs, e.message, p, out, deadlineAt);
      if (waited) return { outcome: waited };
    }
  }
}

/** Waits, on `obs`, for the handoff that holds the host to end; resolves with the Outcome when the deadline passes first, else null. */
async function waitForHolder(l: Link, obs: ObserverClient, refusal: string, p: EngineParams, out: OutcomeBuilder, deadlineAt: number): Promise<Outcome | null> {
  const { io, clock } = l;
  const st = await obs.status(ANSWER_MS).catch((e: unknown) => {
    if (isFatalHostError(e)) throw e;
    return null;
  });
  const h = st?.handoff ?? null;
  const holder = h ? `handoff ${h.id} (release ${h.release}, phase ${st?.phase})` : refusal;
  const first = out.busyWith === null;
  out.busyWith = holder;
  const leftS = () => Math.round(Math.max(0, deadlineAt - clock.now()) / 1000);
  if (first) {
    io.log.info(`the host is busy with ${holder}; waiting for it to end (at most ${leftS()} s, the rest of ${(p.words ?? ACTION_WORDS).input('timeout-seconds')})`);
    io.onPhase?.('waiting', `waiting for ${h ? `handoff ${h.id}` : 'the handoff under way'} to end`);
  }
  if (!h) {
    // It ended between the refusal and the question: ask again after a moment.
    obs.close();
    await clock.sleep(Math.min(200, Math.max(0, deadlineAt - clock.now())));
    return clock.now() >= deadlineAt ? out.done('timed-out', busyTimedOut(p.timeoutMs, holder, p.words)) : null;
  }
  let lastNote = clock.now();
  const end = await followHandoff(l, {
    id: h.id,
    deadlineAt,
    first: obs,
    timeline: [],
    health: [],
    takeoverMs: p.deadlines.takeover_ms,
    quiet: true,
    onTick: (phase) => {
      if (clock.now() - lastNote < WAIT_PROGRESS_MS) return;
      lastNote = clock.now();
      io.log.info(`still waiting for handoff ${h.id} (phase ${phase}); ${leftS()} s left`);
    },
  });
  if (end.kind === 'timeout') return out.done('timed-out', busyTimedOut(p.timeoutMs, `handoff ${h.id} (release ${h.release}, phase ${end.phase})`, p.words));
  io.log.info(`handoff ${h.id} ended ${end.record.verdict}; asking the host again`);
  return null;
}

/**
 * Everything while this run holds reservation `id`: prepare, launch, follow. One guarded region: whichever way it
 * ends, a reservation no green claimed is released (ABORT with the reason), and a green this run started is stopped
 * unless the host promoted it or is still deciding about it (a claimed handoff at the deadline: blue stops it on a
 * rollback).
 */
async function held(l: Link, att: Attachment, p: EngineParams, out: OutcomeBuilder, id: string, deadlineAt: number): Promise<Outcome> {
  const { io, clock, remote, paths } = l;
  let obs: ObserverClient | null = att.obs;
  // What the steps got to: the pid launch() reported, and how following the handoff ended.
  const got: { launched: number | null; end: FollowEnd | null } = { launched: null, end: null };
  let outcome: Outcome;
  try {
    outcome = await steps();
  } catch (e) {
    outcome = outcomeOfError(p, out, clock, deadlineAt, e);
  }
  const { launched, end } = got;
  const hostVerdict = end?.kind === 'verdict' ? end.record.verdict : null;
  // Claimed: the host decided, or green said HELLO (a phase past reserved); until then this run holds the reservation.
  const claimed = hostVerdict !== null || out.timeline.some((e) => e.phase !== 'reserved');
  if (!claimed) await release(outcome.reason);
  // Claimed without a verdict this run saw (its deadline, a lost link): the host decides, and blue stops green on a rollback.
  const hostDecides = claimed && hostVerdict === null;
  if (launched !== null && hostVerdict !== 'promoted' && !hostDecides) await stop(launched);
  obs?.close();
  return outcome;

  async function steps(): Promise<Outcome> {
    const budgetMs = Math.max(1_000, deadlineAt - clock.now() - 30_000);
    io.onPhase?.('preparing', 'running the prepare command');
    const prep = await remote.prepare(id, budgetMs);
    if (prep && !prep.ok) {
      out.prepareOutput = prep.output;
      return out.done('failed', prep.reason);
    }
    const log = greenLogFile(paths, id);
    const own = { [GREEN_ENV.home]: paths.home, [GREEN_ENV.runtime]: p.runtime, [GREEN_ENV.release]: p.release, [GREEN_ENV.socket]: paths.socket, [GREEN_ENV.handoffId]: id };
    const pid = await remote.launch(id, { user: p.greenEnv, own });
    got.launched = pid;
    out.launcherPid = pid;
    io.log.info(`started green (launcher pid ${pid}); log ${log}`);
    let unclaimedSince: number | null = null;
    const first = obs;
    obs = null; // follow owns (and closes) the connection now
    const end = await followHandoff(l, {
      id,
      deadlineAt,
      first,
      timeline: out.timeline,
      health: out.health,
      takeoverMs: p.deadlines.takeover_ms,
      // A green that died before HELLO would otherwise hold the reservation until it expires.
      checkUnclaimed: async () => {
        if ((await remote.pidRuns(pid)) !== false) return null;
        unclaimedSince ??= clock.now();
        return clock.now() - unclaimedSince >= UNCLAIMED_GRACE_MS ? `green exited before connecting to the handoff socket (see ${log})` : null;
      },
    });
    got.end = end;
    if (end.kind === 'timeout') {
      if (end.phase === 'reserved') {
        return out.done('failed', `green did not connect to the handoff socket within ${(p.words ?? ACTION_WORDS).deadline} of ${Math.round(p.timeoutMs / 1000)} s; the reservation was released and green stopped (see ${log})`);
      }
      return out.done('timed-out', deadlinePassed(p.words ?? ACTION_WORDS, p.timeoutMs, end.phase));
    }
    out.absorb(end.record);
    let o = verdictOutcome(end.record, p.release);
    if (o.verdict === 'promoted') {
      // Promoted means green serves: see the socket answer from it before saying so.
      const why = await confirmTakeover(io.host, paths.socket, att.token, end.record, clock, Math.max(1_000, Math.min(CONFIRM_TAKEOVER_MS, deadlineAt - clock.now())));
      if (why) o = { verdict: 'failed', reason: `blue decided promoted, but ${why}` };
    }
    if (o.verdict !== 'promoted') out.greenLogTail = await remote.tail(id, 40);
    return out.done(o.verdict, o.reason);
  }

  /** Releases the reservation (ABORT with `reason`) over the connection, or a new one when that one closed. */
  async function release(reason: string): Promise<void> {
    // The connection this run holds first; when it has gone (or goes while asking), a new one.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (!obs || obs.isClosed || attempt > 0) {
          obs?.close();
          obs = await openObserver(io.host, paths.socket, att.token, clock);
        }
        await obs.abort(id, reason, 10_000);
        io.log.info(`released the reservation of handoff ${id}`);
        return;
      } catch (e) {
        if (attempt > 0 || isFatalHostError(e) || (e instanceof PeerError && e.code !== 'closed')) {
          io.log.warn(`could not release the reservation of handoff ${id} (${errorMessage(e)}); blue releases it when claim-timeout-seconds pass`);
          return;
        }
      }
    }
  }

  /** Stops green (pid as the launcher reported it); a failure is logged, never the verdict. */
  async function stop(pid: number): Promise<void> {
    try {
      io.log.info(await remote.stopGreen(id, pid));
    } catch (e) {
      io.log.warn(`could not stop green of handoff ${id}: ${errorMessage(e)}`);
    }
  }
}
