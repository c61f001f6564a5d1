// The entries' last resort (issue 9 item 2): whatever escapes every catch ends as one scrubbed line,
// never a stack trace with data in it, never an unhandled rejection printed by Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errorCommand, FATAL_MAX, fatalLine, guarded, registerFatalScrub } from '../../src/text/fatal.ts';
import { createScrubber } from '../../src/text/scrub.ts';

const FATAL = fileURLToPath(new URL('../../src/text/fatal.ts', import.meta.url));
const SECRET = 'sk-fatal-Zq7-secret';

test('fatalLine: one line, scrubbed by every registered scrubber, bounded, no stack', () => {
  const remove = registerFatalScrub(createScrubber([SECRET]));
  try {
    const e = new RangeError(`Invalid regular expression: /${SECRET}|(a+)+/: too large\n::set-env name=X::y`);
    const line = fatalLine('hermes-handoff: ', e);
    assert.equal(line, 'hermes-handoff: RangeError: Invalid regular expression: /***|(a+)+/: too large\\n::set-env name=X::y');
    assert.ok(!line.includes(' at '), 'no stack');
    assert.equal(fatalLine('p: ', 'x'.repeat(10_000)).length, FATAL_MAX);
    assert.equal(fatalLine('p: ', { toJSON: () => { throw new Error('no'); } }), 'p: an unprintable value');
  } finally {
    remove();
  }
});

test('a scrubber that throws withholds the message rather than let it through', () => {
  const remove = registerFatalScrub(() => {
    throw new Error('broken');
  });
  try {
    assert.equal(fatalLine('p: ', new Error(SECRET)), 'p: the error message was withheld (it could not be scrubbed)');
  } finally {
    remove();
  }
});

test('errorCommand escapes the data the way the runner un-escapes it', () => {
  assert.equal(errorCommand('50% done\r\nx'), '::error::50%25 done%0D%0Ax\n');
});

test('guarded turns a rejection into one line and exit code 1', async () => {
  const lines: string[] = [];
  assert.equal(await guarded('demo: ', (l) => lines.push(l), () => Promise.reject(new Error('boom\nline two'))), 1);
  assert.deepEqual(lines, ['demo: boom\\nline two']);
  assert.equal(await guarded('demo: ', (l) => lines.push(l), () => Promise.resolve(0)), 0);
});

/** Runs a child that installs the handlers, registers a scrubber and then fails in `how`. */
function child(how: string): { status: number | null; stdout: string; stderr: string } {
  const script = `
    import { installFatalHandlers, registerFatalScrub, errorCommand } from ${JSON.stringify(FATAL)};
    registerFatalScrub((t) => t.split(${JSON.stringify(SECRET)}).join('***'));
    installFatalHandlers('hermes-handoff: ', (l) => process.stdout.write(errorCommand(l)));
    ${how}
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const [what, how] of [
  ['an unhandled rejection', `Promise.reject(new Error('bad ${SECRET}\\n::add-path::/evil'));`],
  ['an uncaught exception', `setTimeout(() => { throw new Error('bad ${SECRET}\\n::add-path::/evil'); }, 1);`],
  ['a rejected RegExp built from a secret', `Promise.resolve().then(() => new RegExp('(${SECRET}' + '|x'.repeat(10)));`],
] as const) {
  test(`${what} ends as one ::error:: line, scrubbed, no stack trace, exit 1`, () => {
    const r = child(how);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, '', 'Node printed nothing of its own');
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0]!, /^::error::hermes-handoff: /);
    assert.ok(!r.stdout.includes(SECRET), r.stdout);
    assert.ok(!/\n::add-path/.test(r.stdout), 'the message is data');
  });
}
