import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeLine } from '../../src/protocol/framing.ts';
import assert from 'node:assert/strict';
import {
  Cursors,
  ErrorCode,
  FRAME_SCHEMAS,
  Frame,
  HealthSample,
  isFrameType,
  PROTOCOL_VERSION,
  VerdictRecord,
  type FrameType,
} from '../../src/protocol/frames.ts';
import { DEFAULT_DEADLINES, DEFAULT_OBSERVE_THRESHOLDS, DEFAULT_THRESHOLDS, Deadlines, Thresholds } from '../../src/protocol/deadlines.ts';
import { HandoffId, parseHandoffId } from '../../src/protocol/ids.ts';
import { BAD_IDS, EXAMPLES, example, GOOD_IDS, ID, OPTIONAL, RECORD, SAMPLE } from './examples.ts';

const TYPES = Object.keys(FRAME_SCHEMAS) as FrameType[];

/** Parses `value` with the schema of `type` and with the union; both must agree. */
function parse(type: FrameType, value: unknown): { ok: boolean; data?: unknown; message?: string } {
  const one = FRAME_SCHEMAS[type].safeParse(value);
  const all = Frame.safeParse(value);
  assert.equal(all.success, one.success, `${type}: the union and the schema disagree on ${JSON.stringify(value).slice(0, 200)}`);
  return one.success ? { ok: true, data: one.data } : { ok: false, message: one.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

function refused(type: FrameType, value: unknown, why: string): void {
  const r = parse(type, value);
  assert.equal(r.ok, false, `${type} with ${why} should be refused`);
}

/** A value of another JSON type than `v`. */
function wrongType(v: unknown): unknown {
  if (typeof v === 'string') return 12345;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return {};
  return 'x';
}

test('FRAME_SCHEMAS covers the 22 frame types of v1 and the examples cover them all', () => {
  assert.deepEqual(TYPES.sort(), Object.keys(EXAMPLES).sort());
  assert.equal(TYPES.length, 22);
  assert.equal(PROTOCOL_VERSION, 1);
});

test('every example frame is valid and parses to itself', () => {
  for (const t of TYPES) {
    const r = parse(t, EXAMPLES[t]);
    assert.ok(r.ok, `${t}: ${r.message}`);
    assert.deepEqual(r.data, EXAMPLES[t], t);
  }
});

test('every required field is required and every optional one may be left out', () => {
  for (const t of TYPES) {
    for (const key of Object.keys(EXAMPLES[t])) {
      const value = example(t);
      delete value[key];
      const r = parse(t, value);
      if (key !== 'v' && OPTIONAL[t].includes(key)) assert.ok(r.ok, `${t} without optional ${key}: ${r.message}`);
      else assert.equal(r.ok, false, `${t} without ${key} should be refused`);
    }
  }
});

test('a field of the wrong JSON type is refused, for every field of every frame', () => {
  for (const t of TYPES) {
    for (const [key, v] of Object.entries(EXAMPLES[t])) {
      refused(t, example(t, { [key]: wrongType(v) }), `${key} as ${JSON.stringify(wrongType(v))}`);
    }
  }
});

test('a frame is refused by the schema of another type', () => {
  for (const t of TYPES) {
    for (const other of TYPES) if (other !== t) assert.equal(FRAME_SCHEMAS[other].safeParse(EXAMPLES[t]).success, false, `${t} read as ${other}`);
  }
  assert.equal(Frame.safeParse({ v: 1, type: 'HELLO_THERE' }).success, false);
  assert.equal(Frame.safeParse({ v: 1, type: 'hello', role: 'green', token: 't', pid: 1 }).success, false, 'types are case-sensitive');
});

test('"v" must be an integer >= 1; a higher version of a known frame is read as v1', () => {
  for (const t of TYPES) {
    for (const v of [0, -1, 1.5, '1', null, true, Number.NaN]) refused(t, example(t, { v }), `v ${String(v)}`);
    const two = parse(t, example(t, { v: 2 }));
    assert.ok(two.ok, `${t} v2: ${two.message}`);
    assert.equal((two.data as { v: number }).v, 2);
  }
});

test('unknown fields are ignored: stripped at the top and inside nested objects', () => {
  const r = parse('HELLO', example('HELLO', { future_field: { a: 1 }, capabilities: ['x'] }));
  assert.ok(r.ok, r.message);
  assert.deepEqual(r.data, EXAMPLES.HELLO);

  const init = example('HANDOFF_INIT');
  (init.store as Record<string, unknown>).compression = 'zstd';
  (init.deadlines as Record<string, unknown>).future_ms = 5;
  const ri = parse('HANDOFF_INIT', init);
  assert.ok(ri.ok, ri.message);
  assert.deepEqual(ri.data, EXAMPLES.HANDOFF_INIT);

  const r2 = parse('HEALTH', example('HEALTH', { sample: { ...SAMPLE, cpu: 0.5 } }));
  assert.ok(r2.ok, r2.message);
  assert.deepEqual((r2.data as { sample: unknown }).sample, SAMPLE);

  const r3 = parse('EVENT', { v: 1, type: 'EVENT', event: { kind: 'health', handoff_id: ID, sample: SAMPLE, extra: true }, extra: 1 });
  assert.ok(r3.ok, r3.message);
  assert.deepEqual(r3.data, { v: 1, type: 'EVENT', event: { kind: 'health', handoff_id: ID, sample: SAMPLE } });
});

test('handoff ids: refused in every frame that carries one (HELLO: by blue, after the token), and in parseHandoffId', () => {
  // HELLO's id is a string here; blue checks it as a handoff id once the token is right (test/peer/blue.test.ts).
  for (const [why, id] of BAD_IDS) {
    const r = parse('HELLO', example('HELLO', { handoff_id: id }));
    assert.equal(r.ok, typeof id === 'string', `HELLO with a handoff id with ${why}`);
  }
  const carriers: [FrameType, (id: unknown) => Record<string, unknown>][] = [
    ['RESERVE', (id) => example('RESERVE', { handoff_id: id })],
    ['RESERVED', (id) => example('RESERVED', { handoff_id: id })],
    ['ABORT', (id) => example('ABORT', { handoff_id: id })],
    ['ABORTING', (id) => example('ABORTING', { handoff_id: id })],
    ['HANDOFF_INIT', (id) => example('HANDOFF_INIT', { handoff_id: id })],
    ['HANDOFF_ACK', (id) => example('HANDOFF_ACK', { handoff_id: id })],
    ['HANDOFF_ACTIVE', (id) => example('HANDOFF_ACTIVE', { handoff_id: id })],
    ['HANDOFF_CONFIRM', (id) => example('HANDOFF_CONFIRM', { handoff_id: id })],
    ['HEALTH', (id) => example('HEALTH', { handoff_id: id })],
    ['HANDOFF_COMPLETE', (id) => example('HANDOFF_COMPLETE', { handoff_id: id })],
    ['HANDOFF_ROLLBACK', (id) => example('HANDOFF_ROLLBACK', { handoff_id: id })],
    ['HANDOFF_STOPPED', (id) => example('HANDOFF_STOPPED', { handoff_id: id })],
    ['STATE', (id) => example('STATE', { handoff: { ...(EXAMPLES.STATE.handoff as object), id } })],
    ['STATE', (id) => example('STATE', { last_verdict: { ...RECORD, handoff_id: id } })],
    ['EVENT', (id) => example('EVENT', { event: { kind: 'phase', handoff_id: id, phase: 'init', at: 1 } })],
    ['EVENT', (id) => example('EVENT', { event: { kind: 'health', handoff_id: id, sample: SAMPLE } })],
    ['EVENT', (id) => example('EVENT', { event: { kind: 'verdict', record: { ...RECORD, handoff_id: id } } })],
  ];
  for (const [why, id] of BAD_IDS) {
    assert.equal(HandoffId.safeParse(id).success, false, `HandoffId with ${why}`);
    assert.throws(() => parseHandoffId(id), (e: Error) => e.message.startsWith(`invalid handoff id ${JSON.stringify(id)}: `), `parseHandoffId with ${why}`);
    assert.equal(VerdictRecord.safeParse({ ...RECORD, handoff_id: id }).success, false, `verdict record with ${why}`);
    for (const [t, make] of carriers) {
      refused(t, make(id), `handoff id with ${why}`);
    }
  }
  for (const id of GOOD_IDS) {
    assert.equal(parseHandoffId(id), id);
    for (const [t, make] of carriers) assert.ok(parse(t, make(id)).ok, `${t} with id ${id}`);
  }
  assert.match(String(assertThrows(() => parseHandoffId('..'))), /cannot be "\." or "\.\."/);
  assert.match(String(assertThrows(() => parseHandoffId('a/b'))), /1-64 characters of A-Z a-z 0-9 \. _ -/);
});

function assertThrows(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a throw');
}

test('numbers out of range are refused', () => {
  const cases: [FrameType, Record<string, unknown>, string][] = [
    ['HELLO', { pid: 0 }, 'pid 0'],
    ['HELLO', { pid: -5 }, 'negative pid'],
    ['HELLO', { pid: 1.5 }, 'fractional pid'],
    ['HELLO', { pid: 2 ** 60 }, 'an unsafe integer pid'],
    ['WELCOME', { server_pid: 0 }, 'server_pid 0'],
    ['WELCOME', { versions: [] }, 'no versions'],
    ['WELCOME', { versions: [1.5] }, 'a fractional version'],
    ['RESERVE', { bake_ms: -1 }, 'negative bake'],
    ['RESERVE', { bake_ms: 0.5 }, 'fractional bake'],
    ['RESERVE', { thresholds: { max_error_rate: 1.01 } }, 'error rate above 1'],
    ['RESERVE', { thresholds: { max_error_rate: -0.1 } }, 'negative error rate'],
    ['RESERVE', { thresholds: { max_latency_factor: 0.9 } }, 'latency factor below 1'],
    ['RESERVE', { thresholds: { latency_floor_ms: -1 } }, 'negative latency floor'],
    ['RESERVE', { thresholds: { max_heartbeat_age_ms: 0 } }, 'heartbeat age 0'],
    ['RESERVE', { thresholds: { consecutive: 0 } }, 'consecutive 0'],
    ['RESERVE', { thresholds: { consecutive: 101 } }, 'consecutive 101'],
    ['RESERVE', { thresholds: { consecutive: 2.5 } }, 'fractional consecutive'],
    ['RESERVE', { deadlines: { claim_ms: 0 } }, 'claim 0'],
    ['RESERVE', { deadlines: { ack_ms: -1 } }, 'negative ack deadline'],
    ['RESERVE', { deadlines: { drain_ms: 1.5 } }, 'fractional drain deadline'],
    ['RESERVED', { expires_at: -1 }, 'negative expiry'],
    ['HANDOFF_INIT', { blue_pid: 0 }, 'blue_pid 0'],
    ['HANDOFF_INIT', { store: { path: '/s', schema: -1 } }, 'negative store schema'],
    ['HANDOFF_INIT', { deadlines: { ...DEFAULT_DEADLINES, rollback_grace_ms: 0 } }, 'rollback grace 0'],
    ['HANDOFF_ACK', { pid: -1 }, 'negative pid'],
    ['HANDOFF_ACK', { store_schema: 1.5 }, 'fractional store schema'],
    ['HANDOFF_ACK', { init_ms: -3 }, 'negative init time'],
    ['HANDOFF_ACTIVE', { drained: -1 }, 'negative drained'],
    ['HANDOFF_ACTIVE', { paused_at: 1.25 }, 'fractional paused_at'],
    ['HANDOFF_CONFIRM', { polling_at: -1 }, 'negative polling_at'],
    ['HEALTH', { sample: { ...SAMPLE, seq: -1 } }, 'negative seq'],
    ['HEALTH', { sample: { ...SAMPLE, handled: 1.5 } }, 'fractional handled'],
    ['HEALTH', { sample: { ...SAMPLE, errors: -1 } }, 'negative errors'],
    ['HEALTH', { sample: { ...SAMPLE, latency_p99_ms: -0.1 } }, 'negative latency'],
    ['STATE', { last_verdict: { ...RECORD, dark_window_ms: -1 } }, 'negative dark window'],
    ['STATE', { last_verdict: { ...RECORD, decided_at: -1 } }, 'negative decided_at'],
    ['STATE', { handoff: { ...(EXAMPLES.STATE.handoff as object), green_pid: 0 } }, 'green_pid 0 in the view'],
  ];
  for (const [t, patch, why] of cases) {
    const base = example(t);
    // Nested patches are merged one level deep so only the named field changes.
    for (const [k, v] of Object.entries(patch)) {
      base[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && typeof base[k] === 'object' ? { ...(base[k] as object), ...v } : v;
    }
    refused(t, base, why);
  }
});

test('strings and lists beyond their limits are refused, and at their limits accepted', () => {
  const edges: [FrameType, string, unknown, unknown][] = [
    ['HELLO', 'token', 'x'.repeat(512), 'x'.repeat(513)],
    ['HELLO', 'token', 't', ''],
    ['HELLO', 'client', 'c'.repeat(128), 'c'.repeat(129)],
    ['ERROR', 'message', 'm'.repeat(4096), 'm'.repeat(4097)],
    ['ERROR', 'frame', 'F'.repeat(64), 'F'.repeat(65)],
    ['RESERVE', 'release', 'r'.repeat(200), 'r'.repeat(201)],
    ['RESERVE', 'release', 'r', ''],
    ['RESERVE', 'runtime', 'x'.repeat(64), 'x'.repeat(65)],
    ['RESERVE', 'runtime', 'x', ''],
    ['ABORT', 'reason', 'w'.repeat(4096), 'w'.repeat(4097)],
    ['HANDOFF_COMPLETE', 'reason', 'w'.repeat(4096), 'w'.repeat(4097)],
    ['HANDOFF_CONFIRM', 'adapters', Array.from({ length: 64 }, (_, i) => `a${i}`), Array.from({ length: 65 }, (_, i) => `a${i}`)],
    ['HANDOFF_CONFIRM', 'adapters', ['a'.repeat(64)], ['a'.repeat(65)]],
    ['WELCOME', 'phase', 'rolling-back', 'rolling_back'],
    ['ERROR', 'code', 'too_many', 'overloaded'],
    ['HELLO', 'role', 'observer', 'admin'],
  ];
  for (const [t, key, ok, bad] of edges) {
    const r = parse(t, example(t, { [key]: ok }));
    assert.ok(r.ok, `${t}.${key} at its limit: ${r.message}`);
    refused(t, example(t, { [key]: bad }), `${key} ${JSON.stringify(bad).slice(0, 40)}`);
  }
  const manyEntries = Array.from({ length: 257 }, (_, i) => ({ phase: 'x', at: i }));
  assert.equal(VerdictRecord.safeParse({ ...RECORD, timeline: manyEntries.slice(0, 256) }).success, true);
  assert.equal(VerdictRecord.safeParse({ ...RECORD, timeline: manyEntries }).success, false);
  assert.equal(VerdictRecord.safeParse({ ...RECORD, reason: 'r'.repeat(4097) }).success, false);
});

const TG = { kind: 'telegram', offset: 1042 };
const DC = { kind: 'discord', session_id: '9f1c2ab7e04d', seq: 4211, resume_gateway_url: 'wss://gateway-us-east1-b.discord.gg' };

test('cursors: per adapter name, typed by kind (telegram {offset}, discord {session_id, seq, resume_gateway_url})', () => {
  assert.ok(Cursors.safeParse({}).success);
  assert.ok(Cursors.safeParse({ telegram: TG, discord: DC, ['k'.repeat(64)]: { ...TG, offset: 0 }, 'tg-2_b': { ...TG, offset: 2 ** 53 - 1 } }).success);
  assert.ok(Cursors.safeParse({ d: { ...DC, resume_gateway_url: 'ws://127.0.0.1:9/gateway?v=10&encoding=json' } }).success);
  const bad: [string, unknown][] = [
    ['an empty name', { '': TG }],
    ['a 65-character name', { ['k'.repeat(65)]: TG }],
    ['an upper-case name', { Telegram: TG }],
    ['a bare number (the old form)', { telegram: 5 }],
    ['a string', { telegram: '5' }],
    ['a negative offset', { t: { ...TG, offset: -1 } }],
    ['a fractional offset', { t: { ...TG, offset: 1.5 } }],
    ['an offset past 2^53-1', { t: { ...TG, offset: 2 ** 53 } }],
    ['a boolean offset', { t: { ...TG, offset: true } }],
    ['no kind', { t: { offset: 1 } }],
    ['an unknown kind', { t: { kind: 'irc', offset: 1 } }],
    ['an empty session id', { d: { ...DC, session_id: '' } }],
    ['a 129-character session id', { d: { ...DC, session_id: 's'.repeat(129) } }],
    ['a negative seq', { d: { ...DC, seq: -1 } }],
    ['an https resume URL', { d: { ...DC, resume_gateway_url: 'https://gateway.discord.gg' } }],
    ['a resume URL with a space', { d: { ...DC, resume_gateway_url: 'wss://a b' } }],
    ['a 513-character resume URL', { d: { ...DC, resume_gateway_url: `wss://${'g'.repeat(507)}` } }],
    ['a telegram cursor missing its offset', { t: { kind: 'telegram' } }],
    ['65 adapters', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, TG]))],
    ['an array', [TG]],
  ];
  for (const [why, value] of bad) assert.equal(Cursors.safeParse(value).success, false, why);
});

