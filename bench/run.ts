// `npm run bench [-- --json]`: measures the figures of docs/performance.md in one run on this machine.
// Everything it starts is stopped and its temp dir removed, also on failure or Ctrl-C.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { shellJoin } from '../src/host/quote.ts';
import { sshdAvailable, startSshd, type Sshd } from '../test/support/sshd.ts';
import { node24Path } from '../test/support/action-runner.ts';
import { measureColdStart } from './cold-start.ts';
import { KINDS, runPromotions, type Kind, type PlatformFigures, type PromotionFigures } from './dark-window.ts';
import { distBytes, runnerBytes } from './dist-size.ts';
import { checkDoc, updateDoc } from './doc.ts';
import { gatewayArgv, startBlueGateway, type GatewaySpec } from './lib/gateway.ts';
import { startPlatformProc } from './lib/platform-proc.ts';
import { Procs, isAlive, readPid, waitFor } from './lib/procs.ts';
import { median, ratio, spread } from './lib/stats.ts';
import { measureRestarts } from './restart.ts';
import { BenchResult, judgeTargets, type OrderResult } from './result.ts';
import { HANDOVER_ORDERS, type HandoverOrder } from '../examples/gateway/agent.ts';
import { DEFAULT_HANDOVER } from '../examples/gateway/config.ts';
import { measureSshPerPoll, measureStatusRtt } from './ssh-status.ts';
import { promoteInputs, runActionOnce } from './ssh-run.ts';
import { renderTable } from './table.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The parts of the bench, each measured on its own with --only. */
const PARTS = ['promotions', 'restarts', 'ssh', 'cold-start', 'dist-size'] as const;
type Part = (typeof PARTS)[number];
const USAGE = `bench [--json] [--json-file FILE] [--doc FILE] [--only ${PARTS.join(',')}] [--promotions N] [--compare N] [--failures N] [--restarts N] [--rate R] [--init-ms N] [--bake-ms N]`;
/** The bench must finish within 10 minutes; past this it stops everything and fails. */
const WATCHDOG_MS = 9.5 * 60_000;
const GRACE_MS = 500;
const REALISTIC_INIT_MS = 3_000;
/** Where --json also writes the result (relative to the current directory; .tmp/ is ignored by git). */
const DEFAULT_JSON_FILE = '.tmp/bench.json';

/** Parses the flags; throws naming the flag and what it expects. */
function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      'json-file': { type: 'string' },
      doc: { type: 'string' },
      only: { type: 'string' },
      promotions: { type: 'string', default: '60' },
      compare: { type: 'string', default: '30' },
      failures: { type: 'string', default: '3' },
      restarts: { type: 'string', default: '5' },
      rate: { type: 'string', default: '100' },
      'init-ms': { type: 'string', default: '50' },
      'bake-ms': { type: 'string', default: '300' },
    },
    strict: true,
  });
  const int = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number >= ${min}, got ${JSON.stringify(values[name])}`);
    return n;
  };
  const only = values.only === undefined ? null : values.only.split(',').map((x) => x.trim());
  for (const p of only ?? []) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: expected parts among ${PARTS.join(', ')}, got ${JSON.stringify(p)}`);
  if (only && values.doc) throw new Error('--doc takes the figures of a full run: leave out --only');
  return { json: values.json, jsonFile: values['json-file'] ?? (values.json ? DEFAULT_JSON_FILE : null), doc: values.doc ?? null, only: only as Part[] | null, promotions: int('promotions', 1), compare: int('compare', 0), failures: int('failures', 0), restarts: int('restarts', 1), rate: int('rate', 1), initMs: int('init-ms', 0), bakeMs: int('bake-ms', 0) };
}

