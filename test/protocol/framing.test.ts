import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLine, encodeFrame, FrameDecoder, MAX_LINE_BYTES, type Decoded } from '../../src/protocol/framing.ts';
import { ErrorCode, ErrorFrame, Frame, type Outgoing } from '../../src/protocol/frames.ts';
import { clip } from '../../src/protocol/clip.ts';
import { EXAMPLES, ID, SAMPLE } from './examples.ts';

const enc = (s: string) => Buffer.from(s, 'utf8');

/** A valid STATUS line (no newline) of exactly `n` bytes, padded by an unknown field. */
function lineOf(n: number): string {
  const base = JSON.stringify({ v: 1, type: 'STATUS', pad: '' }).length;
  const line = JSON.stringify({ v: 1, type: 'STATUS', pad: 'x'.repeat(n - base) });
  assert.equal(Buffer.byteLength(line), n);
  return line;
}

/** Feeds `chunks` to a fresh decoder and returns everything it decoded. */
function decodeAll(chunks: Uint8Array[]): Decoded[] {
  const d = new FrameDecoder();
  return chunks.flatMap((c) => d.push(c));
}

/** Splits `bytes` at the given cut points. */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

function frames(ds: Decoded[]): unknown[] {
  return ds.map((d) => {
    assert.ok(d.ok, `expected a frame, got ${JSON.stringify(d)}`);
    return d.frame;
  });
}

/** Asserts that `d` is an error and returns it. */
function failure(d: Decoded | undefined): Extract<Decoded, { ok: false }> {
  assert.ok(d && !d.ok, `expected an error, got ${JSON.stringify(d)?.slice(0, 200)}`);
  return d;
}

/** An error result as blue sends it must itself be a valid ERROR frame. */
function assertSendable(d: Decoded): void {
  if (d.ok) {
    assert.ok(Frame.safeParse(d.frame).success);
    return;
  }
  const frame = { v: 1, type: 'ERROR', code: d.code, message: d.message, fatal: d.fatal, ...(d.frame !== undefined ? { frame: d.frame } : {}) };
  const r = ErrorFrame.safeParse(frame);
  assert.ok(r.success, `ERROR frame for ${d.code} is invalid: ${r.success ? '' : r.error.issues[0]?.message} (message ${d.message.length} chars)`);
  assert.ok(d.message.length > 0);
}

test('encodeFrame: one line, newline-terminated, v filled in, newlines in values escaped', () => {
  const line = encodeFrame({ type: 'ABORT', handoff_id: ID, reason: 'two\nlines\r\u2028and a separator' });
  assert.ok(line.endsWith('\n'));
  assert.equal(line.indexOf('\n'), line.length - 1, 'only the terminator is a newline byte');
  assert.equal(line.indexOf('\r'), -1);
  assert.deepEqual(JSON.parse(line), { type: 'ABORT', handoff_id: ID, reason: 'two\nlines\r\u2028and a separator', v: 1 });
  assert.equal(JSON.parse(encodeFrame({ type: 'STATUS', v: 2 })).v, 2, 'an explicit v is kept');
  // Lone surrogates are escaped, so the line is valid UTF-8 and decodes back.
  const lone = encodeFrame({ type: 'ABORT', handoff_id: ID, reason: 'x\ud800y' });
  const d = decodeLine(enc(lone.slice(0, -1)));
  assert.ok(d.ok && d.frame.type === 'ABORT' && d.frame.reason === 'x\ud800y');
});

test('encodeFrame: a line of exactly 64 KiB is allowed, one byte more throws naming the frame', () => {
  const pad = (n: number) => ({ type: 'STATUS', pad: 'x'.repeat(n - JSON.stringify({ type: 'STATUS', pad: '', v: 1 }).length) }) as unknown as Outgoing;
  assert.equal(Buffer.byteLength(encodeFrame(pad(MAX_LINE_BYTES))), MAX_LINE_BYTES + 1);
  assert.throws(() => encodeFrame(pad(MAX_LINE_BYTES + 1)), /^Error: STATUS frame is larger than 65536 bytes$/);
  // Multi-byte characters count as bytes, not as characters.
  const big = { type: 'STATUS', pad: 'é'.repeat(MAX_LINE_BYTES / 2) } as unknown as Outgoing;
  assert.throws(() => encodeFrame(big), /STATUS frame is larger/);
});

