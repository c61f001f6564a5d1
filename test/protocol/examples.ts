// One valid example of every frame type, and the fields each may omit; shared by the protocol tests.
import { DEFAULT_DEADLINES, DEFAULT_OBSERVE_THRESHOLDS, DEFAULT_THRESHOLDS } from '../../src/protocol/deadlines.ts';
import type { FrameType, HealthSample, VerdictRecord } from '../../src/protocol/frames.ts';

export const ID = 'h-20240501.abc_9';
export const SAMPLE: HealthSample = { seq: 3, at: 1_714_000_003_000, handled: 40, errors: 1, latency_p50_ms: 12.5, latency_p99_ms: 80 };

export const RECORD: VerdictRecord = {
  v: 1,
  handoff_id: ID,
  verdict: 'rolled-back',
  reason: 'error rate 7.2% > 5% in 3 consecutive samples',
  release: '0123456789abcdef0123456789abcdef01234567',
  runtime: 'claw',
  blue_pid: 100,
  green_pid: 200,
  decided_by: 'blue',
  decided_at: 1_714_000_010_000,
  dark_window_ms: 4,
  timeline: [{ phase: 'reserved', at: 1_714_000_000_000, note: 'release x' }, { phase: 'idle', at: 1_714_000_010_000 }],
  health: [SAMPLE],
};

/** A valid, fully populated example of every frame type (plain JSON values). */
export const EXAMPLES: Record<FrameType, Record<string, unknown>> = {
  HELLO: { v: 1, type: 'HELLO', role: 'green', token: 'tok', pid: 200, handoff_id: ID, client: 'hermes-green/1' },
  WELCOME: { v: 1, type: 'WELCOME', server_pid: 100, phase: 'idle', release: 'r1', runtime: 'legacy', versions: [1] },
  ERROR: { v: 1, type: 'ERROR', code: 'busy', message: 'handoff x is baking', frame: 'RESERVE', fatal: false },
  RESERVE: {
    v: 1,
    type: 'RESERVE',
    handoff_id: ID,
    release: 'r2',
    runtime: 'claw',
    bake_ms: 300_000,
    thresholds: { ...DEFAULT_THRESHOLDS },
    deadlines: { ...DEFAULT_DEADLINES },
    observe_ms: 86_400_000,
    observe_thresholds: { ...DEFAULT_OBSERVE_THRESHOLDS },
  },
  RESERVED: {
    v: 1,
    type: 'RESERVED',
    handoff_id: ID,
    expires_at: 1_714_000_600_000,
    thresholds: { ...DEFAULT_THRESHOLDS },
    deadlines: { ...DEFAULT_DEADLINES },
    observe_ms: 86_400_000,
    observe_thresholds: { ...DEFAULT_OBSERVE_THRESHOLDS },
  },
  STATUS: { v: 1, type: 'STATUS' },
  STATE: {
    v: 1,
    type: 'STATE',
    phase: 'baking',
    server_pid: 100,
    release: 'r1',
    runtime: 'legacy',
    handoff: { id: ID, release: 'r2', runtime: 'claw', bake_ms: 300_000, green_pid: 200, started_at: 1_714_000_000_000, bake_started_at: null },
    timeline: [{ phase: 'reserved', at: 1_714_000_000_000 }],
    health: [SAMPLE],
    last_verdict: RECORD,
    standby: { pid: 90, handoff_id: 'h-before', until: 1_714_086_400_000, rss_bytes: 41_943_040 },
  },
  SUBSCRIBE: { v: 1, type: 'SUBSCRIBE' },
  EVENT: { v: 1, type: 'EVENT', event: { kind: 'phase', handoff_id: ID, phase: 'init', at: 1_714_000_001_000, note: 'green pid 200' } },
  ABORT: { v: 1, type: 'ABORT', handoff_id: ID, reason: 'operator asked' },
  ABORTING: { v: 1, type: 'ABORTING', handoff_id: ID, phase: 'baking' },
  HANDOFF_INIT: {
    v: 1,
    type: 'HANDOFF_INIT',
    handoff_id: ID,
    blue_pid: 100,
    release: 'r1',
    runtime: 'legacy',
    store: { path: '/home/h/.hermes/store', schema: 3 },
    bake_ms: 300_000,
    deadlines: { ...DEFAULT_DEADLINES },
  },
  HANDOFF_ACK: { v: 1, type: 'HANDOFF_ACK', handoff_id: ID, pid: 200, runtime: 'claw', release: 'r2', store_schema: 3, init_ms: 2900 },
  HANDOFF_ACTIVE: { v: 1, type: 'HANDOFF_ACTIVE', handoff_id: ID, cursors: { telegram: { kind: 'telegram', offset: 1042 }, discord: { kind: 'discord', session_id: '9f1c2ab7e04d', seq: 4211, resume_gateway_url: 'wss://gateway-us-east1-b.discord.gg' } }, drained: 2, paused_at: 1_714_000_002_000 },
  HANDOFF_CONFIRM: { v: 1, type: 'HANDOFF_CONFIRM', handoff_id: ID, adapters: ['telegram'], polling_at: 1_714_000_002_004 },
  HEALTH: { v: 1, type: 'HEALTH', handoff_id: ID, sample: SAMPLE, cursors: { telegram: { kind: 'telegram', offset: 1050 } } },
  HANDOFF_COMPLETE: { v: 1, type: 'HANDOFF_COMPLETE', handoff_id: ID, reason: 'bake passed' },
  HANDOFF_ROLLBACK: { v: 1, type: 'HANDOFF_ROLLBACK', handoff_id: ID, reason: 'adapter failed', cursors: { telegram: { kind: 'telegram', offset: 1049 } } },
  HANDOFF_STOPPED: { v: 1, type: 'HANDOFF_STOPPED', handoff_id: ID, cursors: { telegram: { kind: 'telegram', offset: 1051 } } },
  STANDBY_WELCOME: { v: 1, type: 'STANDBY_WELCOME', handoff_id: ID, server_pid: 200, release: 'r2', runtime: 'claw', until: 1_714_086_400_000, heartbeat_ms: 1_000 },
  STANDBY_STATUS: { v: 1, type: 'STANDBY_STATUS', rss_bytes: 41_943_040, until: 1_714_086_400_000 },
  STANDBY_END: { v: 1, type: 'STANDBY_END', handoff_id: ID, reason: 'superseded by handoff h-next' },
};

