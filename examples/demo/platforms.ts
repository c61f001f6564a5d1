// The demo's `platforms` field: each platform's own accounting of the run.
import type { PlatformStats } from '../gateway/platform/server.ts';

/** One platform's figures in the demo's JSON line. */
export interface DemoPlatform {
  lost: number;
  duplicated: number;
  conflicts: number;
  /** The platform's longest gap at a change of listener over the run (Telegram: no poll in flight; Discord: no live connection): the handover's dark window, or a take-back's. */
  dark_window_ms: number;
}

/** The platforms the demo runs the gateway on. */
export const DEMO_KINDS = ['telegram', 'discord'] as const;

/** Each platform's figures from the platform's stats (the top level's lost, duplicated and conflicts are their sums). */
export function platformFigures(s: PlatformStats): Record<(typeof DEMO_KINDS)[number], DemoPlatform> {
  const one = (k: (typeof DEMO_KINDS)[number]): DemoPlatform => {
    const p = s.platforms[k];
    return { lost: p?.lost ?? 0, duplicated: p?.duplicated ?? 0, conflicts: p?.conflicts ?? 0, dark_window_ms: p?.switch_gap_ms ?? 0 };
  };
  return { telegram: one('telegram'), discord: one('discord') };
}

/** The gateway's --platform flags for a fake platform at `url`: both adapters (and the fake's REST rate, not Discord's 50/s). */
export function platformArgs(url: string): string[] {
  return ['--platform', `telegram=${url}`, '--platform', `discord=${url}/api`, '--rest-rps', '1000'];
}
