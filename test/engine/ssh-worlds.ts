// The engine over a real sshd in two set-ups: a plain shell key, and the documented forced-command host agent
// (docs/host-setup.md verbatim, test/ssh/documented.ts). Tests run the same cases through both.
import { readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { connectSsh, type SshHost } from '../../src/host/ssh/connect.ts';
import type { EngineParams } from '../../src/core/params.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import type { EngineIo } from '../../src/handoff/params.ts';
import type { SshOptionsInput } from '../../src/host/ssh/options.ts';
import { sshWorld, type SshWorld, type SshWorldOptions } from '../support/ssh-world.ts';
import { agentWorld } from '../ssh/documented.ts';
import { optionsFor } from '../ssh/fixtures.ts';

/** How the engine reaches the host. */
export type Via = 'plain' | 'agent';

/** A world and how to connect to it. */
export interface EngineWorld {
  via: Via;
  w: SshWorld;
  /** The host agent's config file (agent worlds only). */
  agentConfig: string | null;
  /** Connects with the deploy key (or, `readOnly`, the agent's read-only key); closed after the test. */
  connect(t: TestContext, logs?: string[], readOnly?: boolean): Promise<SshHost>;
  /** The engine's parameters for a promotion of a green with `fault` (the reference gateway's --fault). */
  params(over?: Partial<EngineParams>, fault?: string): EngineParams;
}

/** What the options say about the world: `relay` makes the SSH server refuse the direct socket channel. */
export interface EngineWorldOptions {
  relay?: boolean;
  rate?: number;
  /** Settings for every promotion of this world (bake, thresholds, deadlines). */
  base?: Partial<EngineParams>;
  /** More environment for blue (e.g. HERMES_BLUE_FAULT). */
  blueEnv?: SshWorldOptions['blueEnv'];
}

const RECONNECT = { attempts: 8, baseDelayMs: 100, maxDelayMs: 1_000 };

/** A world reached `via` plain argv or the agent; null when sshd is missing (the test is skipped). */
export async function engineWorld(t: TestContext, via: Via, o: EngineWorldOptions = {}): Promise<EngineWorld | null> {
  const base = (w: SshWorld, over: Partial<EngineParams>, fault: string): EngineParams => ({
    mode: 'promote',
    targetName: 'staging',
    hermesHome: w.home,
    socketPath: null,
    greenCommand: via === 'plain' ? w.greenCommand(fault) : 'not sent: the agent runs its own config',
    workdir: null,
    runtime: 'claw',
    release: 'r2',
    // Through the agent green's command is the host's; the reference gateway also takes its fault from the environment.
    greenEnv: via === 'agent' ? { HERMES_HANDOFF_FAULT: fault } : {},
    prepareCommand: null,
    launcher: 'process',
    systemdUnit: 'hermes-green@',
    bakeMs: 1_000,
    timeoutMs: 60_000,
    thresholds: { max_heartbeat_age_ms: 1_000 },
    // The grace bounds blue's drain (core/budget.ts drainFor): 3 s, so a loaded runner's drain of both platforms fits.
    deadlines: { rollback_grace_ms: 3_000, ack_ms: 20_000 },
    ...o.base,
    ...over,
  });
  const connect = async (t2: TestContext, opts: SshOptionsInput, logs: string[]): Promise<SshHost> => {
    const host = await connectSsh(opts, { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) });
    t2.after(() => host.close());
    return host;
  };
  if (via === 'plain') {
    const w = await sshWorld(t, { rate: o.rate, blueEnv: o.blueEnv, ...(o.relay ? { sshd: { allowStreamLocal: false } } : {}) });
    if (!w) return null;
    return {
      via,
      w,
      agentConfig: null,
      connect: (t2, logs = []) => connect(t2, { ...optionsFor(w.sshd), reconnect: RECONNECT }, logs),
      params: (over = {}, fault = 'none') => base(w, over, fault),
    };
  }
  // The documented world's platform runs at sshWorld's default rate, and its blue has no fault.
  if (o.blueEnv || (o.rate !== undefined && o.rate !== 100)) throw new Error('agent worlds run blue without faults at 100 messages a second');
  const a = await agentWorld(t, { keys: o.relay ? 'restrict-only' : 'documented' });
  if (!a) return null;
  return {
    via,
    w: a.w,
    agentConfig: a.configPath,
    connect: (t2, logs = [], readOnly = false) => connect(t2, readOnly ? a.readOnly({ reconnect: RECONNECT }) : a.full({ reconnect: RECONNECT }), logs),
    params: (over = {}, fault = 'none') => base(a.w, over, fault),
  };
}

/** The engine's io for `host`: its agent as the session passes it, a log into `logs`. */
export function ioFor(host: SshHost, logs: string[] = [], extra: Partial<EngineIo> = {}): EngineIo {
  return { host, agent: host.agent, log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) }, ...extra };
}

/** Records every pid an outcome names, so the world stops them after the test. */
export function track(w: SshWorld, o: Outcome): void {
  for (const pid of [o.green_pid, o.launcher_pid]) if (pid) w.pids.add(pid);
  const s = w.serving();
  if (s) w.pids.add(s);
}

/** Live (not zombie) processes whose environment carries HERMES_HANDOFF_ID=<id>: what was started for that handoff. */
export function startedFor(id: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`HERMES_HANDOFF_ID=${id}`)) out.push(Number(name));
    } catch {
      // gone, or another user's
    }
  }
  return out;
}

/** Waits (up to `ms`) until nothing started for handoff `id` runs; resolves with what still runs then. */
export async function leftRunning(id: string, ms = 10_000): Promise<number[]> {
  const by = Date.now() + ms;
  for (;;) {
    const left = startedFor(id);
    if (left.length === 0 || Date.now() > by) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
