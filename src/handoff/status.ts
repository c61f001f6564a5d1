import { followHandoff, settled } from './follow.ts';
import { resolvePaths } from './paths.ts';
import { openObserver, readHostToken, readHostVerdict } from './observe.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import type { EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';
import { verdictOutcome } from './verdicts.ts';
import { needsFreshRecord, observationNote } from './observation.ts';
import type { HostPaths } from './paths.ts';
import type { VerdictRecord } from '../protocol/frames.ts';
import { errorMessage } from '../core/errors.ts';
import { ACTION_WORDS, stillInPhase } from '../core/reasons.ts';

/** Reports a handoff: follows the one under way, else the last verdict (or the named one's verdict file). */
export async function status(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const now = io.now ?? Date.now;
  const started = now();
  const out = new OutcomeBuilder(p, started, now);
  try {
    const paths = await resolvePaths(io.host, p.hermesHome, p.socketPath);
    if (p.handoffId) {
      // An older handoff is known only by its file; a fresh promotion is asked of the socket (it may be taken back).
      const rec = await readHostVerdict(io.host, paths, p.handoffId);
      if (rec && settled(rec, now())) return report(out, rec);
    }
    const token = await readHostToken(io.host, paths);
    io.addSecret?.(token);
    const obs = await openObserver(io.host, paths, token);
    const state = await obs.status(10_000);
    out.bluePid = state.server_pid;
    const id = p.handoffId ?? state.handoff?.id ?? state.last_verdict?.handoff_id ?? null;
    if (!id) {
      obs.close();
      out.release = state.release;
      return out.done('failed', `no handoff has run on ${p.targetName} yet; release ${state.release} (runtime ${state.runtime}) serves`);
    }
    out.handoffId = id;
    const end = await followHandoff({ io, paths, token, id, deadlineAt: started + p.timeoutMs, first: obs, timeline: out.timeline, health: out.health });
    if (end.kind === 'timeout') return out.done('timed-out', stillInPhase(p.words ?? ACTION_WORDS, id, end.phase));
    return report(out, await freshest(io, paths, end.record));
  } catch (e) {
    return out.done('failed', errorMessage(e));
  }
}

/** The outcome of a record, with its observation window said in the reason. */
function report(out: OutcomeBuilder, rec: VerdictRecord) {
  out.absorb(rec);
  const o = verdictOutcome(rec, rec.release);
  const note = observationNote(rec, out.observation);
  return out.done(o.verdict, note ? `${o.reason}; ${note}` : o.reason);
}

/** A promotion under observation as the verdict file has it now: the standby (or green) rewrites it when the window ends. */
async function freshest(io: EngineIo, paths: HostPaths, rec: VerdictRecord): Promise<VerdictRecord> {
  if (!needsFreshRecord(rec)) return rec;
  const file = await readHostVerdict(io.host, paths, rec.handoff_id).catch(() => null);
  return file ?? rec;
}