test('cursors: an unknown adapter kind is a bad frame naming the path and the kinds known', () => {
  const d = decodeLine(Buffer.from(JSON.stringify(example('HANDOFF_ACTIVE', { cursors: { irc: { kind: 'irc', channel: '#x' } } }))));
  assert.deepEqual(d, {
    ok: false,
    code: 'bad_frame',
    message: 'HANDOFF_ACTIVE: cursors.irc.kind: unknown adapter kind "irc"; expected telegram or discord',
    frame: 'HANDOFF_ACTIVE',
    fatal: true,
  });
  const noKind = decodeLine(Buffer.from(JSON.stringify(example('HEALTH', { cursors: { telegram: 5 } }))));
  assert.equal(!noKind.ok && noKind.message, 'HEALTH: cursors.telegram: an adapter cursor is an object with a "kind": telegram or discord');
  const badName = decodeLine(Buffer.from(JSON.stringify(example('HANDOFF_STOPPED', { cursors: { 'Bad Name': TG } }))));
  assert.equal(!badName.ok && badName.message, 'HANDOFF_STOPPED: cursors.Bad Name: an adapter name is 1-64 characters of a-z 0-9 _ -');
});

test('EVENT carries exactly one of phase, health or verdict', () => {
  const ok = [
    { kind: 'phase', handoff_id: ID, phase: 'idle', at: 0 },
    { kind: 'health', handoff_id: ID, sample: SAMPLE },
    { kind: 'verdict', record: RECORD },
  ];
  for (const event of ok) assert.ok(parse('EVENT', { v: 1, type: 'EVENT', event }).ok, event.kind);
  for (const event of [{ kind: 'log', text: 'x' }, { kind: 'phase', handoff_id: ID, phase: 'done', at: 0 }, { kind: 'verdict' }, {}, null]) {
    refused('EVENT', { v: 1, type: 'EVENT', event }, `event ${JSON.stringify(event)}`);
  }
});