test('decodeLine: every example frame round-trips through encodeFrame', () => {
  for (const [type, f] of Object.entries(EXAMPLES)) {
    const line = encodeFrame(f as Outgoing);
    const d = decodeLine(enc(line.slice(0, -1)));
    assert.ok(d.ok, `${type}: ${JSON.stringify(d)}`);
    assert.deepEqual(d.frame, f);
  }
});

test('decodeLine: invalid UTF-8 is a fatal bad_frame', () => {
  const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]];
  for (const seq of bad) {
    const line = Buffer.concat([enc('{"v":1,"type":"ABORT","handoff_id":"x","reason":"'), Buffer.from(seq), enc('"}')]);
    const d = failure(decodeLine(line));
    assert.deepEqual(d, { ok: false, code: 'bad_frame', message: 'line is not valid UTF-8', fatal: true }, `bytes ${seq}`);
  }
});

test('decodeLine: invalid JSON, and JSON that is not an object, are fatal bad_frame', () => {
  for (const text of ['{', '{"v":1,"type":"STATUS"', 'hello', '{"v":1,"type":"STATUS"} trailing', "{'v':1}", '\u0000', ' ']) {
    assert.deepEqual(decodeLine(enc(text)), { ok: false, code: 'bad_frame', message: 'line is not valid JSON', fatal: true }, text);
  }
  for (const text of ['[]', '[{"v":1,"type":"STATUS"}]', '1', '-0.5', 'null', 'true', '"STATUS"']) {
    assert.deepEqual(decodeLine(enc(text)), { ok: false, code: 'bad_frame', message: 'a frame must be a JSON object', fatal: true }, text);
  }
  for (const text of ['{}', '{"v":1}', '{"v":1,"type":5}', '{"v":1,"type":null}', '{"v":1,"type":["HELLO"]}']) {
    assert.deepEqual(decodeLine(enc(text)), { ok: false, code: 'bad_frame', message: 'a frame needs a string "type"', fatal: true }, text);
  }
});

test('decodeLine: "v" is checked before the type is looked up', () => {
  for (const v of ['0', '-1', '1.5', '"1"', 'null', '[1]']) {
    const d = failure(decodeLine(enc(`{"v":${v},"type":"HELLO"}`)));
    assert.deepEqual(d, { ok: false, code: 'bad_frame', message: 'HELLO: "v" must be an integer >= 1', frame: 'HELLO', fatal: true }, `v ${v}`);
  }
  assert.equal(failure(decodeLine(enc('{"type":"NEWTHING"}'))).fatal, true, 'a frame without v is bad even when its type is unknown');
  const two = decodeLine(enc('{"v":2,"type":"STATUS","since":"v2"}'));
  assert.deepEqual(two, { ok: true, frame: { v: 2, type: 'STATUS' } }, 'a v2 frame of a known type is read as v1');
});

test('decodeLine: an unknown type is not fatal and names the type, clipped to 64 characters', () => {
  assert.deepEqual(decodeLine(enc('{"v":1,"type":"HANDOFF_PAUSE","x":1}')), {
    ok: false,
    code: 'unknown_type',
    message: 'unknown frame type "HANDOFF_PAUSE"',
    frame: 'HANDOFF_PAUSE',
    fatal: false,
  });
  const long = 'T'.repeat(1000);
  const d = failure(decodeLine(enc(JSON.stringify({ v: 1, type: long }))));
  assert.equal(d.frame, 'T'.repeat(64));
  assertSendable(d);
  for (const t of ['toString', '__proto__', 'constructor']) assert.equal(failure(decodeLine(enc(JSON.stringify({ v: 1, type: t })))).code, 'unknown_type', t);
});

