import { followHandoff, settled } from './follow.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import { errorMessage } from '../core/errors.ts';
import { PeerError, type StateFrame } from '../peer/observer.ts';
import { attachTo, guarded, link } from './attach.ts';
import type { Link } from './link.ts';
import { ACTION_WORDS, stillInPhase } from '../core/reasons.ts';
import { needsFreshRecord, observationNote } from './observation.ts';
import { verdictOutcome } from './verdicts.ts';
import type { VerdictRecord } from '../protocol/frames.ts';
import type { Attachment } from './link.ts';
import { lastVerdict, unknownHandoff } from './lookup.ts';
import { isFatalHostError } from './observe.ts';
import { clockOf, type EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';

/**
 * Reports a handoff: follows the one under way, else the last verdict (or the named one's verdict file). A
 * handoff id the host does not know is answered at once; with blue not running, the last verdict file is
 * reported with the reason saying blue is down. Changes nothing on the host.
 */
export async function status(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const clock = clockOf(io);
  const started = clock.now();
  const out = new OutcomeBuilder(p, started, clock.now);
  const takeoverMs = p.deadlines.takeover_ms;
  let att: Attachment | null = null;
  try {
    return await guarded(p, out, clock, null, async () => {
      const l = await link(p, io);
      if (p.handoffId) {
        // An older handoff is known only by its file; a fresh promotion is asked of the socket (it may be taken back).
        const rec = await l.remote.verdict(p.handoffId);
        if (rec && settled(rec, clock.now(), takeoverMs)) return report(out, rec);
      }
      let state: StateFrame;
      if (l.token === null) {
        state = await l.remote.state();
        out.bluePid = state.server_pid;
      } else {
        try {
          att = await attachTo(l, out, p.words);
        } catch (e) {
          // Only a socket nobody answers on is "blue not running"; blue's own refusal is an error as it is.
          if (isFatalHostError(e) || e instanceof PeerError) throw e;
          return notServing(e);
        }
        state = att.state;
      }
      const id = p.handoffId ?? state.handoff?.id ?? state.last_verdict?.handoff_id ?? null;
      if (id === null) {
        // A restarted blue remembers no verdict: the files do.
        const last = await lastVerdict(l.remote);
        if (last) return report(out, last);
        out.release = state.release;
        return out.done('failed', `no handoff has run on ${p.targetName} yet; release ${state.release} (runtime ${state.runtime}) serves`);
      }
      const unknown = p.handoffId ? await unknownHandoff(l.remote, id, state) : null;
      if (unknown) {
        out.release = state.release;
        return out.done('failed', unknown);
      }
      out.handoffId = id;
      const first = att?.obs ?? null;
      att = null; // follow owns (and closes) the connection now
      const end = await followHandoff(l, { id, deadlineAt: started + p.timeoutMs, first, timeline: out.timeline, health: out.health, takeoverMs });
      if (end.kind === 'timeout') return out.done('timed-out', stillInPhase(p.words ?? ACTION_WORDS, id, end.phase));
      return report(out, await freshest(l, end.record));

      /** Blue does not answer: the verdict files still tell how the last (or the named) handoff ended. */
      async function notServing(e: unknown): Promise<Outcome> {
        const why = errorMessage(e);
        io.log.warn(why);
        const rec = p.handoffId ? await l.remote.verdict(p.handoffId) : await lastVerdict(l.remote);
        if (!rec) {
          const unknown = p.handoffId ? await unknownHandoff(l.remote, p.handoffId, null) : null;
          return out.done('failed', unknown ? `${why}; ${unknown}` : why);
        }
        const o = report(out, rec);
        return { ...o, reason: `${why}; handoff ${rec.handoff_id} ended ${o.verdict}: ${o.reason}` };
      }
    });
  } finally {
    (att as Attachment | null)?.obs.close();
  }
}

/** The outcome of a record, with its observation window said in the reason. */
function report(out: OutcomeBuilder, rec: VerdictRecord): Outcome {
  out.absorb(rec);
  const o = verdictOutcome(rec, rec.release);
  const note = observationNote(rec, out.observation);
  return out.done(o.verdict, note ? `${o.reason}; ${note}` : o.reason);
}

/** A promotion under observation as the verdict file has it now: the standby (or green) rewrites it when the window ends. */
async function freshest(l: Link, rec: VerdictRecord): Promise<VerdictRecord> {
  if (!needsFreshRecord(rec)) return rec;
  return (await l.remote.verdict(rec.handoff_id).catch(() => null)) ?? rec;
}
