// One default per value: action.yml, the CLI's --help and docs/inputs.md show the defaults of the
// schemas that own them (the protocol's thresholds and deadlines, the SSH host's options), and an
// empty input reads as that default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { cliHelp } from '../../src/cli/args.ts';
import { INPUT_DEFAULTS, PROTOCOL_INPUTS } from '../../src/config/inputs.ts';
import { readSettings } from '../../src/config/schema.ts';
import { SshOptions } from '../../src/host/ssh/options.ts';
import { DEFAULT_DEADLINES, DEFAULT_THRESHOLDS } from '../../src/protocol/deadlines.ts';
import { ENV, inputsOf, minimal } from './fixtures.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const action = z.object({ inputs: z.record(z.string(), z.object({ default: z.string().optional() })) }).parse(parse(read('action.yml')));
const actionDefault = (name: string) => action.inputs[name]?.default;
const docsRow = (name: string) => read('docs/inputs.md').split('\n').find((l) => l.startsWith(`| \`${name}\` |`));

/** The protocol's default of an input's value, written as the input writes it. */
function protocolDefault(name: keyof typeof PROTOCOL_INPUTS): string {
  const p = PROTOCOL_INPUTS[name];
  const value: number | undefined = p.group === 'thresholds' ? DEFAULT_THRESHOLDS[p.key] : DEFAULT_DEADLINES[p.key];
  assert.ok(value !== undefined, `${name}: the protocol has no default for ${p.group}.${p.key}`);
  return String(p.unit === 'seconds' ? value / 1000 : value);
}

test("action.yml, --help and docs/inputs.md show the protocol's default of every threshold and deadline input", () => {
  const help = cliHelp();
  for (const name of Object.keys(PROTOCOL_INPUTS) as (keyof typeof PROTOCOL_INPUTS)[]) {
    const want = protocolDefault(name);
    assert.equal(actionDefault(name), want, `action.yml ${name}`);
    assert.match(help, new RegExp(`^  --${name} .*default ${want.replace('.', '\\.')}(;|$)`, 'm'), `--help --${name}`);
    assert.ok(docsRow(name)?.startsWith(`| \`${name}\` | \`${want}\` |`), `docs/inputs.md ${name}: ${docsRow(name)}`);
  }
});

test("action.yml, --help and docs/inputs.md show the SSH host's own defaults", () => {
  const ssh = SshOptions.parse({ host: 'h', username: 'u', privateKey: 'k' });
  const want: Record<string, string> = { port: String(ssh.port), 'connect-timeout-seconds': String(ssh.readyTimeoutMs / 1000), 'insecure-skip-host-key-check': String(ssh.insecureSkipHostKeyCheck) };
  for (const [name, value] of Object.entries(want)) {
    assert.equal(actionDefault(name), value, `action.yml ${name}`);
    assert.match(cliHelp(), new RegExp(`^  --${name}\\S* .*default ${value}(;|$)`, 'm'), `--help --${name}`);
    assert.ok(docsRow(name)?.startsWith(`| \`${name}\` | \`${value}\` |`), `docs/inputs.md ${name}`);
  }
});

test('every literal default shows the same in action.yml, --help and docs/inputs.md', () => {
  const help = cliHelp();
  for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
    assert.equal(actionDefault(name), value, `action.yml ${name}`);
    assert.ok(docsRow(name)?.startsWith(`| \`${name}\` | \`${value}\` |`), `docs/inputs.md ${name}`);
    if (name === 'mode') continue; // the mode is the CLI's command
    assert.ok(help.split('\n').some((l) => l.startsWith(`  --${name}`) && l.includes(`default ${value}`)), `--help --${name} should show default ${value}`);
  }
});

test('no inputs read as the owners\' defaults: every threshold, the deadlines with inputs, the SSH options', () => {
  const s = readSettings(inputsOf(minimal()), ENV);
  assert.deepEqual(s.bake.thresholds, DEFAULT_THRESHOLDS, 'a threshold with no input still has its protocol default');
  const deadlineKeys = Object.values(PROTOCOL_INPUTS).filter((p) => p.group === 'deadlines').map((p) => p.key);
  assert.deepEqual(s.bake.deadlines, Object.fromEntries(deadlineKeys.map((k) => [k, DEFAULT_DEADLINES[k]])));
  const ssh = SshOptions.parse({ host: 'h', username: 'u', privateKey: 'k' });
  assert.equal(s.ssh?.port, ssh.port);
  assert.equal(s.ssh?.readyTimeoutMs, ssh.readyTimeoutMs);
  assert.equal(s.ssh?.insecureSkipHostKeyCheck, ssh.insecureSkipHostKeyCheck);
  assert.equal(s.ssh?.keepaliveIntervalMs, ssh.keepaliveIntervalMs);
});
