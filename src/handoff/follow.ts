import type { HealthSample, Phase, TimelineEntry, VerdictRecord } from '../protocol/frames.ts';
import { DEFAULT_DEADLINES } from '../protocol/deadlines.ts';
import type { ObserverClient, ObserverEvent } from '../peer/observer.ts';
import { openObserver, readHostVerdict, sleep } from './observe.ts';
import type { EngineIo } from './params.ts';
import type { HostPaths } from './paths.ts';
import { errorMessage } from '../core/errors.ts';

export type FollowEnd = { kind: 'verdict'; record: VerdictRecord } | { kind: 'timeout'; phase: string };

export interface FollowArgs {
  io: EngineIo;
  paths: HostPaths;
  token: string;
  id: string;
  /** Epoch ms at which the action stops waiting. */
  deadlineAt: number;
  /** An observer already connected (and not yet subscribed), if any. */
  first?: ObserverClient | null;
  /** Called about once a second while the handoff is still only reserved: returns a reason to abort, or null. */
  checkUnclaimed?: () => Promise<string | null>;
  timeline: TimelineEntry[];
  health: HealthSample[];
}

const fmtS = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * True when a verdict read from the file can be trusted without the socket: a fresh `promoted`
 * may still be taken back (green must own the socket within takeover_ms), so it must be older.
 */
export function settled(rec: VerdictRecord, now: number, takeoverMs = DEFAULT_DEADLINES.takeover_ms): boolean {
  return rec.verdict !== 'promoted' || rec.decided_by === 'green' || now - rec.decided_at > takeoverMs + 5_000;
}

/** Follows handoff `id` by SUBSCRIBE until its verdict, re-attaching after a dropped connection; never past the deadline. */
export async function followHandoff(a: FollowArgs): Promise<FollowEnd> {
  const now = a.io.now ?? Date.now;
  const every = a.io.progressEveryMs ?? 10_000;
  let phase: string = 'reserved';
  let bake: { started: number; ms: number } | null = null;
  let lastProgress = now();
  let obs: ObserverClient | null = a.first ?? null;
  let delay = 200;
  const seen = new Set(a.timeline.map((t) => `${t.phase}@${t.at}`));

  const onPhase = (p: Phase | string, at: number, note?: string) => {
    const key = `${p}@${at}`;
    if (seen.has(key)) return;
    seen.add(key);
    a.timeline.push({ phase: p, at, ...(note ? { note } : {}) });
    phase = p;
    a.io.log.info(`phase ${p}${note ? `: ${note}` : ''}`);
    a.io.onPhase?.(p, note ?? p);
  };
  const onEvent = (e: ObserverEvent) => {
    if (e.kind === 'phase' && e.handoff_id === a.id) onPhase(e.phase, e.at, e.note);
    if (e.kind === 'health' && e.handoff_id === a.id) {
      a.health.push(e.sample);
      if (bake && now() - lastProgress >= every) {
        lastProgress = now();
        const w = a.health.slice(-10);
        const handled = w.reduce((x, s) => x + s.handled, 0);
        const errors = w.reduce((x, s) => x + s.errors, 0);
        const p99 = w.reduce((x, s) => Math.max(x, s.latency_p99_ms), 0);
        a.io.log.info(
          `bake ${fmtS(now() - bake.started)}/${fmtS(bake.ms)}: green handled ${handled} in the last ${w.length} heartbeats, error rate ${handled ? ((errors / handled) * 100).toFixed(1) : '0.0'}%, p99 ${Math.round(p99)} ms`,
        );
      }
    }
  };

  while (now() < a.deadlineAt) {
    if (!obs || obs.isClosed) {
      try {
        obs = await openObserver(a.io.host, a.paths, a.token, Math.max(1_000, Math.min(10_000, a.deadlineAt - now())));
        delay = 200;
      } catch (e) {
        // The socket may be between owners (green renaming it in) or the link may be down.
        const rec = await readHostVerdict(a.io.host, a.paths, a.id).catch(() => null);
        if (rec && settled(rec, now())) return { kind: 'verdict', record: rec };
        a.io.log.warn(`cannot reach the handoff socket (${errorMessage(e)}); retrying in ${delay} ms`);
        await sleep(Math.min(delay, Math.max(0, a.deadlineAt - now())));
        delay = Math.min(delay * 2, 5_000);
        continue;
      }
    }
    let verdict: VerdictRecord | null = null;
    let wake: (() => void) | null = null;
    const c = obs;
    const subscribeHandler = (e: ObserverEvent) => {
      onEvent(e);
      if (e.kind === 'verdict' && e.record.handoff_id === a.id) {
        verdict = e.record;
        wake?.();
      }
    };
    let state;
    try {
      state = await c.subscribe(subscribeHandler, 10_000);
    } catch (e) {
      a.io.log.warn(`lost the handoff socket while subscribing: ${errorMessage(e)}`);
      c.close();
      continue;
    }
    for (const t of state.timeline) if (state.handoff?.id === a.id || state.last_verdict?.handoff_id === a.id) onPhase(t.phase, t.at, t.note);
    if (state.handoff?.id === a.id) {
      phase = state.phase;
      if (state.handoff.bake_started_at) bake = { started: state.handoff.bake_started_at, ms: state.handoff.bake_ms };
    } else if (state.last_verdict?.handoff_id === a.id) {
      c.close();
      return { kind: 'verdict', record: state.last_verdict };
    } else {
      // This listener does not know the handoff: its verdict may be on disk only.
      const rec = await readHostVerdict(a.io.host, a.paths, a.id).catch(() => null);
      c.close();
      if (rec && settled(rec, now())) return { kind: 'verdict', record: rec };
      await sleep(Math.min(500, Math.max(0, a.deadlineAt - now())));
      continue;
    }
    // Wait for the verdict, a closed connection or the deadline; check an unclaimed reservation once a second.
    while (!verdict && !c.isClosed && now() < a.deadlineAt) {
      await new Promise<void>((r) => {
        wake = r;
        c.onClose(r);
        setTimeout(r, Math.min(1_000, Math.max(1, a.deadlineAt - now())));
      });
      wake = null;
      if (phase === 'baking' && !bake) bake = { started: a.timeline.find((t) => t.phase === 'baking')?.at ?? now(), ms: state.handoff.bake_ms };
      if (!verdict && phase === 'reserved' && a.checkUnclaimed) {
        const why = await a.checkUnclaimed();
        if (why) {
          await c.abort(a.id, why, 10_000).catch(() => undefined);
        }
      }
    }
    if (verdict) {
      c.close();
      return { kind: 'verdict', record: verdict };
    }
    if (c.isClosed) a.io.log.warn('the handoff socket closed; re-attaching with STATUS');
  }
  obs?.close();
  return { kind: 'timeout', phase };
}
