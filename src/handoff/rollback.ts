import { followHandoff } from './follow.ts';
import { resolvePaths } from './paths.ts';
import { openObserver, readHostToken } from './observe.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import type { EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';
import { verdictOutcome } from './verdicts.ts';
import { errorMessage } from '../core/errors.ts';
import { ACTION_WORDS, rollbackRequested, stillInPhase } from '../core/reasons.ts';

/** Asks blue to roll back the handoff under way (ABORT) and follows it to its verdict. */
export async function rollback(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const now = io.now ?? Date.now;
  const started = now();
  const out = new OutcomeBuilder(p, started, now);
  try {
    const paths = await resolvePaths(io.host, p.hermesHome, p.socketPath);
    const token = await readHostToken(io.host, paths);
    io.addSecret?.(token);
    const obs = await openObserver(io.host, paths, token);
    const state = await obs.status(10_000);
    out.bluePid = state.server_pid;
    const h = state.handoff;
    if (!h || (p.handoffId && p.handoffId !== h.id)) {
      obs.close();
      out.release = state.release;
      return out.done(
        'failed',
        `nothing to roll back on ${p.targetName}: no handoff is under way (release ${state.release} serves); to undo a finished promotion, promote the previous release`,
      );
    }
    out.handoffId = h.id;
    await obs.abort(h.id, rollbackRequested(p.words ?? ACTION_WORDS), 10_000);
    io.log.info(`asked blue to roll back handoff ${h.id} (phase ${state.phase})`);
    const end = await followHandoff({ io, paths, token, id: h.id, deadlineAt: started + p.timeoutMs, first: obs, timeline: out.timeline, health: out.health });
    if (end.kind === 'timeout') return out.done('timed-out', stillInPhase(p.words ?? ACTION_WORDS, h.id, end.phase));
    out.absorb(end.record);
    const o = verdictOutcome(end.record, end.record.release);
    return out.done(o.verdict, o.reason);
  } catch (e) {
    return out.done('failed', errorMessage(e));
  }
}
