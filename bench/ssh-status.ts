// The same question two ways: STATUS over the one open SSH connection (a stream-local channel to the
// gateway's socket), and a fresh OpenSSH `ssh` per poll, as SSH actions that open a connection per command do.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectSsh } from '../src/host/ssh/connect.ts';
import { link } from '../src/handoff/attach.ts';
import { openObserver } from '../src/handoff/observe.ts';
import type { EngineParams } from '../src/core/params.ts';
import type { Sshd } from '../test/support/sshd.ts';

/** SSH options for the harness sshd, pinned by its known_hosts line. */
export function sshOptionsFor(s: Sshd) {
  return {
    host: '127.0.0.1',
    port: s.port,
    username: s.username,
    privateKey: s.clientKey,
    pins: { knownHosts: [s.knownHostsLine], fingerprints: [] },
    readyTimeoutMs: 10_000,
  };
}

/** What a status run asks of the engine for the gateway at `home`. */
function statusParams(home: string): EngineParams {
  return {
    mode: 'status', targetName: 'bench', hermesHome: home, socketPath: null, greenCommand: null, workdir: null, runtime: 'claw', release: '',
    greenEnv: {}, prepareCommand: null, launcher: 'process', systemdUnit: 'hermes-green@', bakeMs: 0, timeoutMs: 60_000, thresholds: {}, deadlines: {},
  };
}

/** STATUS round trips (ms) over one SSH connection to the gateway at `home`, after `warmup` unmeasured ones; rejects if more than one connection was needed. */
export async function measureStatusRtt(s: Sshd, home: string, n: number, warmup = 20): Promise<number[]> {
  const host = await connectSsh(sshOptionsFor(s), { info: () => {}, warn: () => {} });
  try {
    const l = await link(statusParams(home), { host, log: { info: () => {}, warn: () => {} } });
    const obs = await openObserver(host, l.paths.socket, l.token ?? '', l.clock);
    try {
      const rtts: number[] = [];
      for (let i = 0; i < warmup + n; i++) {
        const t0 = performance.now();
        const state = await obs.status(5_000);
        const dt = performance.now() - t0;
        if (state.type !== 'STATE') throw new Error(`STATUS answered ${state.type}, expected STATE`);
        if (i >= warmup) rtts.push(dt);
      }
      if (host.connectionsOpened !== 1) throw new Error(`STATUS loop used ${host.connectionsOpened} SSH connections, expected 1`);
      return rtts;
    } finally {
      obs.close();
    }
  } finally {
    await host.close();
  }
}

/** Wall times (ms) of `n` fresh `ssh ... cat <file>` runs against the harness sshd (strict host key, batch mode); rejects when one fails. */
export async function measureSshPerPoll(s: Sshd, file: string, n: number, scratch: string): Promise<number[]> {
  const knownHosts = join(scratch, 'known_hosts');
  writeFileSync(knownHosts, `${s.knownHostsLine}\n`, { mode: 0o600 });
  const argv = [
    '-F', '/dev/null',
    '-i', s.clientKeyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    '-p', String(s.port),
    `${s.username}@127.0.0.1`,
    'cat', '--', file,
  ];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn('ssh', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
      child.once('error', reject);
      child.once('close', (c) => resolve({ code: c, stderr: err }));
    });
    const dt = performance.now() - t0;
    if (code !== 0) throw new Error(`ssh ... cat ${file} exited ${code}: ${stderr.trim().slice(0, 300)}`);
    times.push(dt);
  }
  return times;
}
