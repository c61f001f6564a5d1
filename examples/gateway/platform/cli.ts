// `fake-platform [--port N] [--rate R] [--kinds telegram,discord] ...`: runs the fake chat platforms until SIGTERM/SIGINT.
import { KINDS, type Kind } from './schemas.ts';
import { startFakePlatform, type FakePlatformOptions } from './server.ts';

const USAGE = [
  'usage: fake-platform [--port N] [--rate R] [--kinds telegram,discord] [--telegram-rate R] [--discord-rate R]',
  '                     [--grace-ms N] [--conflict-window-ms N] [--heartbeat-ms N] [--resume-window-ms N] [--takeover-close-code N]',
  '  --port 0: any free port; rates in messages per second (--rate for every kind served); kinds default to telegram',
].join('\n');

interface Flags {
  port: number;
  rate: number;
  kinds: Kind[];
  rates: Partial<Record<Kind, number>>;
  graceMs: number;
  conflictWindowMs: number;
  heartbeatMs: number;
  resumeWindowMs: number;
  takeoverCloseCode: number;
}

type Check = (raw: string, name: string) => number | string;

const integer = (min: number, max: number, what = ''): Check => (raw, name) =>
  /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : `${name} must be an integer ${min}..${max}${what}, got ${JSON.stringify(raw)}`;
const rate: Check = (raw, name) =>
  /^\d+(\.\d+)?$/.test(raw) && Number(raw) <= 100_000 ? Number(raw) : `${name} must be a number 0..100000 (messages per second), got ${JSON.stringify(raw)}`;

const NUMERIC: Record<string, { check: Check; set: (f: Flags, n: number) => void }> = {
  '--port': { check: integer(0, 65535), set: (f, n) => (f.port = n) },
  '--rate': { check: rate, set: (f, n) => (f.rate = n) },
  '--telegram-rate': { check: rate, set: (f, n) => (f.rates.telegram = n) },
  '--discord-rate': { check: rate, set: (f, n) => (f.rates.discord = n) },
  '--grace-ms': { check: integer(0, 3_600_000), set: (f, n) => (f.graceMs = n) },
  '--conflict-window-ms': { check: integer(0, 600_000), set: (f, n) => (f.conflictWindowMs = n) },
  '--heartbeat-ms': { check: integer(10, 600_000), set: (f, n) => (f.heartbeatMs = n) },
  '--resume-window-ms': { check: integer(0, 86_400_000), set: (f, n) => (f.resumeWindowMs = n) },
  '--takeover-close-code': { check: integer(4000, 4999, ' (a gateway close code)'), set: (f, n) => (f.takeoverCloseCode = n) },
};

/** Parses the flags, or returns a message naming the flag that is wrong. */
export function parseFakePlatformArgs(argv: readonly string[]): Flags | { error: string } | 'help' {
  const flags: Flags = { port: 0, rate: 0, kinds: ['telegram'], rates: {}, graceMs: 2000, conflictWindowMs: 1000, heartbeatMs: 41_250, resumeWindowMs: 90_000, takeoverCloseCode: 4000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const numeric = NUMERIC[name];
    if (!numeric && name !== '--kinds') return { error: `unknown flag ${JSON.stringify(arg)}\n${USAGE}` };
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || raw === '') return { error: `${name} needs a value` };
    if (numeric) {
      const n = numeric.check(raw, name);
      if (typeof n === 'string') return { error: n };
      numeric.set(flags, n);
      continue;
    }
    const kinds = raw.split(',');
    const bad = kinds.find((k) => !(KINDS as readonly string[]).includes(k));
    if (bad !== undefined) return { error: `--kinds: unknown kind ${JSON.stringify(bad)}; expected a comma-separated list of ${KINDS.join(', ')}` };
    flags.kinds = [...new Set(kinds as Kind[])];
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
  const opts: FakePlatformOptions = {
    port: flags.port,
    kinds: flags.kinds,
    rate: flags.rate,
    rates: flags.rates,
    graceMs: flags.graceMs,
    conflictWindowMs: flags.conflictWindowMs,
    discord: { heartbeatMs: flags.heartbeatMs, resumeWindowMs: flags.resumeWindowMs, takeoverCloseCode: flags.takeoverCloseCode },
  };
  let platform;
  try {
    platform = await startFakePlatform(opts);
  } catch (e) {
    process.stderr.write(`fake-platform: cannot listen on 127.0.0.1:${flags.port}: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${platform.url}\n`);
  const served = flags.kinds.map((k) => {
    const r = flags.rates[k] ?? flags.rate;
    return k === 'telegram' ? `telegram (Bot API root ${platform.url}, ${r}/s)` : `discord (REST ${platform.url}/api/v10, gateway ${platform.gatewayUrl}, ${r}/s)`;
  });
  process.stderr.write(`fake-platform: listening on ${platform.url}: ${served.join('; ')}; grace ${flags.graceMs} ms\n`);
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
