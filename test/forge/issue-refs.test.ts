// The forges' closing-keyword grammar: one keyword acts on the one reference right after it (issue 9 item 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIssueRefs, parseIssueRefsDetailed } from '../../src/forge/issue-refs.ts';

test('every keyword, case-insensitive, with an optional colon, in order, without duplicates', () => {
  const text = ['Add claw runtime', '', 'closes #7. FIXES #8; Resolves: #9', 'Refs #10', 'part of #11', 'Part Of #7 again', 'fixed #12 and resolved #13', '(close #14)'].join('\n');
  assert.deepEqual(parseIssueRefs(text), [7, 8, 9, 10, 11, 12, 13, 14]);
});

test('one keyword, one reference: the numbers after the first are mentions, as on GitHub and Gitea', () => {
  assert.deepEqual(parseIssueRefsDetailed('Fixes #1, #2 and #3'), [{ number: 1, closing: true }]);
  assert.deepEqual(parseIssueRefs('closes #4 #5'), [4]);
  assert.deepEqual(parseIssueRefs('Refs #4 #5'), [4]);
  assert.deepEqual(parseIssueRefs('Resolves #10, resolves #123'), [10, 123]);
});

test('a number with leading zeros is that number, as both forges read it', () => {
  assert.deepEqual(parseIssueRefsDetailed('fixes #00009'), [{ number: 9, closing: true }]);
});

test('mentions without a keyword, other repositories, a keyword inside a word, two spaces and non-numbers are not references', () => {
  assert.deepEqual(parseIssueRefs('See #5; merge pull request #6 from x/y'), []);
  assert.deepEqual(parseIssueRefs('Closes other/repo#5'), []);
  assert.deepEqual(parseIssueRefs('Closes #abc, prefixes #3, enclosed #4, fixes#5'), []);
  assert.deepEqual(parseIssueRefs('Fixes  #6'), [], 'Gitea wants exactly one space');
  assert.deepEqual(parseIssueRefs('Fixes #0'), []);
  assert.deepEqual(parseIssueRefs('Fixes #12abc'), []);
  assert.deepEqual(parseIssueRefs(''), []);
});

test('the strongest mention of a number wins', () => {
  assert.deepEqual(parseIssueRefsDetailed('Refs #1\nCloses #2\nPart of #3\nFixes #1'), [
    { number: 1, closing: true },
    { number: 2, closing: true },
    { number: 3, closing: false },
  ]);
});
