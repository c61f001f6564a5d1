// The socket token as read from the host has one format (docs/protocol.md 2.3): anything else is
// refused with a reason that names the file and what was expected, and never echoes the contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostToken, hostTokenProblem } from '../../src/core/token.ts';

const FILE = '/srv/hermes/run/handoff.token';
const GOOD = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

test('64 lowercase hex digits (surrounding white space allowed) is a token', () => {
  assert.equal(hostToken(`${GOOD}\n`, FILE), GOOD);
  assert.equal(hostTokenProblem(`  ${GOOD}  `, FILE), null);
});

test('anything else is refused, naming the file and what was expected, without the contents', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /but it is empty/],
    ['A'.repeat(64), /its 64 characters are not all lowercase hex digits/],
    [GOOD.slice(1), /it holds 63 characters/],
    [`${GOOD}${GOOD}`, /it holds 128 characters/],
    [`(a|b)*${'x'.repeat(100 * 1024)}`, /it holds 102406 characters/],
    [`${GOOD.slice(0, 32)}\n${GOOD.slice(32)}`, /it holds 65 characters/],
  ];
  for (const [raw, why] of cases) {
    const p = hostTokenProblem(raw, FILE);
    assert.ok(p, JSON.stringify(raw.slice(0, 20)));
    assert.match(p, new RegExp(`^the handoff token ${FILE.replace(/[./]/g, '\\$&')} is not a token this protocol writes: expected 64 lowercase hex digits \\(docs/protocol\\.md 2\\.3\\)`));
    assert.match(p, why);
    assert.throws(() => hostToken(raw, FILE), (e: Error) => e.message === p);
  }
});

test('the reason never holds any part of what the file holds (property)', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 6, maxLength: 200 }).filter((s) => !/^\s*[0-9a-f]{64}\s*$/.test(s)), (raw) => {
      const p = hostTokenProblem(`Zq${raw}`, FILE) ?? '';
      assert.ok(!p.includes(`Zq${raw.slice(0, 4)}`), p);
    }),
  );
});
