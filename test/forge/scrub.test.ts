import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScrubber } from '../../src/forge/scrub.ts';

test('every occurrence of every secret is replaced', () => {
  const s = createScrubber(['hunter22', 'tok_ABC']);
  assert.equal(s('a hunter22 b tok_ABC c hunter22'), 'a *** b *** c ***');
});

test('a secret containing another is removed whole, and regex characters are literal', () => {
  const s = createScrubber(['abc', 'xxabcxx', 'a.b*c']);
  assert.equal(s('xxabcxx abc a.b*c aXbc'), '*** *** *** aXbc');
});

test('a multi-line secret (a private key) is removed whole, line by line, and in its JSON-escaped form', () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACBmZXdsaW5lcw\n-----END OPENSSH PRIVATE KEY-----\n';
  const s = createScrubber([key]);
  assert.ok(!s(`key: ${key}`).includes('b3BlbnNzaC1rZXktdjEAAAAA'));
  assert.ok(!s('only a line: QyNTUxOQAAACBmZXdsaW5lcw here').includes('QyNTUxOQAAACBmZXdsaW5lcw'));
  assert.ok(!s(JSON.stringify({ key })).includes('b3BlbnNzaC1rZXktdjEAAAAA'));
});

test('redact values become [redacted]; empty and tiny values are ignored', () => {
  const s = createScrubber(['', ' ', 'ab'], ['10.0.0.5']);
  assert.equal(s('ssh 10.0.0.5:22 failed: ab'), 'ssh [redacted]:22 failed: ab');
  assert.equal(createScrubber([])('unchanged'), 'unchanged');
});
