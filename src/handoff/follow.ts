import type { HealthSample, Phase, TimelineEntry, VerdictRecord } from '../protocol/frames.ts';
import { DEFAULT_DEADLINES } from '../protocol/deadlines.ts';
import type { ObserverClient, ObserverEvent, StateFrame } from '../peer/observer.ts';
import { errorMessage } from '../core/errors.ts';
import { isFatalHostError, openObserver } from './observe.ts';
import type { Link } from './link.ts';

export type FollowEnd = { kind: 'verdict'; record: VerdictRecord } | { kind: 'timeout'; phase: string };

export interface FollowArgs {
  id: string;
  /** Epoch ms (of the link's clock) at which the action stops waiting. */
  deadlineAt: number;
  /** An observer already connected (and not yet subscribed), if any; follow closes it. */
  first?: ObserverClient | null;
  /** Called about once a second while the handoff is still only reserved: returns a reason to abort, or null. */
  checkUnclaimed?: () => Promise<string | null>;
  /** The handoff's phases and health samples as they arrive. */
  timeline: TimelineEntry[];
  health: HealthSample[];
  /** The takeover deadline the handoff runs under: a fresh `promoted` verdict file is trusted only after it. */
  takeoverMs?: number;
  /** Another run's handoff (the host is busy): no phase hook, no bake progress; `onTick` hears of it instead. */
  quiet?: boolean;
  /** Called about once a second with the phase known so far. */
  onTick?: (phase: string) => void;
}

/** How long one wait for an event lasts before the loop looks at the deadline and the reservation again. */
const TICK_MS = 1_000;

const fmtS = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * True when a verdict read from the file can be trusted without the socket: a fresh `promoted`
 * may still be taken back (green must own the socket within takeover_ms), so it must be older.
 */
export function settled(rec: VerdictRecord, now: number, takeoverMs = DEFAULT_DEADLINES.takeover_ms): boolean {
  return rec.verdict !== 'promoted' || rec.decided_by === 'green' || now - rec.decided_at > takeoverMs + 5_000;
}

/**
 * Follows handoff `a.id` until its verdict, never past the deadline: by SUBSCRIBE over the socket, re-attaching
 * after a dropped connection, or (a key that may not open the socket) by asking the host's STATE once a second.
 * A host whose key no longer matches its pins ends it at once (the error is thrown, never retried).
 */
