import { followHandoff } from './follow.ts';
import type { Outcome } from '../core/outcome.ts';
import type { EngineParams } from '../core/params.ts';
import { ACTION_WORDS, readOnlyKey, rollbackRequested } from '../core/reasons.ts';
import { attachTo, finish, guarded, link } from './attach.ts';
import type { Attachment } from './link.ts';
import { unknownHandoff } from './lookup.ts';
import { clockOf, type EngineIo } from './params.ts';
import { OutcomeBuilder } from './result.ts';

/** Asks blue to roll back the handoff under way (ABORT) and follows it to its verdict. */
export async function rollback(p: EngineParams, io: EngineIo): Promise<Outcome> {
  const clock = clockOf(io);
  const started = clock.now();
  const out = new OutcomeBuilder(p, started, clock.now);
  let att: Attachment | null = null;
  try {
    return await guarded(p, out, clock, null, async () => {
      const l = await link(p, io);
      if (l.remote.readOnly) return out.done('failed', readOnlyKey('rollback', p.words));
      att = await attachTo(l, out, p.words);
      const { state, obs } = att;
      const h = state.handoff;
      if (p.handoffId && p.handoffId !== h?.id) {
        out.release = state.release;
        const unknown = await unknownHandoff(l.remote, p.handoffId, state);
        if (unknown) return out.done('failed', unknown);
        return out.done('failed', `nothing to roll back on ${p.targetName}: handoff ${p.handoffId} has already ended (release ${state.release} serves); to undo a finished promotion, promote the previous release`);
      }
      if (!h) {
        out.release = state.release;
        return out.done(
          'failed',
          `nothing to roll back on ${p.targetName}: no handoff is under way (release ${state.release} serves); to undo a finished promotion, promote the previous release`,
        );
      }
      out.handoffId = h.id;
      await obs.abort(h.id, rollbackRequested(p.words ?? ACTION_WORDS), 10_000);
      io.log.info(`asked blue to roll back handoff ${h.id} (phase ${state.phase})`);
      att = null; // follow owns (and closes) the connection now
      const end = await followHandoff(l, { id: h.id, deadlineAt: started + p.timeoutMs, first: obs, timeline: out.timeline, health: out.health, takeoverMs: p.deadlines.takeover_ms });
      return finish(out, h.id, end, p.words);
    });
  } finally {
    (att as Attachment | null)?.obs.close();
  }
}
