import { hostLayout, joinHostPath, type HostLayout } from '../core/layout.ts';

/** The gateway's files on the host (core/layout.ts), and where green and prepare-command run. */
export interface HostPaths extends HostLayout {
  /** Where green and prepare-command run; null: the login directory (or, with the agent, its config's workdir). */
  workdir: string | null;
}

/** True when `p` needs the host's $HOME to be absolute (`~` or `~/...`). */
export function needsHome(p: string): boolean {
  return p === '~' || p.startsWith('~/');
}

/** `p` with a leading `~` or `~/` replaced by `homeDir` (the host's $HOME); anything else as is. */
export function expandHome(p: string, homeDir: string): string {
  if (!needsHome(p)) return p;
  return p === '~' ? homeDir : joinHostPath(homeDir, p.slice(2));
}

/** The paths for hermes-home, socket-path and workdir, each already absolute on the host. */
export function hostPaths(home: string, socket: string | null, workdir: string | null): HostPaths {
  return { ...hostLayout(home, socket), workdir };
}
