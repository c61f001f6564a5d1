// The reference gateway: a small stand-in for Hermes that speaks the handoff protocol.
// Blue when started plainly; green when HERMES_HANDOFF_ID is set (started for a handoff).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBlue, type BlueHandle } from '../../src/peer/blue.ts';
import { runGreen } from '../../src/peer/green.ts';
import { readVerdict, writeFileAtomic } from '../../src/peer/files.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { peerEnv } from '../../src/peer/env.ts';
import { realOs } from '../../src/peer/os.ts';
import { startupRole, stillPromoted } from '../../src/peer/role.ts';
import type { VerdictRecord } from '../../src/protocol/frames.ts';
import { adapterSet } from './adapter-set.ts';
import type { Agent } from './agent.ts';
import { parseGatewayArgs, USAGE, type GatewayConfig } from './config.ts';
import { createDiscordAdapter } from './discord-adapter.ts';
import { afterPromotion, blueOnPhase, greenHooks, lateResume, replyGate } from './faults.ts';
import type { PlatformAdapter } from './platform-adapter.ts';
import { openStore, STORE_SCHEMA, type TranscriptStore } from './store.ts';
import { createTelegramAdapter } from './telegram-adapter.ts';
import { releasableStore, withStandbyRelease } from './standby-release.ts';

/** Runs the reference gateway until it is replaced, rolled back or stopped; resolves with its exit code. */
export async function runExampleGateway(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The peer roles wait on timers that never keep a process alive (src/peer/os.ts): a green retrying
  // to reach a blue that just died would otherwise exit 0 mid-handoff once nothing else is pending.
  // A gateway runs until it is replaced, rolled back or stopped.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    return await runGateway(argv, env);
  } finally {
    clearInterval(keepAlive);
  }
}

