// The reference gateway's settings: flags, the environment and an optional JSON config file, checked
// in one place (docs/gateway.md lists every one).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HANDOVER_ORDERS, type HandoverOrder } from './agent.ts';
import { GREEN_FAULTS, BLUE_FAULTS, type BlueFault, type GreenFault } from './faults.ts';

/** The usage line of `example-gateway`. */
export const USAGE =
  'example-gateway --home DIR (--platform [KIND=]URL ... | --config FILE) [--init-ms N] [--fault F] [--poll-timeout S] [--handover ORDER] [--rest-rps N] [--concurrency N]';

const KINDS = ['telegram', 'discord'] as const;
/** The platform kinds the gateway has adapters for. */
export type AdapterKind = (typeof KINDS)[number];

/** One adapter the gateway runs. */
export interface AdapterConfig {
  /** Its name: the key of its cursor and of its store records. */
  name: string;
  kind: AdapterKind;
  /** The API root: Telegram's Bot API root, Discord's REST root (`…/api`). */
  url: string;
  /** Its bot token (from the environment or the config file's `token_env`; a demo token when unset). */
  token: string | null;
}

/** Everything the gateway was started with. */
export interface GatewayConfig {
  home: string;
  adapters: AdapterConfig[];
  initMs: number;
  pollTimeoutS: number;
  /** Discord REST requests per second at most. */
  restRps: number;
  /** Messages each adapter answers at once. */
  concurrency: number;
  handover: HandoverOrder;
  fault: GreenFault;
  blueFault: BlueFault;
}

/** The environment variable a kind's token comes from when the config names none. */
export const TOKEN_ENV: Record<AdapterKind, string> = { telegram: 'HERMES_TELEGRAM_TOKEN', discord: 'HERMES_DISCORD_TOKEN' };

/** The default handover order (docs/performance.md says why it is not make-before-break yet). */
export const DEFAULT_HANDOVER: HandoverOrder = 'break-before-make';

const Name = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'an adapter name is 1-64 characters of a-z 0-9 _ -');
const Url = z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL');
const ConfigFile = z
  .object({
    adapters: z
      .array(
        z
          .object({
            name: Name.optional(),
            kind: z.enum(KINDS),
            url: Url,
            token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional(),
          })
          .strict(),
      )
      .min(1, 'at least one adapter'),
    handover: z.enum(HANDOVER_ORDERS).optional(),
    poll_timeout_s: z.number().min(0).max(60).optional(),
    rest_rps: z.number().int().min(1).max(100_000).optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
  })
  .strict();

/** Parses argv (and the config file it names) into the config, or an error message naming the flag or field. */
export function parseGatewayArgs(argv: string[], env: NodeJS.ProcessEnv): GatewayConfig | { error: string } {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        home: { type: 'string' },
        platform: { type: 'string', multiple: true },
        config: { type: 'string' },
        'init-ms': { type: 'string', default: '3000' },
        fault: { type: 'string' },
        'poll-timeout': { type: 'string' },
        handover: { type: 'string' },
        'rest-rps': { type: 'string' },
        concurrency: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    return { error: (e as Error).message };
  }
  const home = v.home ?? env.HERMES_HOME;
  if (!home) return { error: '--home DIR (or HERMES_HOME) is required' };
  const initMs = Number(v['init-ms']);
  if (!Number.isInteger(initMs) || initMs < 0) return { error: `--init-ms must be a whole number of milliseconds >= 0, got ${JSON.stringify(v['init-ms'])}` };
  const fault = (v.fault ?? env.HERMES_HANDOFF_FAULT ?? 'none') as GreenFault;
  if (!GREEN_FAULTS.includes(fault)) return { error: `--fault must be one of ${GREEN_FAULTS.join(', ')}, got ${JSON.stringify(fault)}` };
  const blueFault = (env.HERMES_BLUE_FAULT || 'none') as BlueFault;
  if (!BLUE_FAULTS.includes(blueFault)) return { error: `HERMES_BLUE_FAULT must be one of ${BLUE_FAULTS.join(', ')}, got ${JSON.stringify(blueFault)}` };

  let file: z.infer<typeof ConfigFile> | null = null;
  if (v.config !== undefined) {
    if (v.platform) return { error: '--config and --platform are alternatives: name the adapters in one place' };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(v.config, 'utf8'));
    } catch (e) {
      return { error: `--config ${v.config}: ${(e as Error).message}` };
    }
    const p = ConfigFile.safeParse(raw);
    if (!p.success) {
      const i = p.error.issues[0]!;
      return { error: `--config ${v.config}: ${i.path.join('.') || '(top level)'}: ${i.message}` };
    }
    file = p.data;
  }

  const adapters: AdapterConfig[] = [];
  if (file) {
    for (const a of file.adapters) adapters.push({ name: a.name ?? a.kind, kind: a.kind, url: a.url, token: env[a.token_env ?? TOKEN_ENV[a.kind]] || null });
  } else {
    for (const p of v.platform ?? []) {
      // `URL` alone is Telegram (the first round's contract); `KIND=URL` names the kind.
      const m = /^([a-z]+)=(.*)$/.exec(p);
      const kind = m ? m[1]! : 'telegram';
      const url = m ? m[2]! : p;
      if (!(KINDS as readonly string[]).includes(kind)) return { error: `--platform ${p}: unknown platform "${kind}"; expected telegram=URL or discord=URL` };
      if (!/^https?:\/\/\S+$/.test(url)) return { error: `--platform ${p}: expected an http(s) URL after ${m ? `${kind}=` : 'the flag'}` };
      adapters.push({ name: kind, kind: kind as AdapterKind, url, token: env[TOKEN_ENV[kind as AdapterKind]] || null });
    }
  }
  if (adapters.length === 0) return { error: '--platform URL (or --config FILE) is required: the gateway needs at least one adapter' };
  const names = adapters.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) return { error: `adapter "${twice}" is named twice; give each adapter its own name (in --config)` };

  const pollRaw = v['poll-timeout'];
  const pollTimeoutS = pollRaw !== undefined ? Number(pollRaw) : (file?.poll_timeout_s ?? 25);
  if (!Number.isFinite(pollTimeoutS) || pollTimeoutS < 0 || pollTimeoutS > 60) return { error: `--poll-timeout must be 0-60 seconds, got ${JSON.stringify(pollRaw)}` };
  const handover = (v.handover ?? env.HERMES_HANDOVER_ORDER ?? file?.handover ?? DEFAULT_HANDOVER) as HandoverOrder;
  if (!HANDOVER_ORDERS.includes(handover)) return { error: `--handover must be one of ${HANDOVER_ORDERS.join(', ')}, got ${JSON.stringify(handover)}` };
  const rpsRaw = v['rest-rps'];
  const restRps = rpsRaw !== undefined ? Number(rpsRaw) : (file?.rest_rps ?? 50);
  if (!Number.isInteger(restRps) || restRps < 1 || restRps > 100_000) return { error: `--rest-rps must be a whole number 1-100000 (Discord REST requests per second), got ${JSON.stringify(rpsRaw)}` };
  const ccRaw = v.concurrency;
  const concurrency = ccRaw !== undefined ? Number(ccRaw) : (file?.concurrency ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) return { error: `--concurrency must be a whole number 1-256 (messages each adapter answers at once), got ${JSON.stringify(ccRaw)}` };
  return { home, adapters, initMs, pollTimeoutS, restRps, concurrency, handover, fault, blueFault };
}
