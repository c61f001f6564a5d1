// A host reached over a real sshd on loopback, running the reference gateway as blue, with the fake
// platform producing messages: the world the action's SSH tests promote in.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startFakePlatform, type FakePlatform, type FakePlatformOptions, type PlatformStats } from '../../examples/gateway/platform/server.ts';
import { readPidFile, stopAll } from '../../examples/demo/processes.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { realOs } from '../../src/peer/os.ts';
import { requireSshd, startSshd, type Sshd, type SshdOptions } from './sshd.ts';
import { builtDist } from './action-runner.ts';

export interface SshWorldOptions {
  /** The sshd's options, or a function of the world's directory and HERMES_HOME (for paths in its config). */
  sshd?: SshdOptions | ((w: { dir: string; home: string }) => SshdOptions);
  rate?: number;
  homeName?: string;
  /** More environment for blue (e.g. HERMES_BLUE_FAULT). */
  blueEnv?: Record<string, string>;
  /** More options for the fake platform (it serves Telegram and Discord). */
  platform?: Partial<FakePlatformOptions>;
  /** More flags for every gateway of the world, blue and green (e.g. --handover). */
  gatewayArgs?: string[];
}

export interface SshWorld {
  /** The sshd now serving (replaced by restartSshd, on the same port and keys). */
  sshd: Sshd;
  platform: FakePlatform;
  home: string;
  dir: string;
  blue: ChildProcess;
  /** Every gateway pid seen; all are stopped at the end of the test. */
  pids: Set<number>;
  /** The command line that starts a green of the reference gateway with `fault`. */
  greenCommand(fault?: string): string;
  /** The argv of the reference gateway against this world's platform and home, with `extra` flags. */
  gatewayArgv(extra?: string[]): string[];
  /** Stops production, waits until everything produced is answered, and returns the platform's figures. */
  settle(): Promise<PlatformStats>;
  /** The pid in gateway.pid (the process serving now). */
  serving(): number | null;
  /** Live (not zombie) reference-gateway processes of this home, from /proc: blue and every green. */
  alive(): number[];
  /** Stops sshd (its sessions too), waits `downMs`, and starts it again on the same port with the same keys; resolves with when it went down and came back (epoch ms). */
  restartSshd(downMs?: number): Promise<{ downAt: number; upAt: number }>;
}

/** Starts sshd, the platform and a blue gateway; everything is stopped and removed after the test. Null when sshd is missing outside CI. */
export async function sshWorld(t: TestContext, opts: SshWorldOptions = {}): Promise<SshWorld | null> {
  if (!requireSshd(t)) return null;
  const dist = builtDist();
  const dir = mkdtempSync(join(tmpdir(), 'hh-world-'));
  const home = join(dir, opts.homeName ?? 'home');
  // Keys live in the world's dir, so a restarted sshd offers the same host key.
  const given = typeof opts.sshd === 'function' ? opts.sshd({ dir, home }) : opts.sshd;
  const sshdOpts: SshdOptions = { hostKeyDir: join(dir, 'sshd-keys'), ...given };
  const sshd = await startSshd(sshdOpts);
  // 50 messages a second on each platform: 100 in all, as when this world served Telegram alone.
  const platform = await startFakePlatform({ port: 0, kinds: ['telegram', 'discord'], rate: opts.rate ?? 50, graceMs: 300, ...opts.platform });
  // Both adapters: Telegram at the platform's root, Discord's REST under /api (at the fake's rate, not Discord's 50/s).
  const platforms = ['--platform', `telegram=${platform.url}`, '--platform', `discord=${platform.url}/api`, '--rest-rps', '1000'];
  const gw = (extra: string[]) => [process.execPath, join(dist, 'cli.js'), 'example-gateway', '--home', home, ...platforms, '--init-ms', '50', '--poll-timeout', '5', ...(opts.gatewayArgs ?? []), ...extra];
  const fd = openSync(join(dir, 'blue.log'), 'a');
  const blue = spawn(gw([])[0]!, gw([]).slice(1), { env: { ...process.env, HERMES_RELEASE: 'r1', HERMES_RUNTIME: 'legacy', HERMES_HANDOFF_ID: '', ...opts.blueEnv }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const w: SshWorld = {
    sshd,
    platform,
    home,
    dir,
    blue,
    pids: new Set([blue.pid!]),
    greenCommand: (fault = 'none') => shellJoin(gw(['--fault', fault])),
    gatewayArgv: (extra = []) => gw(extra),
    serving: () => readPidFile(join(home, 'gateway.pid')),
    alive: () => gatewaysOf(home),
    async restartSshd(downMs = 0) {
      const port = w.sshd.port;
      const downAt = Date.now();
      await w.sshd.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      w.sshd = await startSshd({ ...sshdOpts, port });
      return { downAt, upAt: Date.now() };
    },
    async settle() {
      platform.setRate(0);
      const end = Date.now() + 10_000;
      while (platform.stats().pending > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      return platform.stats();
    },
  };
  t.after(async () => {
    const s = w.serving();
    if (s) w.pids.add(s);
    for (const p of gatewaysOf(home)) w.pids.add(p);
    await stopAll(w.pids);
    await platform.close();
    await w.sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const end = Date.now() + 20_000;
  while (!(await socketAnswers(join(home, 'run', 'handoff.sock')))) {
    if (Date.now() > end) throw new Error(`blue did not start: ${readFileSync(join(dir, 'blue.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The window starts once blue answers on both platforms: Discord keeps nothing for a bot with no
  // session, so what it sent before blue identified would count as lost.
  const replied = (k: 'telegram' | 'discord') => platform.stats().platforms[k]?.replied ?? 0;
  while (platform.stats().rate > 0 && (replied('telegram') === 0 || replied('discord') === 0)) {
    if (Date.now() > end) throw new Error(`blue did not answer on both platforms: ${JSON.stringify(platform.stats())}\n${readFileSync(join(dir, 'blue.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  platform.resetStats();
  return w;
}

/** Live reference-gateway processes started with `--home home` (argv read from /proc). */
function gatewaysOf(home: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    const i = argv.indexOf('--home');
    if (argv.includes('example-gateway') && i >= 0 && argv[i + 1] === home && realOs.isAlive(Number(name))) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}