async function runGateway(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const bad = (m: string) => (process.stderr.write(`example-gateway: ${m}\nusage: ${USAGE}\n`), 2);
  const cfg = parseGatewayArgs(argv, env);
  if ('error' in cfg) return bad(cfg.error);
  const { home, initMs, fault, blueFault } = cfg;
  let pe;
  try {
    pe = peerEnv({ ...env, HERMES_HOME: home, HERMES_HANDOFF_SOCKET: env.HERMES_HANDOFF_SOCKET || env.HERMES_SOCKET });
  } catch (e) {
    return bad((e as Error).message);
  }
  const handoffId = pe.handoffId;
  // What this process reports is what its own environment says it runs (protocol.md section 8.1).
  const runtime = pe.runtime ?? 'legacy';
  const release = pe.release ?? 'dev';
  const socketPath = pe.socketPath ?? join(home, 'run', 'handoff.sock');
  const role = handoffId ? 'green' : 'blue';
  const log = (m: string) => process.stderr.write(`${new Date().toISOString()} [gateway ${role} pid ${process.pid} ${runtime}@${release}] ${m}\n`);

  for (const d of ['run', 'logs', 'store']) mkdirSync(join(home, d), { recursive: true, mode: 0o700 });
  const pidFile = join(home, 'gateway.pid');
  const replies = replyGate();
  // Releasable: a blue that stands by after a promotion closes it, and opens it again if it takes back.
  const storeHandle = releasableStore(() => openStore(home));
  const store = replies.wrap(storeHandle);
  const errors = { on: false };
  const agent: Agent = async (m) => {
    await replies.begin(m.adapter, m.id);
    return errors.on ? { text: 'Sorry, something went wrong.', error: true } : { text: `echo: ${m.text}`, error: false };
  };
  const adapters = adapterSet(cfg.adapters.map((a) => buildAdapter(cfg, a, store, agent, role === 'green' && fault === 'late-resume', log)));
  const initialise = () => new Promise<void>((r) => setTimeout(r, initMs));

  let blue: BlueHandle | null = null;
  let finished: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (finished = r));
  const serve = async (lastVerdict: VerdictRecord | null, takeover: boolean) => {
    // A takeover owns the socket by definition; a restart learns only from binding whether it serves.
    if (takeover) writeFileAtomic(pidFile, `${process.pid}\n`, 0o644);
    blue = await startBlue({
      socketPath,
      home,
      release,
      runtime,
      store: { path: store.path, schema: STORE_SCHEMA },
      adapters: withStandbyRelease(adapters, storeHandle),
      takeover,
      lastVerdict,
      log,
      onPhase: blueOnPhase(blueFault),
      // Green may have written gateway.pid before it died: this process serves again.
      onReclaim: () => writeFileAtomic(pidFile, `${process.pid}\n`, 0o644),
      onComplete: () => {
        log('handoff complete: green serves; exiting');
        store.close();
        finished(0);
      },
      // This process's standby took its promotion back: it handed its cursors back and stopped.
      onTakenBack: (reason) => {
        log(`the standby took the promotion back (${reason}); exiting`);
        store.close();
        finished(0);
      },
    });
    if (!takeover) writeFileAtomic(pidFile, `${process.pid}\n`, 0o644);
  };

  // A graceful stop: finish in-flight work, stop polling, close the socket.
  const stop = async (sig: string) => {
    log(`${sig}: stopping`);
    await adapters.pause(5_000).catch(() => undefined);
    await (blue as BlueHandle | null)?.close();
    await adapters.close();
    store.close();
    finished(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  if (role === 'blue') {
    if (await socketAnswers(socketPath)) {
      log(`another gateway already listens on ${socketPath}; refusing to start a second blue`);
      return 1;
    }
    await initialise();
    await adapters.start(null);
    await serve(null, true);
    log(`serving (init ${initMs} ms)`);
    return exited;
  }

  if (fault === 'exit-at-start') {
    log('fault exit-at-start: exiting before connecting');
    return 1;
  }
  const bluePid = readPid(pidFile);
  // The restart rule (protocol.md section 8.3): a handoff that already has a verdict decides what this process is.
  const started = startupRole(realOs, home, handoffId);
  if (started.role === 'exit') {
    log(started.reason);
    store.close();
    return 0;
  }
  if (started.role === 'restarted') {
    log(`handoff ${handoffId} promoted this release: serving again after a restart`);
    await initialise();
    try {
      await serve(started.verdict, false);
    } catch (e) {
      log(`${(e as Error).message}; not serving`);
      store.close();
      return 0;
    }
    // The standby may have taken the promotion back while this process started: it polls only if not.
    if (!stillPromoted(realOs, home, handoffId!)) {
      log(`handoff ${handoffId} is no longer promoted; not serving`);
      await (blue as BlueHandle | null)?.close();
      store.close();
      return 0;
    }
    await adapters.start(null);
    return exited;
  }
  const result = await runGreen({
    socketPath,
    home,
    handoffId: handoffId!,
    release,
    runtime,
    storeSchema: STORE_SCHEMA,
    adapters,
    init: initialise,
    bluePid,
    hooks: greenHooks(fault, errors, replies),
    log,
  });
  if (result.kind === 'stopped') {
    log(`handoff ended ${result.verdict}: ${result.reason}; exiting`);
    store.close();
    // A handoff that blue has ended is not a failure to restart for: only an unexplained one is.
    return result.verdict === 'rolled-back' || readVerdict(home, handoffId!) ? 0 : 1;
  }
  log(`promoted (${result.how}): ${result.verdict.reason}`);
  await serve(result.verdict, true);
  result.confirm();
  afterPromotion(fault, errors, replies)?.();
  return exited;
}

function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** One adapter of the config, on this process's store and agent; green's late-resume fault delays its Discord resumes. */
function buildAdapter(cfg: GatewayConfig, a: GatewayConfig['adapters'][number], store: TranscriptStore, agent: Agent, late: boolean, log: (m: string) => void): PlatformAdapter {
  const common = { name: a.name, store, agent, order: cfg.handover, concurrency: cfg.concurrency, log, ...(a.token ? { token: a.token } : {}) };
  if (a.kind === 'telegram') return createTelegramAdapter({ ...common, apiRoot: a.url, pollTimeoutS: cfg.pollTimeoutS });
  const d = createDiscordAdapter({ ...common, apiRoot: a.url, requestsPerSecond: cfg.restRps });
  return late ? lateResume(d, log) : d;
}
