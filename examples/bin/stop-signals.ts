// How the example commands started by hand stop: whatever asks them to, they stop cleanly, and never hang.

const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof CODES;

/**
 * SIGHUP (the terminal closed) and a closed stdout or stderr (`| head`) stop this process the way
 * SIGTERM does: the command's own SIGTERM handler runs. A second signal, a signal before the command
 * handles one, or a stop still running after `graceMs` ends the process at once (128 + the signal).
 */
export function stopLikeSigterm(graceMs = 10_000): void {
  let stopping = false;
  const mine = new Map<StopSignal, (s: NodeJS.Signals) => void>();
  const others = (sig: StopSignal) => process.listeners(sig).filter((l) => l !== mine.get(sig));
  /** Runs the command's own SIGTERM handlers; ends the process when it has none (yet), or is stopping already. */
  const stopAsSigterm = (sig: StopSignal): void => {
    const handlers = others('SIGTERM');
    if (stopping || handlers.length === 0) process.exit(CODES[sig]);
    stopping = true;
    setTimeout(() => process.exit(CODES[sig]), graceMs).unref();
    for (const h of handlers) (h as (s: NodeJS.Signals) => void)('SIGTERM');
  };
  for (const sig of Object.keys(CODES) as StopSignal[]) {
    const handler = () => {
      if (sig === 'SIGHUP') return stopAsSigterm(sig);
      // SIGINT and SIGTERM reach the command's own handlers by themselves; without any, end as the default would.
      if (stopping || others(sig).length === 0) process.exit(CODES[sig]);
      stopping = true;
      setTimeout(() => process.exit(CODES[sig]), graceMs).unref();
    };
    mine.set(sig, handler);
    process.on(sig, handler);
  }
  // After a pipe closes every later write fails too: the first failure asks for a stop, the rest are expected.
  const onWriteError = () => {
    if (!stopping) stopAsSigterm('SIGTERM');
  };
  process.stdout.on('error', onWriteError);
  process.stderr.on('error', onWriteError);
}
