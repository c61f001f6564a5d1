// Prints the CHANGELOG.md section of a release tag (vX.Y.Z), after checking that the tag names the
// version in package.json. Exit 2 with the reason when they disagree or the section is missing.
import { readFileSync } from 'node:fs';

/** The body of the `## [X.Y.Z]` (or `## X.Y.Z`) section of a changelog, or null when there is none. */
export function changelogSection(changelog, version) {
  const lines = changelog.split('\n');
  const head = new RegExp(`^## \\[?${version.replace(/\./g, '\\.')}\\]?(\\s|$)`);
  const start = lines.findIndex((l) => head.test(l));
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const body = lines.slice(start + 1, end < 0 ? lines.length : end).join('\n').trim();
  return body.length > 0 ? body : null;
}

/** The release notes for `tag`, or an Error saying what is wrong. */
export function releaseNotes(tag, pkgVersion, changelog) {
  const m = /^v(\d+\.\d+\.\d+)$/.exec(tag);
  if (!m) return new Error(`tag ${JSON.stringify(tag)} is not a release tag: expected vX.Y.Z`);
  if (m[1] !== pkgVersion) return new Error(`tag ${tag} does not match package.json version ${pkgVersion}: bump package.json or tag v${pkgVersion}`);
  const body = changelogSection(changelog, m[1]);
  if (!body) return new Error(`CHANGELOG.md has no section "## [${m[1]}]": add the release's notes before tagging`);
  return body;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tag = process.argv[2] ?? '';
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const out = releaseNotes(tag, pkg.version, readFileSync('CHANGELOG.md', 'utf8'));
  if (out instanceof Error) {
    process.stderr.write(`release-notes: ${out.message}\n`);
    process.exit(2);
  }
  process.stdout.write(out + '\n');
}
