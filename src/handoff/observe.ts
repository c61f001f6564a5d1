import type { VerdictRecord } from '../protocol/frames.ts';
import { ObserverClient } from '../peer/observer.ts';
import type { Host } from '../host/host.ts';
import { HostKeyMismatchError } from '../host/host.ts';
import { errorMessage } from '../core/errors.ts';
import type { EngineClock } from './params.ts';

/** Opens an observer connection to blue over the host (HELLO with the token); its request deadlines run on `clock`. */
export async function openObserver(host: Host, socket: string, token: string, clock: EngineClock, timeoutMs = 10_000): Promise<ObserverClient> {
  const stream = await host.openSocket(socket, timeoutMs);
  return ObserverClient.open(stream, token, timeoutMs, 'hermes-handoff', { pid: process.pid, after: clock.after });
}

/** True when `e` is a failure no retry can fix: the host's key matches no pin (issue 9 item 8). */
export function isFatalHostError(e: unknown): e is HostKeyMismatchError {
  return e instanceof HostKeyMismatchError;
}

/**
 * After a promoted verdict: waits until the handoff socket answers from green (its pid, the
 * promoted release), proving green took the socket over. Resolves null when it does, else why not.
 */
export async function confirmTakeover(host: Host, socket: string, token: string, record: VerdictRecord, clock: EngineClock, timeoutMs: number): Promise<string | null> {
  const end = clock.now() + timeoutMs;
  let last = 'no answer';
  while (clock.now() < end) {
    try {
      const obs = await openObserver(host, socket, token, clock, Math.max(1_000, Math.min(5_000, end - clock.now())));
      try {
        const st = await obs.status(5_000);
        if (st.server_pid === record.green_pid && st.release === record.release) return null;
        last = `the socket answers from pid ${st.server_pid} (release ${st.release})`;
      } finally {
        obs.close();
      }
    } catch (e) {
      if (isFatalHostError(e)) throw e;
      last = errorMessage(e);
    }
    await clock.sleep(Math.min(100, end - clock.now()));
  }
  return `green (pid ${record.green_pid}) did not take over the handoff socket within ${Math.round(timeoutMs / 1000)} s: ${last}`;
}
