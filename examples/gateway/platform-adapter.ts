// What each platform adapter of the reference gateway is: the handoff's Adapters for one name.
import type { Adapters } from '../../src/peer/adapters.ts';

/** One platform adapter: the Adapters of one name and kind, plus close(). */
export interface PlatformAdapter extends Adapters {
  readonly name: string;
  readonly kind: 'telegram' | 'discord';
  /** As Adapters.pause; with `release: false` an adapter that has release() keeps its connection for it. */
  pause(deadlineMs: number, opts?: { release?: boolean; final?: boolean }): ReturnType<Adapters['pause']>;
  /**
   * Optional: the last step of a break-before-make pause, run by the set once every adapter has paused
   * (Discord: closing the connection, where its dark window starts); nothing in make-before-break unless `final`.
   */
  release?(opts?: { final?: boolean }): Promise<void>;
  /** Stops at once (no drain) and closes its connections. */
  close(): Promise<void>;
}
