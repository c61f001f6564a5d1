import type { GreenHooks } from '../../src/peer/green.ts';
import type { Phase } from '../../src/protocol/frames.ts';

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
] as const;
export type GreenFault = (typeof GREEN_FAULTS)[number];

/** Faults blue can be started with (HERMES_BLUE_FAULT), for the fault matrix. */
export const BLUE_FAULTS = ['none', 'crash-before-init', 'crash-after-ack', 'crash-after-active', 'crash-during-bake'] as const;
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

/** The green hooks that make `fault` happen; `errors` is switched on for error-burst. */
export function greenHooks(fault: GreenFault, errors: { on: boolean }): GreenHooks {
  switch (fault) {
    case 'crash-before-ack':
      return { beforeAck: crash };
    case 'crash-after-ack':
      return { afterAck: crash };
    case 'crash-after-active':
      return { afterActive: crash };
    case 'crash-after-confirm':
      return { afterConfirm: crash };
    case 'crash-during-bake':
      return { beforeHeartbeat: (seq) => (seq >= 2 ? crash() : undefined) };
    case 'hang':
      return { beforeHeartbeat: (seq) => (seq >= 2 ? hangForever() : undefined) };
    case 'error-burst':
      return {
        afterConfirm: () => {
          errors.on = true;
        },
      };
    case 'wrong-release':
      return { ackRelease: (r) => `${r}-not` };
    default:
      return {};
  }
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
    default:
      return undefined;
  }
}
