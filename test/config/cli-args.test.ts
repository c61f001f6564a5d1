import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliArgsError, CliHelp, cliHelp, parseCliArgs } from '../../src/cli/args.ts';
import { INPUT_NAMES, SECRET_INPUTS } from '../../src/config/inputs.ts';
import { readSettings } from '../../src/config/schema.ts';
import { ENC_KEY, ENC_PASS, FP, FP2, KEY, KNOWN_HOSTS_LINE, MARK } from './fixtures.ts';

const readText = (p: string) => readFile(p, 'utf8');
const noStdin = async () => assert.fail('stdin was read');

/** A temp dir with the given files, removed after the test. */
function files(t: { after(fn: () => void): void }, contents: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'hh-cli-args-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(contents)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], text, { mode: 0o600 });
  }
  return paths;
}

async function refusal(argv: string[]): Promise<CliArgsError> {
  try {
    await parseCliArgs(argv, {}, readText, noStdin);
  } catch (e) {
    assert.ok(e instanceof CliArgsError, `expected a CliArgsError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${argv.join(' ')} to be refused`);
}

test('a promote from files and flags reads into the same Settings as the action would', async (t) => {
  const p = files(t, { key: ENC_KEY, pass: `${ENC_PASS}\n`, kh: `${KNOWN_HOSTS_LINE}\n`, env: 'API=sk-123\nQ="x"\n' });
  const args = await parseCliArgs(
    ['promote', '--host', 'gw.example.com', '--port=2222', '--username', 'deploy', '--private-key-file', p.key as string, '--passphrase-file', p.pass as string,
      '--known-hosts-file', p.kh as string, '--host-fingerprint', FP, '--host-fingerprint', FP2, '--green-command', 'uv run hermes gateway',
      '--green-env-file', p.env as string, '--bake-seconds', '1.5', '--release', 'v1.2', '--insecure-skip-host-key-check=false', '--no-fail-on-rollback'],
    { GITHUB_TOKEN: 'ghs_fromenv' },
    readText,
    noStdin,
  );
  assert.equal(args.command, 'promote');
  assert.equal(args.getInput('mode'), 'promote');
  const s = readSettings(args.getInput, {});
  assert.equal(s.ssh?.privateKey, ENC_KEY.trim() + '\n');
  assert.equal(s.ssh?.passphrase, ENC_PASS);
  assert.equal(s.ssh?.port, 2222);
  assert.deepEqual(s.ssh?.pins, { knownHosts: [KNOWN_HOSTS_LINE], fingerprints: [FP, FP2] });
  assert.deepEqual(s.gateway.greenEnv, { API: 'sk-123', Q: '"x"' });
  assert.equal(s.bake.bakeMs, 1500);
  assert.equal(s.gateway.release, 'v1.2');
  assert.equal(s.report.failOnRollback, false);
  assert.equal(s.report.githubToken, 'ghs_fromenv');
});

test('the key can come from stdin', async () => {
  const args = await parseCliArgs(['preflight', '--private-key-stdin', '--host', 'h', '--username', 'u', '--host-fingerprint', FP], {}, readText, async () => KEY);
  assert.equal(args.command, 'preflight');
  assert.equal(args.getInput('private-key'), KEY);
  assert.equal(readSettings(args.getInput, {}).ssh?.privateKey, KEY.trim() + '\n');
});

test('the key from a file and from stdin at once is refused', async (t) => {
  const p = files(t, { key: KEY });
  const e = await refusal(['promote', '--private-key-file', p.key as string, '--private-key-stdin']);
  assert.match(e.message, /--private-key-stdin/);
});

for (const [flag, hint] of [
  ['--private-key', /--private-key-file PATH or --private-key-stdin/],
  ['--passphrase', /--passphrase-file/],
  ['--jump-private-key', /--jump-private-key-file/],
  ['--jump-passphrase', /--jump-passphrase-file/],
  ['--github-token', /GITHUB_TOKEN/],
  ['--green-env', /--green-env-file/],
] as const) {
  test(`${flag} VALUE is refused, saying how to pass it, without echoing it`, async () => {
    for (const argv of [['promote', flag, MARK], ['promote', `${flag}=${MARK}`]]) {
      const e = await refusal(argv);
      assert.ok(e.message.startsWith(`${flag}: `), e.message);
      assert.match(e.message, hint);
      assert.ok(!e.message.includes(MARK));
    }
  });
}

test('an unknown flag is named', async () => {
  const e = await refusal(['promote', '--bake-secs', '30']);
  assert.match(e.message, /unknown flag --bake-secs/);
});

test('an unknown command, a missing command and a stray argument are refused', async () => {
  assert.match((await refusal(['deploy'])).message, /unknown command "deploy"/);
  assert.match((await refusal([])).message, /expected a command/);
  assert.match((await refusal(['promote', 'stray'])).message, /unexpected argument "stray"/);
  assert.match((await refusal(['promote', '--mode', 'status'])).message, /the mode is the command/);
});

test('a flag without its value, and a flag given twice, are refused', async () => {
  assert.match((await refusal(['promote', '--host'])).message, /--host: expected a value/);
  assert.match((await refusal(['promote', '--host', '--port', '22'])).message, /--host: expected a value/);
  assert.match((await refusal(['promote', '--host', 'a', '--host', 'b'])).message, /--host: given twice/);
});

test('an unreadable file names the flag and the path', async () => {
  const e = await refusal(['promote', '--private-key-file', '/nonexistent/hh-key']);
  assert.match(e.message, /--private-key-file: cannot read "\/nonexistent\/hh-key" \(ENOENT\)/);
});

test('booleans: bare, =value, a following true/false, and --no-', async () => {
  const get = async (argv: string[]) => (await parseCliArgs(['status', ...argv], {}, readText, noStdin)).getInput('insecure-skip-host-key-check');
  assert.equal(await get(['--insecure-skip-host-key-check']), 'true');
  assert.equal(await get(['--insecure-skip-host-key-check', '--host', 'h']), 'true');
  assert.equal(await get(['--insecure-skip-host-key-check=false']), 'false');
  assert.equal(await get(['--insecure-skip-host-key-check', 'FALSE']), 'FALSE');
  assert.equal(await get(['--no-insecure-skip-host-key-check']), 'false');
  assert.equal(await get([]), '');
});

test('the token comes from GITHUB_TOKEN only', async () => {
  assert.equal((await parseCliArgs(['status'], { GITHUB_TOKEN: 't0k' }, readText, noStdin)).getInput('github-token'), 't0k');
  assert.equal((await parseCliArgs(['status'], {}, readText, noStdin)).getInput('github-token'), '');
});

test('--help lists every command and every input a flag can set', async () => {
  await assert.rejects(parseCliArgs(['promote', '--help'], {}, readText, noStdin), (e: unknown) => e instanceof CliHelp && e.text === cliHelp('promote'));
  await assert.rejects(parseCliArgs(['--help'], {}, readText, noStdin), CliHelp);
  const text = cliHelp();
  for (const c of ['promote', 'preflight', 'status', 'rollback']) assert.match(text, new RegExp(`\\b${c}\\b`));
  for (const n of INPUT_NAMES) {
    if (n === 'mode' || SECRET_INPUTS.has(n)) continue;
    assert.ok(text.includes(`--${n}`), `--help lacks --${n}`);
  }
  for (const f of ['--private-key-file', '--private-key-stdin', '--passphrase-file', '--jump-private-key-file', '--known-hosts-file', '--green-env-file', 'GITHUB_TOKEN']) {
    assert.ok(text.includes(f), `--help lacks ${f}`);
  }
});
