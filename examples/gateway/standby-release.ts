// What the reference gateway frees while it stands by after a promotion (protocol.md section 14.1),
// and opens again if it takes back: its transcript store (the file and its in-memory index of every
// answered update), after the adapters' own release() when they have one.
import type { Adapters } from '../../src/peer/adapters.ts';
import type { TranscriptStore } from './store.ts';

/** The transcript store behind a handle the standby can release: released, it holds no file and no index; the next call opens the log again. */
export interface ReleasableStore extends TranscriptStore {
  /** Closes the log and drops its index; any later call opens it again (reading it whole). */
  release(): void;
}

/** Opens the store with `open` now and keeps it behind a releasable handle; close() is for good. */
export function releasableStore(open: () => TranscriptStore): ReleasableStore {
  let current: TranscriptStore | null = open();
  const path = current.path;
  let closed = false;
  const store = (): TranscriptStore => {
    if (closed) throw new Error(`transcript store ${path} is closed`);
    current ??= open();
    return current;
  };
  const drop = () => {
    current?.close();
    current = null;
  };
  return {
    path,
    has: (platform, updateId) => store().has(platform, updateId),
    record: (platform, updateId, by) => store().record(platform, updateId, by),
    recordSession: (platform, session) => store().recordSession(platform, session),
    sessionOf: (platform) => store().sessionOf(platform),
    flush: () => store().flush(),
    flushSoon: () => store().flushSoon(),
    reload: () => store().reload(),
    recordOffset: (platform, offset) => store().recordOffset(platform, offset),
    nextOffset: (platform) => store().nextOffset(platform),
    corruptLines: () => store().corruptLines(),
    close: () => {
      closed = true;
      drop();
    },
    release: drop,
  };
}

/** `adapters` with the standby's release(): the adapters' own first (their platform connections and caches), then the store. */
export function withStandbyRelease(adapters: Adapters, store: ReleasableStore): Adapters {
  return {
    names: () => adapters.names(),
    start: (cursors) => adapters.start(cursors),
    pause: (deadlineMs, opts) => adapters.pause(deadlineMs, opts),
    cursors: () => adapters.cursors(),
    sample: () => adapters.sample(),
    replies: () => adapters.replies(),
    ...(adapters.handoverNotes ? { handoverNotes: () => adapters.handoverNotes?.() ?? [] } : {}),
    ...(adapters.warm ? { warm: () => adapters.warm?.() ?? Promise.resolve() } : {}),
    release: async () => {
      await adapters.release?.();
      store.release();
    },
  };
}
