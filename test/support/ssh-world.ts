// A host reached over a real sshd on loopback, running the reference gateway as blue, with the fake
// platform producing messages: the world the action's SSH tests promote in.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startFakePlatform, type FakePlatform, type PlatformStats } from '../../examples/gateway/platform/server.ts';
import { readPidFile, stopAll } from '../../src/demo/processes.ts';
import { shellJoin } from '../../src/host/quote.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { requireSshd, startSshd, type Sshd, type SshdOptions } from './sshd.ts';
import { builtDist } from './action-runner.ts';

export interface SshWorld {
  sshd: Sshd;
  platform: FakePlatform;
  home: string;
  dir: string;
  blue: ChildProcess;
  /** Every gateway pid seen; all are stopped at the end of the test. */
  pids: Set<number>;
  /** The command line that starts a green of the reference gateway with `fault`. */
  greenCommand(fault?: string): string;
  /** Stops production, waits until everything produced is answered, and returns the platform's figures. */
  settle(): Promise<PlatformStats>;
  /** The pid in gateway.pid (the process serving now). */
  serving(): number | null;
}

/** Starts sshd, the platform and a blue gateway; everything is stopped and removed after the test. Null when sshd is missing outside CI. */
export async function sshWorld(t: TestContext, opts: { sshd?: SshdOptions; rate?: number; homeName?: string } = {}): Promise<SshWorld | null> {
  if (!requireSshd(t)) return null;
  const dist = builtDist();
  const dir = mkdtempSync(join(tmpdir(), 'hh-world-'));
  const home = join(dir, opts.homeName ?? 'home');
  const sshd = await startSshd(opts.sshd);
  const platform = await startFakePlatform({ port: 0, rate: opts.rate ?? 100, graceMs: 300 });
  const gw = (extra: string[]) => [process.execPath, join(dist, 'cli.js'), 'example-gateway', '--home', home, '--platform', platform.url, '--init-ms', '50', '--poll-timeout', '5', ...extra];
  const fd = openSync(join(dir, 'blue.log'), 'a');
  const blue = spawn(gw([])[0]!, gw([]).slice(1), { env: { ...process.env, HERMES_RELEASE: 'r1', HERMES_RUNTIME: 'legacy', HERMES_HANDOFF_ID: '' }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const w: SshWorld = {
    sshd,
    platform,
    home,
    dir,
    blue,
    pids: new Set([blue.pid!]),
    greenCommand: (fault = 'none') => shellJoin(gw(['--fault', fault])),
    serving: () => readPidFile(join(home, 'gateway.pid')),
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
    await stopAll(w.pids);
    await platform.close();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const end = Date.now() + 20_000;
  while (!(await socketAnswers(join(home, 'run', 'handoff.sock')))) {
    if (Date.now() > end) throw new Error(`blue did not start: ${readFileSync(join(dir, 'blue.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return w;
}
