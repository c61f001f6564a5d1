// `fake-platform --port N --rate R [--grace-ms N]`: runs the fake chat platform until SIGTERM/SIGINT.
import { startFakePlatform } from './server.ts';

const USAGE = 'usage: fake-platform [--port N] [--rate R] [--grace-ms N]   (--port 0: any free port; rate in updates/s)';

interface Flags {
  port: number;
  rate: number;
  graceMs: number;
}

/** Parses the flags, or returns a message naming the flag that is wrong. */
export function parseFakePlatformArgs(argv: readonly string[]): Flags | { error: string } | 'help' {
  const flags: Flags = { port: 0, rate: 0, graceMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name !== '--port' && name !== '--rate' && name !== '--grace-ms') return { error: `unknown flag ${JSON.stringify(arg)}; ${USAGE}` };
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || raw === '') return { error: `${name} needs a value` };
    const n = Number(raw);
    if (name === '--port') {
      if (!/^\d+$/.test(raw) || n > 65535) return { error: `--port must be an integer 0..65535, got ${JSON.stringify(raw)}` };
      flags.port = n;
    } else if (name === '--rate') {
      if (!/^\d+(\.\d+)?$/.test(raw) || n > 100_000) return { error: `--rate must be a number 0..100000 (updates per second), got ${JSON.stringify(raw)}` };
      flags.rate = n;
    } else {
      if (!/^\d+$/.test(raw)) return { error: `--grace-ms must be an integer >= 0, got ${JSON.stringify(raw)}` };
      flags.graceMs = n;
    }
  }
  return flags;
}

/** Runs the fake platform: prints its base URL as the first stdout line, resolves 0 after SIGTERM/SIGINT, 2 on bad flags. */
export async function runFakePlatformCli(argv: string[]): Promise<number> {
  const flags = parseFakePlatformArgs(argv);
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in flags) {
    process.stderr.write(`fake-platform: ${flags.error}\n`);
    return 2;
  }
  let platform;
  try {
    platform = await startFakePlatform({ port: flags.port, rate: flags.rate, graceMs: flags.graceMs });
  } catch (e) {
    process.stderr.write(`fake-platform: cannot listen on 127.0.0.1:${flags.port}: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${platform.url}\n`);
  process.stderr.write(`fake-platform: listening on ${platform.url}, ${flags.rate} updates/s, grace ${flags.graceMs} ms\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  await platform.close();
  process.stderr.write(`fake-platform: stopped on ${signal}\n`);
  return 0;
}
