import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../../src/config/inputs.ts';
import { readSettings } from '../../src/config/schema.ts';
import { ENV, inputsOf, minimal } from './fixtures.ts';

// Only the fields these tests read; the rest of action.yml is free.
const ActionYml = z.object({
  name: z.string().min(1),
  description: z.string().min(1),
  branding: z.object({ icon: z.string().min(1), color: z.string().min(1) }),
  inputs: z.record(z.string(), z.object({ description: z.string(), required: z.boolean().optional(), default: z.string().optional() })),
  outputs: z.record(z.string(), z.object({ description: z.string() })),
  runs: z.object({ using: z.string(), main: z.string(), post: z.string().optional(), 'post-if': z.string().optional() }),
});

const action = ActionYml.parse(parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')));

test('action.yml runs dist/index.js on node24, with dist/post.js always', () => {
  assert.equal(action.runs.using, 'node24');
  assert.equal(action.runs.main, 'dist/index.js');
  assert.equal(action.runs.post, 'dist/post.js');
  assert.equal(action.runs['post-if'], 'always()');
});

test('action.yml declares exactly the inputs the schema reads', () => {
  assert.deepEqual(Object.keys(action.inputs), [...INPUT_NAMES]);
});

test('every input and output has a description that says something', () => {
  for (const [name, input] of Object.entries({ ...action.inputs, ...action.outputs })) {
    assert.ok(input.description.trim().length >= 20, `${name} needs a description`);
  }
});

test('no input is required by the runner: the schema decides (with one message for all)', () => {
  for (const [name, input] of Object.entries(action.inputs)) assert.notEqual(input.required, true, name);
});

test('every output the engine reports is declared', () => {
  const expected = ['verdict', 'reason', 'handoff-id', 'release', 'blue-pid', 'green-pid', 'dark-window-ms', 'duration-ms', 'timeline', 'report', 'checks'];
  assert.deepEqual(Object.keys(action.outputs).sort(), expected.sort());
});

test('literal defaults in action.yml are the schema defaults', () => {
  const literal = Object.fromEntries(
    Object.entries(action.inputs)
      .filter(([, i]) => i.default !== undefined && !i.default.includes('${{'))
      .map(([n, i]) => [n, i.default]),
  );
  assert.deepEqual(literal, INPUT_DEFAULTS);
  assert.equal(action.inputs['github-token']?.default, '${{ github.token }}');
});

test('the runner passing action.yml defaults gives the same settings as no inputs at all', () => {
  // The runner sets INPUT_* for every default; the CLI sets nothing. Both must read the same.
  const withDefaults: Record<string, string> = {};
  for (const [n, i] of Object.entries(action.inputs)) if (i.default !== undefined && !i.default.includes('${{')) withDefaults[n] = i.default;
  const a = readSettings(inputsOf({ ...withDefaults, ...minimal() }), ENV);
  const b = readSettings(inputsOf(minimal()), ENV);
  assert.deepEqual(a, b);
});

test('defaults named in descriptions match the declared defaults', () => {
  for (const [name, input] of Object.entries(action.inputs)) {
    if (input.default === undefined || input.default.includes('${{')) continue;
    assert.ok(input.description.includes(input.default), `${name}: the description should state the default ${input.default}`);
  }
});
