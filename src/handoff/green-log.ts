import type { Host } from '../host/host.ts';

/** The last `lines` lines of green's log on the host, or null when it cannot be read. */
export async function tailGreenLog(host: Host, path: string, lines = 40): Promise<string | null> {
  const r = await host.exec(['tail', '-n', String(lines), '--', path], { timeoutMs: 10_000 }).catch(() => null);
  return r && r.code === 0 ? r.stdout : null;
}
