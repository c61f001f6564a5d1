// What each platform adapter of the reference gateway is: the handoff's Adapters for one name.
import type { Adapters } from '../../src/peer/adapters.ts';

/** One platform adapter: the Adapters of one name and kind, plus close(). */
export interface PlatformAdapter extends Adapters {
  readonly name: string;
  readonly kind: 'telegram' | 'discord';
  /** Stops at once (no drain) and closes its connections. */
  close(): Promise<void>;
}
