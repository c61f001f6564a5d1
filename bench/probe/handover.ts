// Where the dark window goes: runs promotions like the bench, with bench/probe/hooks.mjs loaded into
// blue and every green, and splits each handover into its steps from their timestamps.
//   node --import tsx bench/probe/handover.ts [--promotions N] [--json] [--warm]
// --warm simulates a proposed change (green connects to the platform before ACK; see hooks.mjs).
// Not part of `npm run bench`; an investigation aid. Everything it starts is stopped, its temp dir removed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runPromotions } from '../dark-window.ts';
import { startBlueGateway, type GatewaySpec } from '../lib/gateway.ts';
import { startPlatformProc } from '../lib/platform-proc.ts';
import { Procs } from '../lib/procs.ts';
import { spread, type Spread } from '../lib/stats.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOOKS = join(dirname(fileURLToPath(import.meta.url)), 'hooks.mjs');

const ProbeEvent = z.object({ ev: z.string(), t: z.number(), dt: z.number().optional(), id: z.number().optional(), type: z.string().optional() });
type ProbeEvent = z.infer<typeof ProbeEvent>;

/** One handover split into its steps (ms). */
interface Steps {
  /** Blue: from its last poll's end to HANDOFF_ACTIVE written, fsync excluded (finishing the batch in hand, pausing). */
  blue_drain: number;
  /** Blue: fsync time in that stretch. */
  blue_fsync: number;
  /** HANDOFF_ACTIVE written by blue -> read by green. */
  ipc: number;
  /** Green: HANDOFF_ACTIVE read -> first getUpdates created (store reload, adapter start), fsync and GC excluded. */
  green_start: number;
  /** Green: fsync time in that stretch. */
  green_fsync: number;
  /** Green: GC pauses in that stretch. */
  green_gc: number;
  /** Green: TCP connect to the platform. */
  tcp_connect: number;
  /** Green: connected -> request fully written. */
  send: number;
  /** The rest of the platform's switch gap: request written -> the platform counts it. */
  platform: number;
  switch_gap: number;
}

/** Reads every probe file of `dir`, by pid. */
function readProbes(dir: string): Map<number, ProbeEvent[]> {
  const out = new Map<number, ProbeEvent[]>();
  for (const name of readdirSync(dir)) {
    const m = /^probe-(\d+)\.ndjson$/.exec(name);
    if (!m) continue;
    const events = readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => ProbeEvent.parse(JSON.parse(l)))
      .sort((a, b) => a.t - b.t);
    out.set(Number(m[1]), events);
  }
  return out;
}

/** Splits one handover (blue `b`, green `g` events) into steps; null when a step is missing from the probe. */
function stepsOf(b: ProbeEvent[], g: ProbeEvent[], switchGap: number): Steps | null {
  const active = b.find((e) => e.ev === 'frame-out' && e.type === 'HANDOFF_ACTIVE');
  if (!active) return null;
  const lastReq = [...b].reverse().find((e) => e.ev === 'poll-req' && e.t < active.t);
  const lastEnd = lastReq && b.find((e) => e.ev === 'poll-closed' && e.id === lastReq.id);
  if (!lastEnd) return null;
  const fsync = b.filter((e) => e.ev === 'fsync' && e.t >= lastEnd.t && e.t <= active.t).reduce((a, e) => a + (e.dt ?? 0), 0);
  const gIn = g.find((e) => e.ev === 'frame-in' && e.type === 'HANDOFF_ACTIVE');
  if (!gIn) return null;
  const first = g.find((e) => e.ev === 'poll-req' && e.t >= gIn.t);
  if (!first) return null;
  const within = (name: string) => g.filter((e) => e.ev === name && e.t >= gIn.t && e.t <= first.t).reduce((a, e) => a + (e.dt ?? 0), 0);
  const greenFsync = within('fsync');
  const greenGc = within('gc');
  const connect = g.find((e) => e.ev === 'poll-connect' && e.id === first.id);
  const sent = g.find((e) => e.ev === 'poll-sent' && e.id === first.id);
  if (!sent) return null;
  const connectedAt = connect?.t ?? first.t;
  return {
    blue_drain: active.t - lastEnd.t - fsync,
    blue_fsync: fsync,
    ipc: gIn.t - active.t,
    green_start: first.t - gIn.t - greenFsync - greenGc,
    green_fsync: greenFsync,
    green_gc: greenGc,
    tcp_connect: connectedAt - first.t,
    send: sent.t - connectedAt,
    platform: switchGap - (sent.t - lastEnd.t),
    switch_gap: switchGap,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { promotions: { type: 'string', default: '20' }, json: { type: 'boolean', default: false }, warm: { type: 'boolean', default: false } }, strict: true });
  const count = Number(values.promotions);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--promotions: expected a whole number >= 1, got ${JSON.stringify(values.promotions)}`);
  const cli = join(ROOT, 'dist', 'cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'hermes-probe-'));
  const probeDir = join(dir, 'probe');
  mkdirSync(probeDir);
  const env = { HERMES_PROBE_DIR: probeDir, NODE_OPTIONS: `--import ${HOOKS}` };
  const greenEnv = values.warm ? { ...env, HERMES_PROBE_WARM: '1' } : env;
  const procs = new Procs();
  const runs: { blue: number; green: number; gap: number }[] = [];
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      procs.trackByMarker(dir);
      void procs.stopAll().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(1);
      });
    });
  }
  try {
    const platform = await startPlatformProc(procs, cli, { rate: 100, graceMs: 500, logPath: join(dir, 'platform.log') });
    const spec: GatewaySpec = { cli, home: join(dir, 'home'), platformUrl: platform.url, initMs: 50, pollTimeoutS: 10 };
    await startBlueGateway(procs, spec, 'probe-0', join(dir, 'blue.log'), env);
    await runPromotions(procs, platform, spec, {
      count,
      bakeMs: 300,
      rate: 100,
      graceMs: 500,
      greenEnv,
      progress: (l) => process.stderr.write(`${l}\n`),
      onPromotion: (_i, o, gap) => {
        if (o.verdict === 'promoted' && o.blue_pid && o.green_pid) runs.push({ blue: o.blue_pid, green: o.green_pid, gap });
      },
    });
  } finally {
    procs.trackByMarker(dir);
    await procs.stopAll(); // every gateway writes its probe file as it exits
  }
  try {
    const probes = readProbes(probeDir);
    const steps = runs.map((r) => stepsOf(probes.get(r.blue) ?? [], probes.get(r.green) ?? [], r.gap)).filter((s): s is Steps => s !== null);
    const keys = ['blue_drain', 'blue_fsync', 'ipc', 'green_start', 'green_fsync', 'green_gc', 'tcp_connect', 'send', 'platform', 'switch_gap'] as const;
    const table: Record<string, Spread> = {};
    for (const k of keys) table[k] = spread(steps.map((s) => s[k]));
    if (values.json) process.stdout.write(`${JSON.stringify({ n: steps.length, steps: table, runs: steps })}\n`);
    else {
      process.stdout.write(`handover steps over ${steps.length} promotions (ms)\n${'step'.padEnd(14)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}\n`);
      for (const k of keys) process.stdout.write(`${k.padEnd(14)}${String(table[k]!.p50).padStart(10)}${String(table[k]!.p99).padStart(10)}${String(table[k]!.max).padStart(10)}\n`);
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`probe: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
