import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScrubber, MIN_SECRET_LENGTH, RunScrubber } from '../../src/text/scrub.ts';

test('every occurrence of every secret is replaced', () => {
  const s = createScrubber(['hunter22', 'tok_ABC']);
  assert.equal(s('a hunter22 b tok_ABC c hunter22'), 'a *** b *** c ***');
});

test('a secret containing another is removed whole, and regex characters are literal', () => {
  const s = createScrubber(['abcd', 'xxabcdxx', 'a.b*c']);
  assert.equal(s('xxabcdxx abcd a.b*c aXbcd'), '*** *** *** aXbcd');
});

test('a multi-line secret (a private key) is removed whole, line by line, and in its JSON-escaped form', () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACBmZXdsaW5lcw\n-----END OPENSSH PRIVATE KEY-----\n';
  const s = createScrubber([key]);
  assert.ok(!s(`key: ${key}`).includes('b3BlbnNzaC1rZXktdjEAAAAA'));
  assert.ok(!s('only a line: QyNTUxOQAAACBmZXdsaW5lcw here').includes('QyNTUxOQAAACBmZXdsaW5lcw'));
  assert.ok(!s(JSON.stringify({ key })).includes('b3BlbnNzaC1rZXktdjEAAAAA'));
});

test('redact values become [redacted]; empty and values shorter than MIN_SECRET_LENGTH are ignored', () => {
  assert.equal(MIN_SECRET_LENGTH, 4);
  const s = createScrubber(['', ' ', 'ab', 'abc'], ['10.0.0.5']);
  assert.equal(s('abc'), 'abc');
  assert.equal(s('ssh 10.0.0.5:22 failed: ab'), 'ssh [redacted]:22 failed: ab');
  assert.equal(createScrubber([])('unchanged'), 'unchanged');
});

test('the run scrubber covers secrets learned later, and each secret is added once', () => {
  const r = new RunScrubber(['first-secret'], ['gw.example.com']);
  assert.equal(r.scrub('first-secret on gw.example.com: token-42x'), '*** on [redacted]: token-42x');
  r.add('token-42x');
  r.add('token-42x');
  assert.deepEqual(r.secrets, ['first-secret', 'token-42x']);
  assert.equal(r.scrub('first-secret on gw.example.com: token-42x'), '*** on [redacted]: ***');
});
