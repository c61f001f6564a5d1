import type { VerdictRecord } from '../protocol/frames.ts';
import { VerdictRecord as VerdictRecordSchema } from '../protocol/frames.ts';
import { verdictPath } from '../peer/files.ts';
import { ObserverClient } from '../peer/observer.ts';
import type { Host } from '../host/host.ts';
import type { HostPaths } from './paths.ts';

/** Reads the socket token on the host (the value is a secret: the caller masks it). */
export async function readHostToken(host: Host, paths: HostPaths): Promise<string> {
  const r = await host.exec(['cat', '--', paths.token], { timeoutMs: 15_000 });
  const t = r.stdout.trim();
  if (r.code !== 0 || t.length === 0) throw new Error(`cannot read the handoff token ${paths.token}: ${r.stderr.trim() || 'empty'}`);
  return t;
}

/** Opens an observer connection to blue over the host (HELLO with the token). */
export async function openObserver(host: Host, paths: HostPaths, token: string, timeoutMs = 10_000): Promise<ObserverClient> {
  const stream = await host.openSocket(paths.socket, timeoutMs);
  return ObserverClient.open(stream, token, timeoutMs);
}

/** Reads the verdict file of handoff `id` on the host, or null when there is none (yet). */
export async function readHostVerdict(host: Host, paths: HostPaths, id: string): Promise<VerdictRecord | null> {
  const r = await host.exec(['cat', '--', verdictPath(paths.home, id)], { timeoutMs: 15_000 });
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
