// The reference gateway: a small stand-in for Hermes that speaks the handoff protocol.
// Blue when started plainly; green when HERMES_HANDOFF_ID is set (started for a handoff).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBlue, type BlueHandle } from '../../src/peer/blue.ts';
import { runGreen } from '../../src/peer/green.ts';
import { readVerdict, writeFileAtomic } from '../../src/peer/files.ts';
import { socketAnswers } from '../../src/peer/listen.ts';
import { peerEnv } from '../../src/peer/env.ts';
import { realOs } from '../../src/peer/os.ts';
import { startupRole, stillPromoted } from '../../src/peer/role.ts';
import type { VerdictRecord } from '../../src/protocol/frames.ts';
import { openStore, STORE_SCHEMA } from './store.ts';
import { createTelegramAdapter } from './telegram-adapter.ts';
import { BLUE_FAULTS, GREEN_FAULTS, afterPromotion, blueOnPhase, greenHooks, replyGate, type BlueFault, type GreenFault } from './faults.ts';
import { releasableStore, withStandbyRelease } from './standby-release.ts';

/** The reference gateway's command line. */
export const USAGE = 'example-gateway --home DIR --platform URL [--init-ms N] [--fault F] [--poll-timeout S]';

/** Runs the reference gateway until it is replaced, rolled back or stopped; resolves with its exit code. */
export async function runExampleGateway(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        home: { type: 'string' },
        platform: { type: 'string' },
        'init-ms': { type: 'string', default: '3000' },
        fault: { type: 'string' },
        'poll-timeout': { type: 'string', default: '25' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`example-gateway: ${(e as Error).message}\nusage: ${USAGE}\n`);
    return 2;
  }
  const home = args.home ?? env.HERMES_HOME;
  const platform = args.platform;
  const initMs = Number(args['init-ms']);
  const pollTimeout = Number(args['poll-timeout']);
  const bad = (m: string) => (process.stderr.write(`example-gateway: ${m}\nusage: ${USAGE}\n`), 2);
  if (!home) return bad('--home DIR (or HERMES_HOME) is required');
  if (!platform || !/^https?:\/\//.test(platform)) return bad('--platform must be an http(s) URL');
  if (!Number.isInteger(initMs) || initMs < 0) return bad('--init-ms must be a whole number of milliseconds >= 0');
  if (!Number.isFinite(pollTimeout) || pollTimeout < 0 || pollTimeout > 60) return bad('--poll-timeout must be 0-60 seconds');
  const fault = (args.fault ?? env.HERMES_HANDOFF_FAULT ?? 'none') as GreenFault;
  if (!GREEN_FAULTS.includes(fault)) return bad(`--fault must be one of ${GREEN_FAULTS.join(', ')}`);
  const blueFault = (env.HERMES_BLUE_FAULT ?? 'none') as BlueFault;
  if (!BLUE_FAULTS.includes(blueFault)) return bad(`HERMES_BLUE_FAULT must be one of ${BLUE_FAULTS.join(', ')}`);
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
  const adapters = createTelegramAdapter({
    baseUrl: platform,
    store,
    pollTimeoutS: pollTimeout,
    pollerId: `${role}-${process.pid}`,
    log,
    agent: async (u) => {
      replies.begin(u.update_id);
      const text = u.message?.text ?? '';
      return errors.on ? { text: 'Sorry, something went wrong.', error: true } : { text: `echo: ${text}`, error: false };
    },
  });
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
