// Who serves after a fault: the one live gateway of the home, named in gateway.pid, answering on
// the handoff socket, and the only one polling the platform.
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { readToken } from '../../src/peer/files.ts';
import { ObserverClient, type StateFrame } from '../../src/peer/observer.ts';
import type { SshWorld } from '../support/ssh-world.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the host looked like when asked who serves. */
export interface Serving {
  /** Live gateway processes of the home. */
  alive: number[];
  pidFile: number | null;
  /** The pid the socket's listener names in WELCOME (null: nothing answers). */
  socketPid: number | null;
  /** "blue", "green", or a description of what was seen instead (nobody, two processes, disagreeing pids). */
  label: string;
}

/** An observer on the home's handoff socket, reached locally (the test runs on the host). */
export async function localObserver(w: SshWorld, timeoutMs = 5_000): Promise<ObserverClient> {
  const path = join(w.home, 'run', 'handoff.sock');
  const token = readToken(path);
  if (!token) throw new Error(`no token beside ${path}`);
  const stream = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
  return ObserverClient.open(stream, token, timeoutMs, 'fault-matrix');
}

/** The STATE the home's socket answers with, or null when nothing answers. */
export async function localState(w: SshWorld): Promise<StateFrame | null> {
  try {
    const o = await localObserver(w, 2_000);
    try {
      return await o.status(2_000);
    } finally {
      o.close();
    }
  } catch {
    return null;
  }
}

/**
 * Waits (up to `timeoutMs`) until exactly one gateway is alive, gateway.pid names it and the socket
 * answers from it; labels it blue or green. Returns what was seen last, labelled, for the assertion.
 */
export async function whoServes(w: SshWorld, greenPid: number | null, timeoutMs = 8_000): Promise<Serving> {
  const by = Date.now() + timeoutMs;
  for (;;) {
    const alive = w.alive();
    for (const p of alive) w.pids.add(p);
    const pidFile = w.serving();
    const socketPid = (await localState(w))?.server_pid ?? null;
    const one = alive.length === 1 && pidFile === alive[0] && socketPid === alive[0] ? alive[0]! : null;
    if (one !== null || Date.now() > by) {
      let label: string;
      if (one === w.blue.pid) label = 'blue';
      else if (one !== null && (greenPid === null || one === greenPid)) label = 'green';
      else if (alive.length === 0) label = 'nobody';
      else label = `unclear: alive ${alive.join(',') || '-'}, gateway.pid ${pidFile}, socket ${socketPid}`;
      return { alive, pidFile, socketPid, label };
    }
    await sleep(50);
  }
}

/** What a short burst of messages showed about who polls. */
export interface PollProbe {
  /** Distinct pollers seen while the burst was answered. */
  pollers: number;
  conflicts: number;
  answered: number;
  sent: number;
}

/** Starts a new stats window, sends `n` messages and waits until they are answered: only the serving gateway may poll. */
export async function probePolling(w: SshWorld, n = 20, timeoutMs = 8_000): Promise<PollProbe> {
  w.platform.setRate(0);
  w.platform.resetStats();
  w.platform.produce(n);
  const by = Date.now() + timeoutMs;
  while (w.platform.stats().replied < n && Date.now() < by) await sleep(20);
  // Give a second poller, if there were one, the time of a few polls to show itself.
  await sleep(300);
  const s = w.platform.stats();
  return { pollers: s.pollers, conflicts: s.conflicts, answered: s.replied, sent: n };
}
