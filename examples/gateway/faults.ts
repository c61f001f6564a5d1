import type { GreenHooks } from '../../src/peer/green.ts';
import type { Phase } from '../../src/protocol/frames.ts';
import type { MessageId, TranscriptStore } from './store.ts';
import type { PlatformAdapter } from './platform-adapter.ts';

/** Faults green can be started with (`--fault` or HERMES_HANDOFF_FAULT); each fires at a defined protocol point. */
export const GREEN_FAULTS = [
  'none',
  'crash-before-ack',
  'crash-after-ack',
  'crash-after-active',
  'crash-after-confirm',
  'crash-during-bake',
  'hang',
  'error-burst',
  'wrong-release',
  'exit-at-start',
  'crash-after-complete',
  'crash-after-promotion',
  'error-burst-after-promotion',
  'late-resume',
] as const;
export type GreenFault = (typeof GREEN_FAULTS)[number];

/** Faults blue can be started with (HERMES_BLUE_FAULT), for the fault matrix. */
export const BLUE_FAULTS = ['none', 'crash-before-init', 'crash-after-ack', 'crash-after-active', 'crash-during-bake', 'crash-late-bake'] as const;
export type BlueFault = (typeof BLUE_FAULTS)[number];

/** Dies at once, like a crash: no cleanup, no goodbye on any socket. */
export function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