test('decodeLine: a known type with invalid fields is fatal and names the field', () => {
  assert.deepEqual(failure(decodeLine(enc('{"v":1,"type":"HELLO","role":"green","token":"t","pid":0}'))).frame, 'HELLO');
  assert.match(failure(decodeLine(enc('{"v":1,"type":"HELLO","role":"green","token":"t","pid":0}'))).message, /^HELLO: pid: /);
  assert.match(failure(decodeLine(enc('{"v":1,"type":"HELLO","role":"green","token":"t"}'))).message, /^HELLO: pid: /);
  assert.match(failure(decodeLine(enc('{"v":1,"type":"HEALTH","handoff_id":"x","cursors":{},"sample":{"seq":-1}}'))).message, /^HEALTH: sample\.seq: /);
  assert.match(failure(decodeLine(enc(`{"v":1,"type":"ABORT","handoff_id":"../x","reason":"r"}`))).message, /^ABORT: handoff_id: a handoff id is 1-64 characters/);
  const ok = decodeLine(enc('{"v":1,"type":"STATUS","__proto__":{"polluted":1}}'));
  assert.ok(ok.ok);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  assert.deepEqual(Object.keys(ok.frame), ['v', 'type']);
});

test('decodeLine: an error message fits an ERROR frame even when the offending key is huge', () => {
  const key = 'k'.repeat(20_000);
  const line = JSON.stringify({ v: 1, type: 'HEALTH', handoff_id: ID, sample: SAMPLE, cursors: { [key]: 1 } });
  const d = failure(decodeLine(enc(line)));
  assert.equal(d.code, 'bad_frame');
  assert.match(d.message, /^HEALTH: cursors/);
  assertSendable(d);
});

test('clip: at most max units, an ellipsis at the cut, never half a surrogate pair', () => {
  assert.equal(clip('abc', 3), 'abc');
  assert.equal(clip('abcd', 3), 'ab\u2026');
  assert.equal(clip('a'.repeat(9) + '\u{1F600}', 11), 'a'.repeat(9) + '\u{1F600}');
  assert.equal(clip('a'.repeat(9) + '\u{1F600}b', 11), 'a'.repeat(9) + '\u2026');
  assert.equal(clip('a'.repeat(8) + '\u{1F600}bc', 11), 'a'.repeat(8) + '\u{1F600}\u2026');
});

test('FrameDecoder: several frames in one chunk, CRLF endings and empty lines', () => {
  const text = `\n${encodeFrame({ type: 'STATUS' })}\r\n\r\n${encodeFrame({ type: 'SUBSCRIBE' }).replace('\n', '\r\n')}\n\n${encodeFrame({ type: 'ABORT', handoff_id: ID, reason: 'r' })}`;
  assert.deepEqual(frames(decodeAll([enc(text)])), [
    { v: 1, type: 'STATUS' },
    { v: 1, type: 'SUBSCRIBE' },
    { v: 1, type: 'ABORT', handoff_id: ID, reason: 'r' },
  ]);
});

test('FrameDecoder: a line is decoded only once its newline arrives; pending counts the partial bytes', () => {
  const d = new FrameDecoder();
  const line = encodeFrame({ type: 'STATUS' });
  assert.deepEqual(d.push(enc(line.slice(0, 5))), []);
  assert.equal(d.pending, 5);
  assert.deepEqual(d.push(enc(line.slice(5, -1))), []);
  assert.equal(d.pending, line.length - 1);
  assert.deepEqual(frames(d.push(enc('\n'))), [{ v: 1, type: 'STATUS' }]);
  assert.equal(d.pending, 0);
  assert.deepEqual(d.push(new Uint8Array(0)), []);
});

test('FrameDecoder: a buffer the caller reuses after push does not corrupt the partial line', () => {
  const line = enc(encodeFrame({ type: 'ABORT', handoff_id: ID, reason: 'reason' }));
  const shared = Buffer.alloc(line.length);
  const d = new FrameDecoder();
  const half = 20;
  line.copy(shared, 0, 0, half);
  assert.deepEqual(d.push(shared.subarray(0, half)), []);
  shared.fill(0x41); // the stream reuses its buffer for the next read
  line.copy(shared, 0, half);
  assert.deepEqual(frames(d.push(shared.subarray(0, line.length - half))), [{ v: 1, type: 'ABORT', handoff_id: ID, reason: 'reason' }]);
});