/** Top-level fields each type may leave out (beside none); every other field is required. */
export const OPTIONAL: Record<FrameType, readonly string[]> = {
  HELLO: ['handoff_id', 'client'],
  WELCOME: [],
  ERROR: ['frame'],
  RESERVE: ['thresholds', 'deadlines', 'observe_ms', 'observe_thresholds'],
  RESERVED: [],
  STATUS: [],
  STATE: ['standby'],
  SUBSCRIBE: [],
  EVENT: [],
  ABORT: [],
  ABORTING: [],
  HANDOFF_INIT: [],
  HANDOFF_ACK: [],
  HANDOFF_ACTIVE: [],
  HANDOFF_CONFIRM: [],
  HEALTH: [],
  HANDOFF_COMPLETE: [],
  HANDOFF_ROLLBACK: ['cursors'],
  HANDOFF_STOPPED: [],
  STANDBY_WELCOME: [],
  STANDBY_STATUS: [],
  STANDBY_END: [],
};

/** A deep copy of the example of `type`, with `patch` laid over its top level. */
export function example(type: FrameType, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(structuredClone(EXAMPLES[type]) as Record<string, unknown>), ...patch };
}

/** Handoff ids that must be refused wherever one is accepted, with why. */
export const BAD_IDS: [string, unknown][] = [
  ['empty', ''],
  ['65 characters', 'a'.repeat(65)],
  ['a slash', 'a/b'],
  ['a leading slash', '/etc'],
  ['"."', '.'],
  ['".."', '..'],
  ['a parent path', '../x'],
  ['a space', 'a b'],
  ['a tab', 'a\tb'],
  ['a trailing newline', 'abc\n'],
  ['unicode', 'hándoff'],
  ['a NUL', 'a\u0000b'],
  ['a shell metacharacter', 'a;b'],
  ['a dollar', '$(id)'],
  ['a backslash', 'a\\b'],
  ['a number', 42],
  ['null', null],
];

/** Handoff ids that must be accepted. */
export const GOOD_IDS = ['a', 'A-z_0.9', 'a'.repeat(64), '...', '.hidden', '-x', '20240501T120000Z-abc123'];
