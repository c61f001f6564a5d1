// Runs every language-neutral vector of conformance/ (its README.md describes the format) against the
// Node implementation, and keeps docs/protocol.schema.json fresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Thresholds } from '../../src/protocol/deadlines.ts';
import { formatDuration, formatNumber, formatPercent } from '../../src/protocol/format.ts';
import { FrameDecoder, type Decoded } from '../../src/protocol/framing.ts';
import type { HealthSample } from '../../src/protocol/frames.ts';
import { baselineOf, judgeSample, promotionReason, type Baseline, type Breaches, type Reply } from '../../src/protocol/health.ts';
import { protocolJsonSchema } from '../../src/protocol/json-schema.ts';
import { initialState, step, type BlueEvent, type BlueSelf } from '../../src/protocol/machine.ts';
import type { VerdictRecord } from '../../src/protocol/frames.ts';
import { standbyStart, standbyStep, type StandbyEvent, type StandbySetup } from '../../src/protocol/standby.ts';

const DIR = join(import.meta.dirname, '..', '..', 'conformance');
const load = <T>(file: string): T => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as T;

type Chunk = { text: string } | { hex: string } | { repeat: string; count: number };
interface ErrorResult {
  code: string;
  fatal: boolean;
  frame?: string;
  message?: string;
  message_prefix?: string;
}
type Result = { frame: Record<string, unknown> } | { error: ErrorResult };

const bytes = (c: Chunk): Buffer => ('text' in c ? Buffer.from(c.text, 'utf8') : 'hex' in c ? Buffer.from(c.hex, 'hex') : Buffer.from(c.repeat.repeat(c.count), 'utf8'));

function assertResult(got: Decoded | undefined, want: Result, where: string): void {
  assert.ok(got, `${where}: a result`);
  if ('frame' in want) {
    assert.ok(got.ok, `${where}: expected a frame, got ${got.ok ? '' : `${got.code}: ${got.message}`}`);
    assert.deepEqual(got.frame, want.frame, where);
    return;
  }
  assert.ok(!got.ok, `${where}: expected ${want.error.code}, got a ${got.ok ? got.frame.type : ''} frame`);
  const e = want.error;
  assert.equal(got.code, e.code, where);
  assert.equal(got.fatal, e.fatal, where);
  assert.equal(got.frame ?? null, e.frame ?? null, `${where}: frame`);
  if (e.message !== undefined) assert.equal(got.message, e.message, where);
  if (e.message_prefix !== undefined) assert.ok(got.message.startsWith(e.message_prefix), `${where}: ${JSON.stringify(got.message)} starts with ${JSON.stringify(e.message_prefix)}`);
}

test('conformance/framing.json: every stream decodes to its results, in its chunks and in one piece', () => {
  const { cases } = load<{ cases: { name: string; input: Chunk[]; results: Result[] }[] }>('framing.json');
  assert.ok(cases.length >= 40);
  for (const c of cases) {
    for (const split of [c.input.map(bytes), [Buffer.concat(c.input.map(bytes))]]) {
      const d = new FrameDecoder();
      const got = split.flatMap((b) => d.push(b));
      assert.equal(got.length, c.results.length, `${c.name}: ${got.length} results`);
      c.results.forEach((want, i) => assertResult(got[i], want, `${c.name} #${i}`));
    }
  }
});

test('conformance/format.json: durations, percentages and numbers', () => {
  const v = load<{
    durations: { ms: number; other?: number; text: string }[];
    percents: { fraction: number; other?: number; text: string }[];
    numbers: { x: number; digits: number; text: string }[];
  }>('format.json');
  for (const c of v.durations) assert.equal(formatDuration(c.ms, c.other), c.text, JSON.stringify(c));
  for (const c of v.percents) assert.equal(formatPercent(c.fraction, c.other), c.text, JSON.stringify(c));
  for (const c of v.numbers) assert.equal(formatNumber(c.x, c.digits), c.text, JSON.stringify(c));
});