/** Blocks this process's only thread for good: no timers, no I/O, no signal handlers. */
export function hangForever(): never {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/**
 * Tracks replies between the agent's answer and the store's record of it. A process killed in that
 * instant has answered on the platform but not in the store, so whoever resumes answers again: the
 * protocol's honest limit of one duplicate per kill. Faults that fire during the bake wait for a
 * moment outside that instant, so they test the handoff, not that limit (measured on its own).
 */
export interface ReplyGate {
  /**
   * The agent is about to answer message `id` of `adapter`: a reply is in flight from then until the
   * store records it. Resolves at once, except once a fault waits for quiet: then never (the process
   * dies first; the message stays unanswered and unrecorded for whoever resumes).
   */
  begin(adapter: string, id: MessageId): Promise<void>;
  /** The same store, whose record() also ends the reply it records. */
  wrap(store: TranscriptStore): TranscriptStore;
  /** Starts no new reply, then runs `fn` once none is in flight (right after the last one is recorded; at the latest after `maxWaitMs`). */
  whenQuiet(fn: () => void, maxWaitMs?: number): void;
}

/** A new ReplyGate with nothing in flight. */
export function replyGate(): ReplyGate {
  const inFlight = new Set<string>();
  const key = (adapter: string, id: MessageId) => `${adapter}\u0000${typeof id}:${id}`;
  let waiting: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let holding = false;
  const fire = () => {
    const fn = waiting;
    waiting = null;
    if (timer) clearTimeout(timer);
    timer = null;
    fn?.();
  };
  return {
    begin(adapter, id) {
      if (holding) return new Promise<void>(() => {});
      inFlight.add(key(adapter, id));
      return Promise.resolve();
    },
    wrap: (store) => ({
      ...store,
      record(platform, id, by) {
        store.record(platform, id, by);
        inFlight.delete(key(platform, id));
        if (inFlight.size === 0 && waiting) fire();
      },
    }),
    whenQuiet(fn, maxWaitMs = 2_000) {
      holding = true;
      if (inFlight.size === 0) return fn();
      waiting = fn;
      // A reply abandoned by a timed-out drain is never recorded: do not wait for it for ever.
      timer ??= setTimeout(fire, maxWaitMs);
    },
  };
}

/** Runs a fault at once (no reply gate). */
const now: Pick<ReplyGate, 'whenQuiet'> = { whenQuiet: (fn) => fn() };

/** The green hooks that make `fault` happen; `errors` is switched on for error-burst; bake-time faults fire outside a reply (see ReplyGate). */
export function greenHooks(fault: GreenFault, errors: { on: boolean }, gate: Pick<ReplyGate, 'whenQuiet'> = now): GreenHooks {
  switch (fault) {
    case 'crash-before-ack':
      return { beforeAck: crash };
    case 'crash-after-ack':
      return { afterAck: crash };
    // Green answers while it starts and right after (its adapters start side by side): these faults
    // too fire outside a reply, so they test the handover, not the one-duplicate limit.
    case 'crash-after-active':
      return { afterActive: () => new Promise<void>((r) => gate.whenQuiet(() => r())).then(crash) };
    case 'crash-after-confirm':
      return { afterConfirm: () => new Promise<void>((r) => gate.whenQuiet(() => r())).then(crash) };
    case 'crash-during-bake':
      return { beforeHeartbeat: (seq) => (seq === 2 ? gate.whenQuiet(crash) : undefined) };
    case 'hang':
      return { beforeHeartbeat: (seq) => (seq === 2 ? gate.whenQuiet(hangForever) : undefined) };
    case 'error-burst':
      return {
        afterConfirm: () => {
          errors.on = true;
        },
      };
    case 'wrong-release':
      return { ackRelease: (r) => `${r}-not` };
    case 'crash-after-complete':
      // Promoted, but dead before it owns the socket: blue must take the socket back and resume.
      return { onComplete: () => new Promise<void>((r) => gate.whenQuiet(() => r())).then(crash) };
    default:
      return {};
  }
}

/** How long after its promotion a green with a fault *-after-promotion serves well before the fault. */
export const AFTER_PROMOTION_MS = 1_500;

/**
 * What green does once it owns the socket and its promotion is final, inside the observation window:
 * crash-after-promotion dies (outside a reply), error-burst-after-promotion answers every message with
 * an error from then on; either way the standby takes back.
 */
export function afterPromotion(fault: GreenFault, errors: { on: boolean }, gate: Pick<ReplyGate, 'whenQuiet'> = now): (() => void) | undefined {
  if (fault === 'crash-after-promotion') return () => void setTimeout(() => gate.whenQuiet(crash), AFTER_PROMOTION_MS);
  if (fault === 'error-burst-after-promotion') return () => void setTimeout(() => (errors.on = true), AFTER_PROMOTION_MS);
  return undefined;
}

/** The phase hook that makes blue `fault` happen. */
export function blueOnPhase(fault: BlueFault): ((phase: Phase, when: 'before' | 'after') => void) | undefined {
  switch (fault) {
    case 'crash-before-init':
      return (p, w) => (p === 'init' && w === 'before' ? crash() : undefined);
    case 'crash-after-ack':
      return (p, w) => (p === 'draining' && w === 'after' ? crash() : undefined);
    case 'crash-after-active':
      return (p, w) => (p === 'active' && w === 'after' ? crash() : undefined);
    case 'crash-during-bake':
      return (p, w) => (p === 'baking' && w === 'after' ? void setTimeout(crash, 300) : undefined);
    case 'crash-late-bake':
      // The end of the observation window: the bake is over and blue has decided, but has neither recorded nor sent it.
      return (p, w) => (p === 'complete' && w === 'before' ? crash() : undefined);
    default:
      return undefined;
  }
}

/** How long green's `late-resume` fault waits before it resumes a Discord session handed to it. */
export const LATE_RESUME_MS = 1_000;

/** `adapter` whose start() from a handed-over cursor waits LATE_RESUME_MS first (green's `late-resume`, for Discord adapters). */
export function lateResume(adapter: PlatformAdapter, log: (m: string) => void): PlatformAdapter {
  return {
    ...adapter,
    async start(cursors) {
      if (cursors?.[adapter.name] !== undefined) {
        log(`fault late-resume: waiting ${LATE_RESUME_MS} ms before resuming ${adapter.name}`);
        await new Promise((r) => setTimeout(r, LATE_RESUME_MS));
      }
      return adapter.start(cursors);
    },
  };
}