test('verdict records: nullable green pid and dark window, and the decider', () => {
  assert.ok(VerdictRecord.safeParse({ ...RECORD, green_pid: null, dark_window_ms: null }).success);
  assert.ok(VerdictRecord.safeParse({ ...RECORD, record_error: 'disk full' }).success);
  assert.ok(VerdictRecord.safeParse({ ...RECORD, dark_window_ms: 0.25 }).success, 'a dark window may be fractional');
  for (const patch of [{ verdict: 'timed-out' }, { decided_by: 'observer' }, { green_pid: 0 }, { health: [{ ...SAMPLE, at: -1 }] }]) {
    assert.equal(VerdictRecord.safeParse({ ...RECORD, ...patch }).success, false, JSON.stringify(patch));
  }
  assert.ok(HealthSample.safeParse(SAMPLE).success);
});

/** The defaults docs/protocol.md section 10 lists: name -> the number in its "default" column. */
function documentedDefaults(): Map<string, number> {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const start = doc.indexOf('\n## 10. ');
  const section = doc.slice(start, doc.indexOf('\n## 11. ', start));
  const out = new Map<string, number>();
  for (const m of section.matchAll(/^\| `([a-z_]+)` \| ([0-9.]+)[ |]/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

test('defaults of every deadline and threshold are the ones docs/protocol.md lists', () => {
  const documented = documentedDefaults();
  const code = { ...DEFAULT_DEADLINES, ...DEFAULT_THRESHOLDS };
  assert.ok(documented.size > 0, 'the tables of section 10 were found');
  assert.deepEqual(Object.fromEntries(documented), code, 'every default in the code is documented with the same value, and no other');
  // The thresholds table's third column: the observation window's defaults.
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('\n## 10. '), doc.indexOf('\n## 11. '));
  const window = Object.fromEntries([...section.matchAll(/^\| `([a-z_]+)` \| [0-9.]+ \| ([0-9.]+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  assert.deepEqual(window, DEFAULT_OBSERVE_THRESHOLDS);
});

test('a partial set of deadlines and thresholds in RESERVE is completed from the defaults', () => {
  assert.deepEqual(Deadlines.parse({ ack_ms: 7 }), { ...DEFAULT_DEADLINES, ack_ms: 7 });
  assert.deepEqual(Thresholds.parse({ consecutive: 1 }), { ...DEFAULT_THRESHOLDS, consecutive: 1 });
  const r = parse('RESERVE', example('RESERVE', { thresholds: { max_error_rate: 0.1 }, deadlines: {} }));
  assert.ok(r.ok, r.message);
  const data = r.data as { thresholds: Partial<Thresholds>; deadlines: Partial<Deadlines> };
  assert.deepEqual(Thresholds.parse(data.thresholds), { ...DEFAULT_THRESHOLDS, max_error_rate: 0.1 });
  assert.deepEqual(Deadlines.parse(data.deadlines), DEFAULT_DEADLINES);
});

test('isFrameType knows exactly the v1 types, not inherited names', () => {
  for (const t of TYPES) assert.equal(isFrameType(t), true, t);
  for (const t of ['', 'hello', 'HELLO ', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'HANDOFF_ABORT']) {
    assert.equal(isFrameType(t), false, JSON.stringify(t));
  }
});

test('ErrorCode lists the documented codes', () => {
  assert.deepEqual([...ErrorCode.options].sort(), [
    'bad_frame',
    'busy',
    'exists',
    'internal',
    'timeout',
    'too_large',
    'too_many',
    'unauthorized',
    'unknown_handoff',
    'unknown_type',
    'wrong_phase',
  ]);
});
