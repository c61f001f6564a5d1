// Set-ups for the in-process tests of the observation window: a promotion with a window on the fake
// clock, green serving as the next blue, the old blue standing by; restarts of green; counting pollers.
import assert from 'node:assert/strict';
import { startBlue, type BlueHandle } from '../../src/peer/blue.ts';
import { runGreen, type GreenResult } from '../../src/peer/green.ts';
import { sleep } from '../../src/peer/os.ts';
import { startupRole, stillPromoted } from '../../src/peer/role.ts';
import type { Cursors, VerdictRecord } from '../../src/protocol/frames.ts';
import { FakeAdapters, Pollers } from './fake-adapters.ts';
import { FakeWorld } from './fake-os.ts';
import { BLUE, blueWorld, GREEN, HOME, ID, observer, reserve, SOCK, type BlueWorld } from './world.ts';
import type { WireClient } from './wire.ts';

/** The window's settings in these tests: short heartbeat age and grace, a restart grace of 5 s. */
export const WINDOW_DEADLINES = { heartbeat_ms: 1_000, ack_ms: 20_000, drain_ms: 3_000, confirm_ms: 4_000, rollback_grace_ms: 5_000, takeover_ms: 4_000, restart_grace_ms: 5_000 };
export const WINDOW_THRESHOLDS = { max_heartbeat_age_ms: 3_000 };

/** A gateway process serving as blue in the fake world: green after its promotion, or a restarted green. */
export interface Serving {
  pid: number;
  blue: BlueHandle;
  adapters: FakeAdapters;
  /** Set when its standby took it back and it left (the reason). */
  takenBack: () => string | null;
}

export interface Window {
  w: BlueWorld;
  world: FakeWorld;
  pollers: Pollers;
  /** The observer that reserved the handoff. */
  o: WireClient;
  green: Serving;
  /** True once the old blue left (the window ended without a take-back). */
  blueLeft: () => boolean;
  /** When the promotion was decided (the window runs observe_ms from then). */
  promotedAt: number;
}

/** Starts a blue-role listener for process `pid` in `world` (green after COMPLETE, or a restart), its adapters counted in `pollers`. */
export async function serveAs(
  world: FakeWorld,
  pid: number,
  pollers: Pollers,
  opts: { takeover: boolean; adapters?: FakeAdapters; startOffset?: number; lastVerdict?: VerdictRecord | null },
): Promise<Serving> {
  const adapters = opts.adapters ?? new FakeAdapters(world, pid, opts.startOffset ?? 0, pollers);
  let takenBack: string | null = null;
  const blue = await startBlue({
    socketPath: SOCK,
    home: HOME,
    release: 'r2',
    runtime: 'claw',
    store: { path: `${HOME}/store/transcript.log`, schema: 1 },
    adapters,
    takeover: opts.takeover,
    lastVerdict: opts.lastVerdict === undefined ? world.verdict(HOME, ID) : opts.lastVerdict,
    onComplete: () => {},
    // The process exits once it handed its cursors back.
    onTakenBack: (reason) => {
      takenBack = reason;
      world.crash(pid);
    },
    os: world.os(pid),
  });
  return { pid, blue, adapters, takenBack: () => takenBack };
}

/** A promotion with an observation window of `observeMs`: green serves on the socket, the old blue (pid 100) observes it. */
export async function promotedWithWindow(observeMs: number, thresholds: Record<string, number> = WINDOW_THRESHOLDS): Promise<Window> {
  const world = new FakeWorld();
  const pollers = new Pollers();
  let left = false;
  const blueAdapters = new FakeAdapters(world, BLUE, 100, pollers);
  // The old blue's process exits when the window ends without a take-back.
  const w = await blueWorld(
    {
      adapters: blueAdapters,
      onComplete: () => {
        left = true;
        world.crash(BLUE);
      },
    },
    world,
  );
  const o = await observer(w);
  await reserve(o, { observe_ms: observeMs, observe_thresholds: thresholds, deadlines: WINDOW_DEADLINES });
  world.spawn(GREEN);
  const gos = world.os(GREEN);
  const greenAdapters = new FakeAdapters(world, GREEN, 0, pollers);
  let result: GreenResult | null = null;
  void runGreen({ socketPath: SOCK, home: HOME, handoffId: ID, release: 'r2', runtime: 'claw', storeSchema: 1, adapters: greenAdapters, init: () => sleep(gos, 1_500), bluePid: BLUE, os: gos }).then(
    (r) => (result = r),
  );
  await world.until(() => result !== null, 30_000, "green's result");
  const r = result as GreenResult | null;
  assert.ok(r && r.kind === 'serving', `green serves: ${JSON.stringify(r)}`);
  const green = await serveAs(world, GREEN, pollers, { takeover: true, adapters: greenAdapters });
  r.confirm();
  await world.until(() => w.blue.standby()?.phase === 'observing', 10_000, 'the standby attached');
  const promotedAt = world.verdict(HOME, ID)!.decided_at;
  return { w, world, pollers, o, green, blueLeft: () => left, promotedAt };
}

/** The restart rule as a supervisor's restart of green runs it (pid `pid`): serves again only while the verdict is still promoted. */
export async function restartGreen(x: Window, pid: number): Promise<Serving | null> {
  x.world.spawn(pid);
  const role = startupRole(x.world.os(pid), HOME, ID);
  if (role.role !== 'restarted') {
    x.world.crash(pid); // exits 0 at once
    return null;
  }
  let s: Serving;
  try {
    // Its store's position: where the green before it got to.
    s = await serveAs(x.world, pid, x.pollers, { takeover: false, startOffset: x.green.adapters.offset });
  } catch {
    x.world.crash(pid); // something live listens: exits 0 without serving
    return null;
  }
  // Bound: the verdict is read once more before polling; a take-back decided meanwhile wins.
  if (!stillPromoted(x.world.os(pid), HOME, ID)) {
    await s.blue.close();
    x.world.crash(pid);
    return null;
  }
  await s.adapters.start(null);
  return s;
}

/** The offset of the telegram cursor in `c`. */
export const offsetOf = (c: Cursors | null | undefined): number | null => (c?.telegram?.kind === 'telegram' ? c.telegram.offset : null);
