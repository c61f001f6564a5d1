import type { Host } from '../host/host.ts';

/** Paths of the gateway on the host, absolute, after `~` is expanded there. */
export interface HostPaths {
  home: string;
  socket: string;
  token: string;
  logs: string;
  verdicts: string;
  /** Where green and prepare-command run; null: the login directory. */
  workdir: string | null;
}

const joinPath = (a: string, b: string) => `${a.replace(/\/+$/, '')}/${b}`;

/** Resolves hermes-home, socket-path and workdir on the host (expanding a leading `~/` with the host's $HOME). */
export async function resolvePaths(host: Host, hermesHome: string, socketPath: string | null, workdir: string | null = null): Promise<HostPaths> {
  let homeDir: string | null = null;
  const expand = async (p: string) => {
    if (p !== '~' && !p.startsWith('~/')) return p;
    if (homeDir === null) {
      const r = await host.exec(['sh', '-c', 'printf %s "$HOME"'], { timeoutMs: 15_000 });
      homeDir = r.stdout.trim();
      if (r.code !== 0 || !homeDir.startsWith('/')) throw new Error('could not read $HOME on the host to expand ~');
    }
    return p === '~' ? homeDir : joinPath(homeDir, p.slice(2));
  };
  const home = await expand(hermesHome);
  const socket = socketPath ? await expand(socketPath) : joinPath(home, 'run/handoff.sock');
  const dir = socket.slice(0, socket.lastIndexOf('/')) || '/';
  const wd = workdir ? await expand(workdir) : null;
  return { home, socket, token: joinPath(dir, 'handoff.token'), logs: joinPath(home, 'logs'), verdicts: joinPath(home, 'run/handoffs'), workdir: wd };
}

/** The log file of green for one handoff. */
export function greenLogPath(p: HostPaths, handoffId: string): string {
  return joinPath(p.logs, `green-${handoffId}.log`);
}