test('FrameDecoder: a 65536-byte line is accepted, in one chunk and byte by byte, with LF or CRLF', () => {
  const line = lineOf(MAX_LINE_BYTES);
  for (const ending of ['\n', '\r\n']) {
    const bytes = enc(line + ending + encodeFrame({ type: 'SUBSCRIBE' }));
    assert.deepEqual(
      frames(decodeAll([bytes])).map((f) => (f as { type: string }).type),
      ['STATUS', 'SUBSCRIBE'],
    );
    const d = new FrameDecoder();
    const out: Decoded[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(
      frames(out).map((f) => (f as { type: string }).type),
      ['STATUS', 'SUBSCRIBE'],
    );
  }
});

test('FrameDecoder: a 65537-byte line is refused as too_large (fatal), in one chunk and in many', () => {
  const expected = { ok: false, code: 'too_large', message: 'line longer than 65536 bytes', fatal: true };
  const bytes = enc(lineOf(MAX_LINE_BYTES + 1) + '\n' + encodeFrame({ type: 'STATUS' }));
  assert.deepEqual(decodeAll([bytes]), [expected]);
  for (const size of [1, 1000, 4096, 65_536]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    assert.deepEqual(decodeAll(chunks), [expected], `chunks of ${size}`);
  }
  // With CRLF the line itself is still one byte too long.
  assert.deepEqual(decodeAll([enc(lineOf(MAX_LINE_BYTES + 1) + '\r\n')]), [expected]);
  // Frames before the long line are still delivered.
  const before = decodeAll([enc(encodeFrame({ type: 'STATUS' }) + lineOf(MAX_LINE_BYTES + 1) + '\n')]);
  assert.deepEqual(before.map((d) => (d.ok ? d.frame.type : d.code)), ['STATUS', 'too_large']);
});

test('FrameDecoder: 65537 bytes without a newline are refused at once, unless the last one is a CR', () => {
  const d = new FrameDecoder();
  assert.deepEqual(d.push(enc('a'.repeat(MAX_LINE_BYTES))), []);
  assert.deepEqual(d.push(enc('a')).map((x) => (x.ok ? 'frame' : x.code)), ['too_large']);
  assert.equal(d.pending, 0);

  const crlf = new FrameDecoder();
  const line = lineOf(MAX_LINE_BYTES);
  assert.deepEqual(crlf.push(enc(line + '\r')), []);
  assert.equal(crlf.pending, MAX_LINE_BYTES + 1);
  assert.deepEqual(crlf.push(new Uint8Array(0)), [], 'an empty read changes nothing');
  assert.deepEqual(
    crlf.push(enc('\n')).map((x) => (x.ok ? x.frame.type : x.code)),
    ['STATUS'],
  );
  // A CR that is not followed by LF is one byte too many.
  const cr = new FrameDecoder();
  assert.deepEqual(cr.push(enc(line + '\r')), []);
  assert.deepEqual(cr.push(enc('x')).map((x) => (x.ok ? 'frame' : x.code)), ['too_large']);
});

test('FrameDecoder: a huge chunk without a newline is refused at once and nothing is kept', () => {
  const d = new FrameDecoder();
  const out = d.push(Buffer.alloc(8 * 1024 * 1024, 0x61));
  assert.deepEqual(out.map((x) => (x.ok ? 'frame' : x.code)), ['too_large']);
  assert.equal(d.pending, 0);
  assert.deepEqual(d.push(enc(encodeFrame({ type: 'STATUS' }))), [], 'nothing after a fatal error');
  assert.equal(d.pending, 0);
});

test('FrameDecoder: a slow stream without newlines never buffers more than one line', () => {
  const d = new FrameDecoder();
  const chunk = Buffer.alloc(1000, 0x61);
  let fatal: Decoded[] = [];
  let pushes = 0;
  while (fatal.length === 0 && pushes < 1000) {
    fatal = d.push(chunk);
    pushes++;
    assert.ok(d.pending <= MAX_LINE_BYTES + 1, `pending ${d.pending} after ${pushes} chunks`);
  }
  assert.equal(failure(fatal[0]).code, 'too_large');
  assert.equal(pushes, 66, 'refused by the chunk that made the line too long');
  assert.equal(d.pending, 0);
});

test('FrameDecoder: nothing after a fatal error is decoded; an unknown type is not fatal', () => {
  const good = encodeFrame({ type: 'STATUS' });
  const unknown = '{"v":1,"type":"FUTURE"}\n';
  const d = new FrameDecoder();
  const out = d.push(enc(good + unknown + good + 'not json\n' + good));
  assert.deepEqual(
    out.map((x) => (x.ok ? x.frame.type : x.code)),
    ['STATUS', 'unknown_type', 'STATUS', 'bad_frame'],
  );
  assert.deepEqual(d.push(enc(good)), []);
  assert.deepEqual(d.push(enc(good + good)), []);

  const u = new FrameDecoder();
  assert.equal(failure(u.push(enc(unknown))[0]).fatal, false);
  assert.deepEqual(frames(u.push(enc(good))), [{ v: 1, type: 'STATUS' }]);

  for (const bad of [Buffer.from([0xff, 0x0a]), enc('[1]\n'), enc('null\n'), enc('7\n'), enc('{"v":1,"type":"HELLO"}\n')]) {
    const x = new FrameDecoder();
    const r = x.push(Buffer.concat([bad, enc(good)]));
    assert.equal(r.length, 1, `only the error for ${JSON.stringify(bad.toString())}`);
    assert.equal(failure(r[0]).fatal, true);
    assert.deepEqual(x.push(enc(good)), []);
  }
});

// Valid frames with arbitrary text (multi-byte characters included) in their fields.
const frameArb: fc.Arbitrary<Outgoing> = fc.oneof(
  fc.constantFrom(...(Object.values(EXAMPLES) as Outgoing[])),
  fc.record({ reason: fc.string({ unit: 'binary', maxLength: 300 }) }).map((r): Outgoing => ({ type: 'ABORT', handoff_id: ID, reason: r.reason })),
  fc
    .dictionary(
      fc.stringMatching(/^[a-z0-9_-]{1,16}$/),
      fc.oneof(
        fc.record({ kind: fc.constant('telegram' as const), offset: fc.nat() }),
        fc.record({
          kind: fc.constant('discord' as const),
          session_id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
          seq: fc.nat(),
          resume_gateway_url: fc.webUrl().map((u) => u.replace(/^https?/, 'wss')),
        }),
      ),
      { maxKeys: 5 },
    )
    .map((cursors): Outgoing => ({ type: 'HANDOFF_STOPPED', handoff_id: ID, cursors })),
);

test('property: any split of a valid stream decodes to the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ frame: frameArb, crlf: fc.boolean(), blank: fc.constantFrom('', '\n', '\r\n') }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (items, cuts) => {
        const text = items.map((i) => i.blank + (i.crlf ? encodeFrame(i.frame).replace(/\n$/, '\r\n') : encodeFrame(i.frame))).join('');
        const bytes = enc(text);
        const whole = decodeAll([bytes]);
        const expected = items.map((i) => ({ ...i.frame, v: i.frame.v ?? 1 }));
        // Cursors keys such as "__proto__" are stripped-or-kept by zod like any key: compare with a fresh parse.
        assert.deepEqual(frames(whole), expected.map((f) => Frame.parse(JSON.parse(JSON.stringify(f)))));
        assert.deepEqual(decodeAll(splitAt(bytes, cuts)), whole);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: arbitrary bytes never throw; every result is a frame or a sendable error; nothing follows a fatal one', () => {
  const codes = new Set<string>(ErrorCode.options);
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(enc('\n'), enc('\r\n'), enc(encodeFrame({ type: 'STATUS' })), enc('{"v":1,"type":"X"}\n'), enc('{"v":1,'), enc('"type":"HELLO"}\n')),
    fc.json().map((j) => enc(j + '\n')),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), (chunks) => {
      const d = new FrameDecoder();
      let fatalSeen = false;
      for (const c of chunks) {
        const out = d.push(c);
        if (fatalSeen) assert.deepEqual(out, []);
        out.forEach((x, i) => {
          if (!x.ok) {
            assert.ok(codes.has(x.code), x.code);
            assert.equal(typeof x.fatal, 'boolean');
            if (x.fatal) {
              assert.equal(i, out.length - 1, 'a fatal error is the last result');
              fatalSeen = true;
            }
          }
          assertSendable(x);
        });
        assert.ok(d.pending <= MAX_LINE_BYTES + 1);
      }
    }),
    { numRuns: 500 },
  );
});
