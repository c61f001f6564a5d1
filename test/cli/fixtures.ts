// Outcomes as the engine returns them, for the CLI's report tests (not a test file itself).
import type { Outcome } from '../../src/core/outcome.ts';

const T0 = 1_795_465_740_270;

/** A promotion that passed its bake. */
export function promoted(): Outcome {
  return {
    mode: 'promote',
    verdict: 'promoted',
    reason: 'bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms',
    target_name: 'production',
    handoff_id: '20261123T202900-7d41a09-a4e5a2',
    release: '7d41a09',
    runtime: 'claw',
    blue_pid: 13667,
    green_pid: 14302,
    dark_window_ms: 19,
    bake_ms: 3000,
    started_at: T0 - 800,
    duration_ms: 6_480,
    timeline: [
      { phase: 'reserved', at: T0, note: 'release 7d41a09, runtime claw' },
      { phase: 'init', at: T0 + 723, note: 'green pid 14302' },
      { phase: 'draining', at: T0 + 2231, note: 'green ready after 1502 ms' },
      { phase: 'active', at: T0 + 2246, note: '0 in-flight finished' },
      { phase: 'baking', at: T0 + 2254, note: 'green polling after a 19 ms dark window' },
      { phase: 'complete', at: T0 + 5256, note: 'promoted: bake of 3 s passed: 3 heartbeats, 30 messages, error rate 0%, worst p99 6 ms' },
    ],
    health: [
      { seq: 1, at: T0 + 3255, handled: 10, errors: 0, latency_p50_ms: 2.356, latency_p99_ms: 5.942 },
      { seq: 2, at: T0 + 4255, handled: 10, errors: 0, latency_p50_ms: 1.281, latency_p99_ms: 3.671 },
      { seq: 3, at: T0 + 5255, handled: 10, errors: 0, latency_p50_ms: 1.778, latency_p99_ms: 5.573 },
    ],
    checks: [],
    green_log_tail: null,
  };
}

/** A rollback for an error burst, with green's log. */
export function rolledBack(): Outcome {
  const o = promoted();
  return {
    ...o,
    verdict: 'rolled-back',
    reason: 'error rate 100% > 5% in 3 consecutive samples',
    duration_ms: 7_012,
    timeline: [...o.timeline.slice(0, 5), { phase: 'rolling-back', at: T0 + 5301, note: 'error rate 100% > 5% in 3 consecutive samples' }, { phase: 'idle', at: T0 + 5310, note: 'rolled-back: error rate 100% > 5% in 3 consecutive samples' }],
    health: o.health.map((h) => ({ ...h, errors: h.handled })),
    green_log_tail: '2026-11-23T20:29:41.000Z [gateway green] error-burst: answering with errors\n2026-11-23T20:29:44.000Z [gateway green] stopped\n',
  };
}

/** A preflight with one failed check. */
export function notReady(): Outcome {
  return {
    ...promoted(),
    mode: 'preflight',
    verdict: 'not-ready',
    reason: '1 of 3 checks failed: green command resolves',
    handoff_id: null,
    green_pid: null,
    dark_window_ms: null,
    bake_ms: null,
    duration_ms: 912,
    timeline: [],
    health: [],
    checks: [
      { name: 'host reachable', ok: true, detail: 'ssh as hermes' },
      { name: 'socket answers', ok: true, detail: 'blue pid 13667, release 7d41a09' },
      { name: 'green command resolves', ok: false, detail: 'hermes/bin/start-gateway not found on the host\'s PATH' },
    ],
  };
}
