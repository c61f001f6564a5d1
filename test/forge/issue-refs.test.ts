import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIssueRefs, parseIssueRefsDetailed } from '../../src/forge/issue-refs.ts';

test('parseIssueRefs finds every keyword, case-insensitive, in order, without duplicates', () => {
  const text = ['Add claw runtime', '', 'closes #7. FIXES #8; Resolves: #9', 'Refs #10', 'part of #11', 'Part Of #7 again', 'fixed #12 and resolved #13'].join('\n');
  assert.deepEqual(parseIssueRefs(text), [7, 8, 9, 10, 11, 12, 13]);
});

test('parseIssueRefs takes several numbers after one keyword', () => {
  assert.deepEqual(parseIssueRefs('Closes #1, #2 and #3'), [1, 2, 3]);
  assert.deepEqual(parseIssueRefs('Refs #4 #5'), [4, 5]);
});

test('parseIssueRefs ignores mentions without a keyword, other repositories and non-numbers', () => {
  assert.deepEqual(parseIssueRefs('See #5; merge pull request #6 from x/y'), []);
  assert.deepEqual(parseIssueRefs('Closes other/repo#5'), []);
  assert.deepEqual(parseIssueRefs('Closes #abc, prefixes#3, enclosed #4'), []);
  assert.deepEqual(parseIssueRefs('Fixes #0'), []);
  assert.deepEqual(parseIssueRefs('Fixes #12abc'), []);
  assert.deepEqual(parseIssueRefs(''), []);
});

test('parseIssueRefsDetailed marks closing keywords; the strongest mention of a number wins', () => {
  assert.deepEqual(parseIssueRefsDetailed('Refs #1\nCloses #2\nPart of #3\nFixes #1'), [
    { number: 1, closing: true },
    { number: 2, closing: true },
    { number: 3, closing: false },
  ]);
});
