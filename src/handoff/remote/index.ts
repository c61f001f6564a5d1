import type { EngineParams } from '../../core/params.ts';
import type { EngineIo } from '../params.ts';
import { clockOf } from '../params.ts';
import { AgentRemote } from './agent.ts';
import { PlainRemote } from './plain.ts';
import type { Remote } from './remote.ts';

export type { GreenEnv, HostChecks, PrepareResult, Remote, SocketState, VerdictSummary } from './remote.ts';

/** The remote operations for this run: the host agent's when the host was opened with one, else plain argv. */
export function remoteFor(p: EngineParams, io: EngineIo): Remote {
  return io.agent ? new AgentRemote(io.host, io.agent, p, (m) => io.log.warn(m)) : new PlainRemote(io.host, p, clockOf(io));
}
