// Host text made inert: one line, control characters escaped where a reader sees them, bounded, never
// a workflow command (GitHub's `::` after leading white space, `##[` anywhere; act's at the start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LINE_MAX, oneLine, safeLines, untrustedBlock } from '../../src/text/host-text.ts';

/** Pieces an attacker would combine: line breaks of every kind, command markers, escapes, white space, surrogates. */
const PIECES = ['\n', '\r', '\r\n', '\u0085', '\u2028', '\u2029', '\v', '\f', '::', ':', '##[', '#', '[', ' ', '\t', '\u00a0', '\u3000', '\ufeff', '\u180e', '\u200b', '\u202e', '\x1b[31m', '\x9b', '\x00', '\x7f', '\\', 'set-env name=X::', 'add-path::', '%0A', '\ud83d\ude00', '\ud83d', '\ude00', 'a', 'é'];
const hostile = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);

/** What the GitHub runner would execute: after .NET's TrimStart, a line starting with `::`; `##[` anywhere. */
function runnerWouldExecute(line: string): boolean {
  return /^[\s\u0085\u180e]*::/.test(line) || line.includes('##[');
}

// eslint-disable-next-line no-control-regex -- the point: no control character survives
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('oneLine: never a line break, a control character, a lone surrogate or a workflow command; bounded; idempotent (property)', () => {
  fc.assert(
    fc.property(hostile, fc.integer({ min: 1, max: 300 }), (text, max) => {
      const out = oneLine(text, max);
      assert.ok(out.length <= max, `at most ${max}: ${JSON.stringify(out)}`);
      assert.ok(!UNSAFE.test(out), `no raw control or separator: ${JSON.stringify(out)}`);
      assert.equal(out.split(/\r\n|\r|\n/).length, 1, 'one line');
      assert.ok(!runnerWouldExecute(out), `no workflow command: ${JSON.stringify(out)}`);
      assert.equal(oneLine(out, max), out, 'applying it again changes nothing');
    }),
    { numRuns: 2_000 },
  );
});

test('oneLine: a line the sink prefixes is still no command, and unprefixed output is never one either (property)', () => {
  fc.assert(
    fc.property(hostile, (text) => {
      const out = oneLine(text);
      for (const line of `${out}\n  ${out}\nphase x: ${out}`.split('\n')) assert.ok(!runnerWouldExecute(line), JSON.stringify(line));
    }),
    { numRuns: 1_000 },
  );
});

test('oneLine escapes visibly and keeps what is not dangerous', () => {
  assert.equal(oneLine('a\nb\r\nc\rd'), 'a\\nb\\r\\nc\\rd');
  assert.equal(oneLine('\x1b[31mred\x1b[0m'), '\\x1b[31mred\\x1b[0m');
  assert.equal(oneLine('nel\u0085ls\u2028ps\u2029bom\ufeffrlo\u202e'), 'nel\\x85ls\\u2028ps\\u2029bom\\ufeffrlo\\u202e');
  assert.equal(oneLine('::set-env name=BASH_ENV::x'), '\\x3a:set-env name=BASH_ENV::x');
  assert.equal(oneLine('  \u00a0::error title=OK::x'), '  \u00a0\\x3a:error title=OK::x');
  assert.equal(oneLine('reason: ::not at the start'), 'reason: ::not at the start');
  assert.equal(oneLine('before ##[add-path]/x'), 'before #\\x23[add-path]/x');
  assert.equal(oneLine('plain text, é, 😀, tabs\tand \\n literal'), 'plain text, é, 😀, tabs\\tand \\n literal');
  assert.equal(oneLine('lone \ud83d surrogate'), 'lone \\ud83d surrogate');
});

test('oneLine bounds the length with an ellipsis, never splitting a surrogate pair or blowing up on huge input', () => {
  assert.equal(oneLine('x'.repeat(LINE_MAX + 5)).length, LINE_MAX);
  assert.ok(oneLine('x'.repeat(LINE_MAX + 5)).endsWith('\u2026'));
  assert.equal(oneLine('abcdef', 4), 'abc\u2026');
  assert.equal(oneLine('ab😀cd', 4), 'ab\u2026');
  assert.equal(oneLine('\n\n\n', 5), '\\n\\n\u2026');
  const started = Date.now();
  assert.equal(oneLine('\n'.repeat(5_000_000), 100).length, 100);
  assert.ok(Date.now() - started < 1_000, 'a huge input costs no more than the part it keeps');
});

test('safeLines keeps the last lines, split where a runner splits (CR, LF, CRLF), each inert and bounded', () => {
  assert.deepEqual(safeLines('a\r::set-env x::y\r\nb\n\x1b[2Jc\n'), ['a', '\\x3a:set-env x::y', 'b', '\\x1b[2Jc']);
  assert.deepEqual(safeLines('1\n2\n3\n4', { maxLines: 2 }), ['3', '4']);
  assert.deepEqual(safeLines('abcdef', { maxLine: 4 }), ['abc\u2026']);
  assert.deepEqual(safeLines(''), []);
  fc.assert(
    fc.property(hostile, (text) => {
      for (const l of safeLines(text)) {
        assert.ok(!UNSAFE.test(l) && !runnerWouldExecute(l), JSON.stringify(l));
      }
    }),
    { numRuns: 1_000 },
  );
});

test('untrustedBlock: stop-commands with a fresh 128-bit token, never in the block, then the lines, then the token', () => {
  const text = '::set-output name=verdict::promoted\n##[add-path]/x\nplain';
  const a = untrustedBlock(text);
  const b = untrustedBlock(text);
  const token = /^::stop-commands::([0-9a-f]{32})$/.exec(a[0]!)?.[1];
  assert.ok(token, `starts with stop-commands and a 32-hex token: ${a[0]}`);
  assert.equal(a.at(-1), `::${token}::`);
  assert.notEqual(a[0], b[0], 'a fresh token for every block');
  assert.deepEqual(a.slice(1, -1), ['\\x3a:set-output name=verdict::promoted', '#\\x23[add-path]/x', 'plain']);
  for (const l of a.slice(1, -1)) assert.ok(!l.includes(token!));
});
