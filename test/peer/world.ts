// Set-ups shared by the in-process tests of blue and green: one fake world, a blue in it, clients.
import { startBlue, type BlueHandle, type BlueOptions } from '../../src/peer/blue.ts';
import type { Frame } from '../../src/protocol/frames.ts';
import { FakeAdapters } from './fake-adapters.ts';
import { FakeWorld } from './fake-os.ts';
import { WireClient } from './wire.ts';

export const HOME = '/srv/hermes';
export const SOCK = `${HOME}/run/handoff.sock`;
export const BLUE = 100;
export const GREEN = 200;
export const OBSERVER = 300;
export const ID = 'h-1';

/** A blue (pid 100) serving in a fresh world, with its adapters polling. */
export interface BlueWorld {
  world: FakeWorld;
  blue: BlueHandle;
  adapters: FakeAdapters;
  token: string;
  /** True once blue called onComplete (it left). */
  completed: () => boolean;
  logs: string[];
}

/** Starts a blue in a new world (or `world`). */
export async function blueWorld(patch: Partial<BlueOptions> = {}, world = new FakeWorld()): Promise<BlueWorld> {
  const adapters = (patch.adapters as FakeAdapters | undefined) ?? new FakeAdapters(world, BLUE);
  await adapters.start(null);
  adapters.calls.length = 0;
  let done = false;
  const logs: string[] = [];
  const blue = await startBlue({
    socketPath: SOCK,
    home: HOME,
    release: 'r1',
    runtime: 'legacy',
    store: { path: `${HOME}/store/transcript.log`, schema: 1 },
    adapters,
    onComplete: () => (done = true),
    os: world.os(BLUE),
    log: (m) => logs.push(m),
    ...patch,
  });
  return { world, blue, adapters, token: blue.token, completed: () => done, logs };
}

/** An observer (pid 300) past HELLO/WELCOME. */
export async function observer(w: { world: FakeWorld; token: string }, pid = OBSERVER): Promise<WireClient> {
  const c = await WireClient.connect(w.world, pid, SOCK);
  c.send({ type: 'HELLO', role: 'observer', token: w.token, pid, client: 'test' });
  await c.take('WELCOME');
  return c;
}

/** RESERVE with short deadlines (bake 3 s, heartbeat 1 s); resolves with RESERVED. */
export async function reserve(o: WireClient, patch: Record<string, unknown> = {}): Promise<Extract<Frame, { type: 'RESERVED' }>> {
  o.send({
    type: 'RESERVE',
    handoff_id: ID,
    release: 'r2',
    runtime: 'claw',
    bake_ms: 3_000,
    deadlines: { heartbeat_ms: 1_000, ack_ms: 20_000, drain_ms: 3_000, confirm_ms: 4_000, rollback_grace_ms: 5_000, takeover_ms: 4_000 },
    ...patch,
  } as never);
  return o.take('RESERVED');
}

/** A green played by the test (pid 200, alive in the world), past HELLO and HANDOFF_INIT. */
export async function rawGreen(w: { world: FakeWorld; token: string }, pid = GREEN): Promise<{ g: WireClient; init: Extract<Frame, { type: 'HANDOFF_INIT' }> }> {
  if (!w.world.isAlive(pid)) w.world.spawn(pid);
  const g = await WireClient.connect(w.world, pid, SOCK);
  g.send({ type: 'HELLO', role: 'green', token: w.token, pid, handoff_id: ID, client: 'test-green' });
  const init = await g.take('HANDOFF_INIT');
  return { g, init };
}
