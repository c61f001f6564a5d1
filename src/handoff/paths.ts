import { hostLayout, joinHostPath, type HostLayout } from '../core/layout.ts';
import type { Host } from '../host/host.ts';

/** The gateway's files on the host (core/layout.ts), and where green and prepare-command run. */
export interface HostPaths extends HostLayout {
  /** Where green and prepare-command run; null: the login directory. */
  workdir: string | null;
}

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
    return p === '~' ? homeDir : joinHostPath(homeDir, p.slice(2));
  };
  const home = await expand(hermesHome);
  const socket = socketPath ? await expand(socketPath) : null;
  const wd = workdir ? await expand(workdir) : null;
  return { ...hostLayout(home, socket), workdir: wd };
}