async function main(): Promise<number> {
  let o: ReturnType<typeof options>;
  try {
    o = options(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\nusage: ${USAGE}\n`);
    return 2;
  }
  const cli = join(ROOT, 'dist', 'cli.js');
  const index = join(ROOT, 'dist', 'index.js');
  for (const f of [cli, index]) if (!existsSync(f)) return fail(`${f} is missing: build first (node scripts/build.mjs)`);
  try {
    if (o.doc) checkDoc(o.doc);
  } catch (e) {
    return fail((e as Error).message);
  }

  const began = Date.now();
  const loadBefore = loadavg()[0] ?? 0;
  if (loadBefore > cpus().length / 2) {
    process.stderr.write(`bench: this machine is busy (1-minute load ${loadBefore.toFixed(2)} on ${cpus().length} CPUs): every figure will include waiting for a CPU; run the bench alone\n`);
  }
  const progress = (line: string) => process.stderr.write(`[bench +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'hermes-bench-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const procs = new Procs();
  let sshd: Sshd | null = null;
  const errors: string[] = [];
  const promotionFailures: string[] = [];
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      procs.trackByMarker(dir);
      await procs.stopAll();
      await sshd?.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  const abort = (why: string) => {
    process.stderr.write(`bench: ${why}; stopping everything it started\n`);
    void cleanup().finally(() => process.exit(1));
  };
  const watchdog = setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60_000} minutes`), WATCHDOG_MS);
  watchdog.unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));

  /** Runs one section; a failure is recorded (the figure stays null) and the run carries on. */
  const section = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
    progress(`${name}...`);
    try {
      return await fn();
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      progress(`${name} FAILED: ${(e as Error).message}`);
      return null;
    }
  };

  const r: Omit<BenchResult, 'targets' | 'machine' | 'duration_s' | 'errors' | 'promotion_failures'> = {
    dark_window_ms: null,
    host_dark_window_ms: null,
    promotions: null,
    restart_gap_ms: null,
    restart_gap_realistic_ms: null,
    dark_window_vs_restart: null,
    lost: null,
    duplicated: null,
    conflicts: null,
    handover_order: null,
    platforms: null,
    handover_orders: null,
    status_rtt_ms: null,
    ssh_per_poll_ms: null,
    status_vs_ssh: null,
    ssh_connections_per_run: null,
    ssh_run: null,
    cold_start_ratio: null,
    cold_start_ms: null,
    cold_start_node24_ratio: null,
    cold_start_node24_ms: null,
    dist_bytes: null,
    dist_files: null,
    runner_bytes: null,
    runner_files: null,
  };
  const want = (p: Part) => o.only === null || o.only.includes(p);
  try {
    if (want('promotions') || want('restarts') || want('ssh')) await measureWithGateway();
    if (want('cold-start')) {
      const cold = await section('cold start of node dist/index.js', () => measureColdStart(index, COLD_START_KEY, COLD_START_FINGERPRINT, 9, join(dir, 'cold')));
      if (cold) {
        const a = median(cold.actionMs);
        const n = median(cold.nodeMs);
        r.cold_start_ms = { action_p50: a, node_p50: n, n: cold.actionMs.length };
        r.cold_start_ratio = ratio(a, n);
      }
      const n24 = node24Path();
      const cold24 = n24 ? await section('cold start on Node 24', () => measureColdStart(index, COLD_START_KEY, COLD_START_FINGERPRINT, 9, join(dir, 'cold24'), n24)) : null;
      if (cold24) {
        const a = median(cold24.actionMs);
        const n = median(cold24.nodeMs);
        r.cold_start_node24_ms = { action_p50: a, node_p50: n, n: cold24.actionMs.length };
        r.cold_start_node24_ratio = ratio(a, n);
      }
    }
    if (want('dist-size')) {
      const d = await section('dist size', async () => ({ all: distBytes(join(ROOT, 'dist')), runner: runnerBytes(join(ROOT, 'dist')) }));
      r.dist_bytes = d?.all.total ?? null;
      r.dist_files = d?.all.files ?? null;
      r.runner_bytes = d?.runner.total ?? null;
      r.runner_files = d?.runner.files ?? null;
    }
  } catch (e) {
    errors.push((e as Error).message);
  } finally {
    progress('stopping everything the bench started');
    await cleanup();
    clearTimeout(watchdog);
  }

  /** The parts that need the fake platform and a serving gateway: promotions (both handover orders), restarts, the SSH figures. */
  async function measureWithGateway(): Promise<void> {
    const platform = await startPlatformProc(procs, cli, { rate: o.rate, graceMs: GRACE_MS, logPath: join(logs, 'platform.log') });
    const chosen = DEFAULT_HANDOVER;
    const other = HANDOVER_ORDERS.find((x) => x !== chosen)!;
    const base: GatewaySpec = { cli, home: join(dir, 'home'), platformUrl: platform.url, initMs: o.initMs, pollTimeoutS: 10 };
    let spec: GatewaySpec = { ...base, handover: chosen };
    let blues = 0;
    /** Restarts the serving gateway with another handover order (every green then inherits it). */
    const serveWith = async (order: HandoverOrder) => {
      const pid = readPid(join(spec.home, 'gateway.pid'));
      if (pid) await procs.stop(pid, 10_000);
      spec = { ...base, handover: order };
      await startBlueGateway(procs, spec, `bench-blue-${++blues}`, join(logs, `blue-${blues}.log`));
    };
    await startBlueGateway(procs, spec, 'bench-0', join(logs, 'blue-0.log'));
    progress(`blue serving (${chosen}); platform ${platform.url} at ${o.rate} messages/s on Telegram and on Discord`);

    /** Promotions in `order` (the blue serving now uses it), then its failure case; null when the section failed. */
    const measureOrder = async (order: HandoverOrder, n: number): Promise<{ res: OrderResult; figs: PromotionFigures } | null> => {
      const figs = await section(`${n} promotions, ${order} (init ${o.initMs} ms, bake ${o.bakeMs} ms, ${o.rate} messages/s on each platform)`, () =>
        runPromotions(procs, platform, spec, { count: n, bakeMs: o.bakeMs, rate: o.rate, graceMs: GRACE_MS, progress }),
      );
      if (!figs) return null;
      promotionFailures.push(...figs.failures);
      const fails =
        o.failures === 0
          ? null
          : await section(`${o.failures} promotions, ${order}, every green dying right after it took over (crash-after-confirm)`, () =>
              runPromotions(procs, platform, spec, { count: o.failures, bakeMs: o.bakeMs, rate: o.rate, graceMs: GRACE_MS, progress, greenFault: 'crash-after-confirm' }),
            );
      if (fails) promotionFailures.push(...fails.failures);
      const acc = (p: PlatformFigures) => ({ lost: p.lost, duplicated: p.duplicated, conflicts: p.conflicts, takeovers: p.takeovers });
      const side = (k: Kind) => ({ ...acc(figs.platforms[k]), dark_window_ms: figs.platforms[k].darkWindows.length > 0 ? spread(figs.platforms[k].darkWindows) : null });
      return {
        figs,
        res: {
          promotions: n,
          verdicts: figs.verdicts,
          telegram: side('telegram'),
          discord: side('discord'),
          failure_case: fails ? { fault: 'crash-after-confirm', n: o.failures, verdicts: fails.verdicts, telegram: acc(fails.platforms.telegram), discord: acc(fails.platforms.discord) } : null,
        },
      };
    };

    if (want('promotions')) {
      const main = await measureOrder(chosen, o.promotions);
      let compared: OrderResult | null = null;
      if (o.compare > 0) {
        await serveWith(other);
        compared = (await measureOrder(other, o.compare))?.res ?? null;
        await serveWith(chosen);
      }
      r.handover_order = chosen;
      r.handover_orders = { 'break-before-make': null, 'make-before-break': null, [chosen]: main?.res ?? null, [other]: compared };
      if (main) {
        const f = main.figs;
        const promoted = f.verdicts.promoted ?? 0;
        if (promoted < Math.min(50, o.promotions)) errors.push(`only ${promoted} of ${o.promotions} promotions ended promoted`);
        const tg = f.platforms.telegram;
        r.dark_window_ms = tg.darkWindows.length > 0 ? spread(tg.darkWindows) : null;
        const h = spread(f.hostDarkWindows);
        r.host_dark_window_ms = f.hostDarkWindows.length > 0 ? { p50: h.p50, p99: h.p99 } : null;
        r.promotions = { n: o.promotions, verdicts: f.verdicts, init_ms: o.initMs, bake_ms: o.bakeMs, rate: o.rate, produced: KINDS.reduce((n, k) => n + f.platforms[k].produced, 0) };
        r.lost = KINDS.reduce((n, k) => n + f.platforms[k].lost, 0);
        r.duplicated = KINDS.reduce((n, k) => n + f.platforms[k].duplicated, 0);
        r.conflicts = KINDS.reduce((n, k) => n + f.platforms[k].conflicts, 0);
        r.platforms = {
          telegram: { ...main.res.telegram, restart_gap_ms: null, restart_gap_realistic_ms: null, dark_window_vs_restart: null },
          discord: { ...main.res.discord, restart_gap_ms: null, restart_gap_realistic_ms: null, dark_window_vs_restart: null },
        };
      }
    }

    const restarts = async (initMs: number) => {
      const gaps = await measureRestarts(procs, platform, { ...spec, initMs }, { runs: o.restarts, rate: o.rate, logDir: logs, progress });
      const one = (k: Kind) => {
        const s = spread(gaps[k]);
        return { p50: s.p50, p99: s.p99, n: s.n, init_ms: initMs };
      };
      return { telegram: one('telegram'), discord: one('discord') };
    };
    if (want('restarts')) {
      const quick = await section(`restarts (init ${o.initMs} ms)`, () => restarts(o.initMs));
      const realistic = await section(`restarts (init ${REALISTIC_INIT_MS} ms)`, () => restarts(REALISTIC_INIT_MS));
      r.restart_gap_ms = quick?.telegram ?? null;
      r.restart_gap_realistic_ms = realistic?.telegram ?? null;
      r.dark_window_vs_restart = ratio(r.restart_gap_realistic_ms?.p50 ?? null, r.dark_window_ms?.p99 ?? null);
      const none = { lost: null, duplicated: null, conflicts: null, takeovers: null, dark_window_ms: null, restart_gap_ms: null, restart_gap_realistic_ms: null, dark_window_vs_restart: null };
      r.platforms ??= { telegram: { ...none }, discord: { ...none } };
      {
        for (const k of KINDS) {
          const p = r.platforms[k];
          p.restart_gap_ms = quick?.[k] ?? null;
          p.restart_gap_realistic_ms = realistic?.[k] ?? null;
          p.dark_window_vs_restart = ratio(p.restart_gap_realistic_ms?.p50 ?? null, p.dark_window_ms?.p99 ?? null);
        }
      }
    }

    if (!want('ssh')) return;
    if (!sshdAvailable()) {
      errors.push('SSH figures: /usr/sbin/sshd is missing (apt-get install -y openssh-server)');
    } else {
      sshd = await startSshd();
      const s = sshd;
      const status = await section('STATUS round trips over one SSH connection', () => measureStatusRtt(s, spec.home, 300));
      const perPoll = await section('a fresh ssh per poll', () => measureSshPerPoll(s, join(spec.home, 'gateway.pid'), 20, dir));
      r.status_rtt_ms = status ? spread(status) : null;
      r.ssh_per_poll_ms = perPoll ? spread(perPoll) : null;
      r.status_vs_ssh = ratio(r.ssh_per_poll_ms?.p50 ?? null, r.status_rtt_ms?.p50 ?? null);

      await section('the action (node dist/index.js) promoting through sshd', async () => {
        const bluePid = readPid(join(spec.home, 'gateway.pid'));
        const run = await runActionOnce(s, index, promoteInputs(s, spec.home, shellJoin(gatewayArgv(spec)), 'bench-action'), join(dir, 'runner'), 120_000);
        procs.track(readPid(join(spec.home, 'gateway.pid')));
        if (bluePid && run.outputs.verdict === 'promoted') await waitFor(`old blue ${bluePid} to exit`, () => !isAlive(bluePid), 15_000);
        r.ssh_connections_per_run = run.connections;
        r.ssh_run = { verdict: run.outputs.verdict ?? '(none)', exit_code: run.exitCode, authenticated: run.authenticated, wall_ms: Math.round(run.wallMs) };
        if (run.outputs.verdict !== 'promoted') {
          throw new Error(`verdict ${run.outputs.verdict ?? '(no output)'} (exit ${run.exitCode}), expected promoted: ${run.outputs.reason ?? run.log.trim().split('\n').slice(-5).join(' | ')}`);
        }
      });
    }
    await platform.setRate(0); // the cold start does not involve the gateway: keep the machine quiet
  }

  const cpu = cpus();
  const full = {
    ...r,
    machine: { node: process.version, cpus: cpu.length, cpu_model: cpu[0]?.model.trim() ?? 'unknown', platform: `${process.platform} ${process.arch}`, date: new Date().toISOString(), load_1m: { before: round2(loadBefore), after: round2(loadavg()[0] ?? 0) } },
    duration_s: Math.round((Date.now() - began) / 100) / 10,
    errors,
    promotion_failures: promotionFailures,
  };
  // With --only, the targets of the parts not run are left out rather than reported as missed.
  const targets = judgeTargets(full).filter((t) => o.only === null || t.value !== null);
  const result = BenchResult.parse({ ...full, targets });
  for (const t of result.targets) if (!t.met) process.stderr.write(`bench: target missed: ${t.target}: ${t.value ?? 'not measured'}\n`);
  if (o.doc) updateDoc(o.doc, result);
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : renderTable(result));
  if (o.jsonFile !== null) {
    mkdirSync(dirname(resolve(o.jsonFile)), { recursive: true });
    writeFileSync(o.jsonFile, `${JSON.stringify(result)}\n`);
    process.stderr.write(`bench: the JSON result is also in ${o.jsonFile}\n`);
  }
  return errors.length > 0 ? 1 : 0;
}

// The cold start stops at the first TCP connection: a valid key and a well-formed pin are all it needs.
const COLD_START_KEY = ssh2.utils.generateKeyPairSync('ed25519').private;
const COLD_START_FINGERPRINT = `SHA256:${'A'.repeat(43)}`;

const round2 = (n: number) => Math.round(n * 100) / 100;

function fail(msg: string): number {
  process.stderr.write(`bench: ${msg}\n`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