export async function followHandoff(link: Link, a: FollowArgs): Promise<FollowEnd> {
  const { clock, io } = link;
  const takeoverMs = a.takeoverMs ?? DEFAULT_DEADLINES.takeover_ms;
  let phase: string = 'reserved';
  let bake: { started: number; ms: number } | null = null;
  let lastProgress = clock.now();
  const seen = new Set(a.timeline.map((t) => `${t.phase}@${t.at}`));

  const onPhase = (p: Phase | string, at: number, note?: string) => {
    const key = `${p}@${at}`;
    if (seen.has(key)) return;
    seen.add(key);
    a.timeline.push({ phase: p, at, ...(note ? { note } : {}) });
    phase = p;
    if (a.quiet) return;
    io.log.info(`phase ${p}${note ? `: ${note}` : ''}`);
    io.onPhase?.(p, note ?? p);
  };
  const onSample = (sample: HealthSample) => {
    a.health.push(sample);
    if (a.quiet || !bake || clock.now() - lastProgress < (io.progressEveryMs ?? 10_000)) return;
    lastProgress = clock.now();
    const w = a.health.slice(-10);
    const handled = w.reduce((x, s) => x + s.handled, 0);
    const errors = w.reduce((x, s) => x + s.errors, 0);
    const p99 = w.reduce((x, s) => Math.max(x, s.latency_p99_ms), 0);
    io.log.info(
      `bake ${fmtS(clock.now() - bake.started)}/${fmtS(bake.ms)}: green handled ${handled} in the last ${w.length} heartbeats, error rate ${handled ? ((errors / handled) * 100).toFixed(1) : '0.0'}%, p99 ${Math.round(p99)} ms`,
    );
  };
  /** Takes what a STATE says about this handoff; the verdict when it has one. */
  const absorbState = (state: StateFrame): VerdictRecord | null => {
    const mine = state.handoff?.id === a.id;
    if (mine || state.last_verdict?.handoff_id === a.id) for (const t of state.timeline) onPhase(t.phase, t.at, t.note);
    if (mine && state.handoff) {
      phase = state.phase;
      if (state.handoff.bake_started_at) bake = { started: state.handoff.bake_started_at, ms: state.handoff.bake_ms };
      return null;
    }
    return state.last_verdict?.handoff_id === a.id ? state.last_verdict : null;
  };
  /** The verdict file, when it can be trusted without the socket. */
  const settledFile = async (): Promise<VerdictRecord | null> => {
    const rec = await link.remote.verdict(a.id).catch((e: unknown) => {
      if (isFatalHostError(e)) throw e;
      return null;
    });
    return rec && settled(rec, clock.now(), takeoverMs) ? rec : null;
  };
  const left = () => Math.max(0, a.deadlineAt - clock.now());

  // A key that may not open the socket (the agent's read-only key): the host's STATE, once a second.
  if (link.token === null) {
    a.first?.close();
    while (clock.now() < a.deadlineAt) {
      let state: StateFrame | null = null;
      try {
        state = await link.remote.state();
      } catch (e) {
        if (isFatalHostError(e)) throw e;
        io.log.warn(`cannot read blue's state (${errorMessage(e)}); asking again`);
      }
      const rec = state ? absorbState(state) : null;
      if (rec) return { kind: 'verdict', record: rec };
      if (!state || state.handoff?.id !== a.id) {
        const file = await settledFile();
        if (file) return { kind: 'verdict', record: file };
      } else if (state.health.length > a.health.length) {
        for (const s of state.health.slice(a.health.length)) onSample(s);
      }
      a.onTick?.(phase);
      await clock.sleep(Math.min(TICK_MS, left()));
    }
    return { kind: 'timeout', phase };
  }

  const token = link.token;
  let obs: ObserverClient | null = a.first ?? null;
  let delay = 200;
  try {
    while (clock.now() < a.deadlineAt) {
      if (!obs || obs.isClosed) {
        try {
          obs = await openObserver(io.host, link.paths.socket, token, clock, Math.max(1_000, Math.min(10_000, left())));
          delay = 200;
        } catch (e) {
          if (isFatalHostError(e)) throw e;
          // The socket may be between owners (green renaming it in) or the link may be down.
          const rec = await settledFile();
          if (rec) return { kind: 'verdict', record: rec };
          io.log.warn(`cannot reach the handoff socket (${errorMessage(e)}); retrying in ${delay} ms`);
          await clock.sleep(Math.min(delay, left()));
          delay = Math.min(delay * 2, 5_000);
          continue;
        }
      }
      const c = obs;
      let verdict: VerdictRecord | null = null;
      let wake: (() => void) | null = null;
      let state: StateFrame;
      try {
        state = await c.subscribe((e: ObserverEvent) => {
          if (e.kind === 'phase' && e.handoff_id === a.id) onPhase(e.phase, e.at, e.note);
          if (e.kind === 'health' && e.handoff_id === a.id) onSample(e.sample);
          if (e.kind === 'verdict' && e.record.handoff_id === a.id) {
            verdict = e.record;
            wake?.();
          }
        }, 10_000);
      } catch (e) {
        io.log.warn(`lost the handoff socket while subscribing: ${errorMessage(e)}`);
        c.close();
        continue;
      }
      const known = absorbState(state);
      if (known) return { kind: 'verdict', record: known };
      if (state.handoff?.id !== a.id) {
        // This listener does not know the handoff: its verdict may be on disk only.
        c.close();
        const rec = await settledFile();
        if (rec) return { kind: 'verdict', record: rec };
        await clock.sleep(Math.min(500, left()));
        continue;
      }
      const bakeMs = state.handoff.bake_ms;
      // One close listener per connection; one timer per wait, cancelled when something else wakes it.
      c.onClose(() => wake?.());
      while (!verdict && !c.isClosed && clock.now() < a.deadlineAt) {
        let cancel = () => {};
        await new Promise<void>((r) => {
          wake = r;
          cancel = clock.after(Math.min(TICK_MS, Math.max(1, left())), r);
        });
        cancel();
        wake = null;
        if (phase === 'baking' && !bake) bake = { started: a.timeline.find((t) => t.phase === 'baking')?.at ?? clock.now(), ms: bakeMs };
        a.onTick?.(phase);
        if (!verdict && phase === 'reserved' && a.checkUnclaimed) {
          const why = await a.checkUnclaimed();
          if (why) await c.abort(a.id, why, 10_000).catch(() => undefined);
        }
      }
      if (verdict) return { kind: 'verdict', record: verdict };
      if (c.isClosed) io.log.warn('the handoff socket closed; re-attaching with STATUS');
    }
    return { kind: 'timeout', phase };
  } finally {
    obs?.close();
  }
}
