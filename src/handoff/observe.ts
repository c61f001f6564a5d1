import type { VerdictRecord } from '../protocol/frames.ts';
import { VerdictRecord as VerdictRecordSchema } from '../protocol/frames.ts';
import { verdictFile } from '../core/layout.ts';
import { ObserverClient } from '../peer/observer.ts';
import type { Host } from '../host/host.ts';
import type { HostPaths } from './paths.ts';
import { errorMessage } from '../core/errors.ts';
import { hostToken } from '../core/token.ts';

/** Reads the socket token on the host (the value is a secret: the caller masks it). */
export async function readHostToken(host: Host, paths: HostPaths): Promise<string> {
  const r = await host.exec(['cat', '--', paths.token], { timeoutMs: 15_000 });
  const t = r.stdout.trim();
  if (r.code !== 0 || t.length === 0) throw new Error(`cannot read the handoff token ${paths.token}: ${r.stderr.trim() || 'empty'}`);
  return hostToken(t, paths.token);
}

/** Opens an observer connection to blue over the host (HELLO with the token). */
export async function openObserver(host: Host, paths: HostPaths, token: string, timeoutMs = 10_000): Promise<ObserverClient> {
  const stream = await host.openSocket(paths.socket, timeoutMs);
  return ObserverClient.open(stream, token, timeoutMs);
}

/** Reads the verdict file of handoff `id` on the host, or null when there is none (yet). */
export async function readHostVerdict(host: Host, paths: HostPaths, id: string): Promise<VerdictRecord | null> {
  const r = await host.exec(['cat', '--', verdictFile(paths, id)], { timeoutMs: 15_000 });
  if (r.code !== 0) return null;
  try {
    const v = VerdictRecordSchema.safeParse(JSON.parse(r.stdout));
    return v.success ? v.data : null;
  } catch {
    return null;
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * After a promoted verdict: waits until the handoff socket answers from green (its pid, the
 * promoted release), proving green took the socket over. Resolves null when it does, else why not.
 */
export async function confirmTakeover(host: Host, paths: HostPaths, token: string, record: VerdictRecord, timeoutMs: number): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < end) {
    try {
      const obs = await openObserver(host, paths, token, Math.max(1_000, Math.min(5_000, end - Date.now())));
      try {
        const st = await obs.status(5_000);
        if (st.server_pid === record.green_pid && st.release === record.release) return null;
        last = `the socket answers from pid ${st.server_pid} (release ${st.release})`;
      } finally {
        obs.close();
      }
    } catch (e) {
      last = errorMessage(e);
    }
    await sleep(100);
  }
  return `green (pid ${record.green_pid}) did not take over the handoff socket within ${Math.round(timeoutMs / 1000)} s: ${last}`;
}
