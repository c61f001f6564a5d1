import { join } from 'node:path';
import { parseHandoffId } from '../protocol/ids.ts';

/** What a gateway learns about its role from its environment (protocol.md section 8.1). */
export interface PeerEnv {
  /** HERMES_HOME. */
  home: string | null;
  /** HERMES_HANDOFF_ID, validated: set for a process started for a handoff. */
  handoffId: string | null;
  /** HERMES_RELEASE: the release this process reports (WELCOME, STATE, HANDOFF_ACK). */
  release: string | null;
  /** HERMES_RUNTIME: the runtime this process reports. */
  runtime: string | null;
  /** The handoff socket: HERMES_HANDOFF_SOCKET, else $HERMES_HOME/run/handoff.sock. */
  socketPath: string | null;
}

/** Reads the protocol's variables; throws, naming the variable, on an invalid HERMES_HANDOFF_ID. */
export function peerEnv(env: NodeJS.ProcessEnv): PeerEnv {
  const home = env.HERMES_HOME || null;
  let handoffId: string | null = null;
  if (env.HERMES_HANDOFF_ID) {
    try {
      handoffId = parseHandoffId(env.HERMES_HANDOFF_ID);
    } catch (e) {
      throw new Error(`HERMES_HANDOFF_ID: ${(e as Error).message}`, { cause: e });
    }
  }
  const socketPath = env.HERMES_HANDOFF_SOCKET || (home ? join(home, 'run', 'handoff.sock') : null);
  return { home, handoffId, release: env.HERMES_RELEASE || null, runtime: env.HERMES_RUNTIME || null, socketPath };
}
