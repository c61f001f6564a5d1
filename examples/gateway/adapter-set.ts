// Several platform adapters as the one `Adapters` the handoff roles drive: started, paused and
// sampled together, each with its own cursor under its own name.
import type { Adapters } from '../../src/peer/adapters.ts';
import type { Cursors } from '../../src/protocol/frames.ts';
import { BASELINE_MAX_REPLIES } from '../../src/protocol/deadlines.ts';
import { mergeWindows } from './reply-stats.ts';
import type { PlatformAdapter } from './platform-adapter.ts';

/** The gateway's adapters together, plus close(). */
export interface AdapterSet extends Adapters {
  readonly list: readonly PlatformAdapter[];
  /** Stops every adapter at once (no drain) and closes its connections. */
  close(): Promise<void>;
}

/** Drives `list` (distinct names) as one. */
export function adapterSet(list: readonly PlatformAdapter[]): AdapterSet {
  const names = list.map((a) => a.name);
  if (new Set(names).size !== names.length) throw new Error(`adapter names must differ: ${names.join(', ')}`);

  return {
    list,
    names: () => [...names],

    async warm() {
      await Promise.all(list.map((a) => a.warm?.()));
    },

    async start(cursors) {
      // A cursor of another kind than its adapter is refused before anything starts.
      for (const a of list) {
        const c = cursors?.[a.name];
        if (c !== undefined && c.kind !== a.kind) throw new Error(`cursor "${a.name}" is a ${c.kind} cursor; this adapter is ${a.kind}`);
      }
      const started = await Promise.allSettled(list.map((a) => a.start(cursors)));
      const failed = started.flatMap((r, i) => (r.status === 'rejected' ? [`${list[i]!.name}: ${(r.reason as Error).message}`] : []));
      if (failed.length > 0) {
        // Started nothing: stop those that did start, so nothing polls behind the caller's back.
        await Promise.allSettled(list.map((a, i) => (started[i]!.status === 'fulfilled' ? a.pause(1_000) : null)));
        throw new Error(failed.join('; '));
      }
      return Math.max(...started.map((r) => (r as PromiseFulfilledResult<number>).value));
    },

    async pause(deadlineMs, opts = {}) {
      const final = opts.final === true;
      // Each platform's dark window starts at its own last listening moment, and HANDOFF_ACTIVE waits
      // for every adapter: so the adapters with a connection to close (Discord) finish their work
      // first while the others (Telegram) still poll, those pause next, and the connections close last.
      const end = Date.now() + deadlineMs;
      const left = () => Math.max(1, end - Date.now());
      const late = list.filter((a) => a.release);
      const rest = list.filter((a) => !a.release);
      const first = await Promise.allSettled(late.map((a) => a.pause(left(), { release: false, final })));
      const then = await Promise.allSettled(rest.map((a) => a.pause(left(), { final })));
      await Promise.allSettled(late.map((a, i) => (first[i]!.status === 'fulfilled' ? a.release!({ final }) : null)));
      const paused = [...first, ...then];
      const failed = paused.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      if (failed.length > 0) throw new Error(failed.join('; '));
      const ok = paused.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Adapters['pause']>>>).value);
      return {
        cursors: Object.assign({}, ...ok.map((p) => p.cursors)) as Cursors,
        drained: ok.reduce((n, p) => n + p.drained, 0),
        // The earliest: the dark window is then the longest any platform went without a listener.
        paused_at: Math.min(...ok.map((p) => p.paused_at)),
      };
    },

    handoverNotes(pausedAt?: number) {
      return list.flatMap((a) => a.handoverNotes?.(pausedAt) ?? []);
    },

    cursors: () => Object.assign({}, ...list.map((a) => a.cursors())) as Cursors,
    sample: () => mergeWindows(list.map((a) => a.sample())),
    replies: () =>
      list
        .flatMap((a) => a.replies())
        .sort((x, y) => x.at - y.at)
        .slice(-BASELINE_MAX_REPLIES),

    async close() {
      await Promise.allSettled(list.map((a) => a.close()));
    },
  };
}
