import type { ObserverClient, StateFrame } from '../peer/observer.ts';
import type { EngineClock, EngineIo } from './params.ts';
import type { HostPaths } from './paths.ts';
import type { Remote } from './remote/index.ts';

/** What a mode reaches the host with: its remote operations, the paths, and the token (null: this key may not use the socket). */
export interface Link {
  io: EngineIo;
  clock: EngineClock;
  remote: Remote;
  paths: HostPaths;
  token: string | null;
}

/** A mode attached to blue: the link, an open observer connection and blue's STATE when it connected. */
export interface Attachment extends Link {
  token: string;
  obs: ObserverClient;
  state: StateFrame;
}
