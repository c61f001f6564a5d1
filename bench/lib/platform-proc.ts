// The fake chat platform as its own process (as the real platform is), driven over its HTTP control API.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PlatformStats } from '../../examples/gateway/platform/schemas.ts';
import type { Procs } from './procs.ts';

/** A running `fake-platform` process. */
export interface PlatformProc {
  url: string;
  pid: number;
  /** GET /stats, validated. */
  stats(): Promise<PlatformStats>;
  /** POST /stats/reset: a new accounting window from now. */
  reset(): Promise<void>;
  /** POST /control/rate: messages per second from now, on both platforms. */
  setRate(rate: number): Promise<void>;
  /** POST /control/produce: `count` messages now, on both platforms. */
  produce(count: number): Promise<void>;
}

/** Starts `node CLI fake-platform` serving Telegram and Discord on a free loopback port (tracked by `procs`, stderr to `logPath`); resolves once it prints its URL. */
export async function startPlatformProc(procs: Procs, cli: string, opts: { rate: number; graceMs: number; logPath: string }): Promise<PlatformProc> {
  const argv = [process.execPath, cli, 'fake-platform', '--port', '0', '--kinds', 'telegram,discord', '--rate', String(opts.rate), '--grace-ms', String(opts.graceMs)];
  const fd = openSync(opts.logPath, 'a', 0o600);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  procs.track(child.pid);
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake-platform printed no URL within 15 s')), 15_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake-platform exited (${code}) before printing its URL (see ${opts.logPath})`));
    });
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`fake-platform printed ${JSON.stringify(url)}, expected http://127.0.0.1:PORT`);
  child.stdout!.resume();

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`POST ${path}: HTTP ${r.status}: ${(await r.text()).slice(0, 200)}`);
    await r.arrayBuffer();
  };
  return {
    url,
    pid: child.pid!,
    async stats() {
      const r = await fetch(`${url}/stats`);
      const body: unknown = await r.json();
      const parsed = PlatformStats.safeParse(body);
      if (!parsed.success) throw new Error(`GET /stats: unexpected body: ${parsed.error.message}`);
      return parsed.data;
    },
    reset: () => post('/stats/reset', {}),
    setRate: (rate) => post('/control/rate', { rate }),
    produce: (count) => post('/control/produce', { count }),
  };
}
