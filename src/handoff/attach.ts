// The steps every mode shares: attach() (the remote, the paths, the token, one observer and blue's STATE) and
// finish() (a followed handoff's end as the Outcome), with guarded() mapping whatever escapes a mode to a verdict.
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import { errorMessage } from '../core/errors.ts';
import { ACTION_WORDS, cannotConnect, deadlinePassed, missingSocket, stillInPhase, staleSocket, type Words } from '../core/reasons.ts';
import { ANSWER_MS } from '../core/budget.ts';
import { PeerError, type ObserverClient } from '../peer/observer.ts';
import type { VerdictRecord } from '../protocol/frames.ts';
import type { FollowEnd } from './follow.ts';
import { isFatalHostError, openObserver } from './observe.ts';
import { clockOf, type EngineClock, type EngineIo } from './params.ts';
import type { Attachment, Link } from './link.ts';
import { remoteFor } from './remote/index.ts';
import type { OutcomeBuilder } from './result.ts';
import { verdictOutcome } from './verdicts.ts';

/** The link of this run: the remote chosen from the host, its paths, and the token when the key may read it (masked at once). */
export async function link(p: EngineParams, io: EngineIo, withToken = true): Promise<Link> {
  const remote = remoteFor(p, io);
  const paths = await remote.paths();
  let token: string | null = null;
  if (withToken && remote.readOnly === null) {
    token = await remote.token();
    io.addSecret?.(token);
  }
  return { io, clock: clockOf(io), remote, paths, token };
}

/**
 * Opens an observer on `l` and asks STATUS; blue's pid goes to `out`. When nothing answers, says why in the
 * operator's words: a stale socket (a file, nobody listening) or no socket at all, and how to start the gateway.
 */
export async function attachTo(l: Link, out: OutcomeBuilder, words: Words = ACTION_WORDS): Promise<Attachment> {
  if (l.token === null) throw new Error(`cannot open the handoff socket: ${l.remote.readOnly ?? 'no token'}`);
  let obs: ObserverClient;
  try {
    obs = await openObserver(l.io.host, l.paths.socket, l.token, l.clock);
  } catch (e) {
    // Blue's own answer (a wrong token, no WELCOME in time) is not a missing listener.
    if (isFatalHostError(e) || e instanceof PeerError) throw e;
    const kind = await l.remote.socketState().catch(() => 'unknown' as const);
    if (kind === 'stale') throw new Error(staleSocket(l.paths.socket));
    if (kind === 'missing') throw new Error(missingSocket(l.paths.socket, words));
    throw e;
  }
  try {
    const state = await obs.status(ANSWER_MS);
    out.bluePid = state.server_pid;
    return { ...l, token: l.token, obs, state };
  } catch (e) {
    obs.close();
    throw e;
  }
}

/** link() then attachTo(): what promote, status and rollback start with. */
export async function attach(p: EngineParams, io: EngineIo, out: OutcomeBuilder): Promise<Attachment> {
  return attachTo(await link(p, io), out, p.words);
}

/** The Outcome of a followed handoff: its verdict (judged against `requested`), or timed-out naming the phase it was in (in `words`). */
export function finish(out: OutcomeBuilder, id: string, end: FollowEnd, words: Words = ACTION_WORDS, requested?: string): Outcome {
  if (end.kind === 'timeout') return out.done('timed-out', stillInPhase(words, id, end.phase));
  return judged(out, end.record, requested);
}

/** The Outcome of the host's verdict record `r`. */
export function judged(out: OutcomeBuilder, r: VerdictRecord, requested = r.release): Outcome {
  out.absorb(r);
  const o = verdictOutcome(r, requested);
  return out.done(o.verdict, o.reason);
}

/**
 * Runs a mode's `body`; whatever it throws becomes a decided verdict: a host key that matches no pin is `failed`
 * with the connect-time message (never retried, never "rerun"); past the deadline `timed-out`; else `failed`.
 */
export async function guarded(p: EngineParams, out: OutcomeBuilder, clock: EngineClock, deadlineAt: number | null, body: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await body();
  } catch (e) {
    return outcomeOfError(p, out, clock, deadlineAt, e);
  }
}

/** The verdict for an error `e` that ended a mode (see guarded). */
export function outcomeOfError(p: EngineParams, out: OutcomeBuilder, clock: EngineClock, deadlineAt: number | null, e: unknown): Outcome {
  if (isFatalHostError(e)) return out.done('failed', cannotConnect(p.targetName, e.message));
  const msg = errorMessage(e);
  if (deadlineAt !== null && clock.now() >= deadlineAt) return out.done('timed-out', deadlinePassed(p.words ?? ACTION_WORDS, p.timeoutMs, null, msg));
  return out.done('failed', msg);
}
