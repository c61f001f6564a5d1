import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs script without types
import { changelogSection, releaseNotes } from '../../scripts/release-notes.mjs';

const log = ['# Changelog', '', '## [Unreleased]', '', '## [1.2.0] - 2026-12-01', '', '- a', '- b', '', '## [1.1.0]', '- old', ''].join('\n');

test('the section of a version is its body up to the next heading', () => {
  assert.equal(changelogSection(log, '1.2.0'), '- a\n- b');
  assert.equal(changelogSection(log, '1.1.0'), '- old');
  assert.equal(changelogSection(log, '1.3.0'), null);
  // 1.2.0 must not match 1.2.01 or 11.2.0
  assert.equal(changelogSection('## [11.2.0]\n- x\n', '1.2.0'), null);
});

test('a release tag must be vX.Y.Z, name package.json\'s version, and have notes', () => {
  assert.equal(releaseNotes('v1.2.0', '1.2.0', log), '- a\n- b');
  assert.match(String(releaseNotes('1.2.0', '1.2.0', log)), /not a release tag: expected vX\.Y\.Z/);
  assert.match(String(releaseNotes('v1.2.1', '1.2.0', log)), /does not match package\.json version 1\.2\.0/);
  assert.match(String(releaseNotes('v1.3.0', '1.3.0', log)), /CHANGELOG\.md has no section "## \[1\.3\.0\]"/);
  assert.match(String(releaseNotes('v1.0.0', '1.0.0', '## [Unreleased]\n\n## [1.0.0]\n\n')), /no section/);
});

test('this repository\'s changelog has a section for its package version or an Unreleased one', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const text = readFileSync('CHANGELOG.md', 'utf8');
  assert.ok(changelogSection(text, pkg.version) !== null || /^## \[Unreleased\]/m.test(text));
});