test('conformance/health.json: judgements, baselines and promotion reasons', () => {
  type Sample = HealthSample;
  const v = load<{
    judge: { name: string; thresholds: Partial<Thresholds>; baseline: Baseline; samples: Sample[]; expect: { breaches: Breaches; reason: string | null }[] }[];
    baseline: { name: string; now: number; replies: Reply[]; expect: Baseline }[];
    promotion: { name: string; bake_ms: number; thresholds: Partial<Thresholds>; samples: Sample[]; notes?: string[]; expect: string }[];
  }>('health.json');
  for (const c of v.judge) {
    const t = Thresholds.parse(c.thresholds);
    let prev: Breaches = { error: 0, latency: 0 };
    c.samples.forEach((s, i) => {
      const j = judgeSample(s, c.baseline, t, prev);
      assert.deepEqual(j, c.expect[i], `${c.name}, sample ${i + 1}`);
      prev = j.breaches;
    });
  }
  for (const c of v.baseline) assert.deepEqual(baselineOf(c.replies, c.now), c.expect, c.name);
  for (const c of v.promotion) assert.equal(promotionReason(c.bake_ms, c.samples, Thresholds.parse(c.thresholds), c.notes), c.expect, c.name);
});

interface Transcript {
  name: string;
  self: BlueSelf;
  last_verdict: VerdictRecord | null;
  steps: { event: BlueEvent; effects: unknown[]; phase: string; deadline: number | null }[];
}

test("conformance/blue-*.json: blue's step turns every event into the effects, phase and deadline recorded", () => {
  const files = readdirSync(DIR).filter((f) => /^blue-.*\.json$/.test(f));
  assert.ok(files.length >= 4);
  let steps = 0;
  for (const file of files) {
    for (const tr of load<{ transcripts: Transcript[] }>(file).transcripts) {
      let s = initialState(tr.self, tr.last_verdict);
      tr.steps.forEach((st, i) => {
        const r = step(s, st.event);
        const where = `${file}: ${tr.name}, step ${i + 1} (${st.event.type})`;
        assert.deepEqual(JSON.parse(JSON.stringify(r.effects)), st.effects, where);
        assert.equal(r.state.phase, st.phase, where);
        assert.equal(r.state.deadline, st.deadline, where);
        s = r.state;
        steps++;
      });
    }
  }
  assert.ok(steps > 200, `${steps} steps`);
});

interface StandbyTranscript {
  name: string;
  setup: StandbySetup;
  start_at: number;
  start: { effects: unknown[]; phase: string; deadline: number | null };
  steps: { event: StandbyEvent; effects: unknown[]; phase: string; deadline: number | null }[];
}

test("conformance/standby.json: the standby's step turns every event into the effects, phase and deadline recorded", () => {
  let steps = 0;
  for (const tr of load<{ transcripts: StandbyTranscript[] }>('standby.json').transcripts) {
    const start = standbyStart(tr.setup, tr.start_at);
    assert.deepEqual(JSON.parse(JSON.stringify(start.effects)), tr.start.effects, `${tr.name}: start`);
    assert.equal(start.state.phase, tr.start.phase);
    assert.equal(start.state.deadline, tr.start.deadline);
    let s = start.state;
    tr.steps.forEach((st, i) => {
      const r = standbyStep(s, st.event);
      const where = `standby.json: ${tr.name}, step ${i + 1} (${st.event.type})`;
      assert.deepEqual(JSON.parse(JSON.stringify(r.effects)), st.effects, where);
      assert.equal(r.state.phase, st.phase, where);
      assert.equal(r.state.deadline, st.deadline, where);
      s = r.state;
      steps++;
    });
  }
  assert.ok(steps > 40, `${steps} steps`);
});

test('docs/protocol.schema.json is the JSON Schema of the zod schemas (regenerate: node --import tsx scripts/gen-protocol-schema.ts)', () => {
  const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.schema.json'), 'utf8'));
  assert.deepEqual(file, protocolJsonSchema());
});
