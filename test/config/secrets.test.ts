import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from '../../src/config/schema.ts';
import { maskSecrets, secretValues } from '../../src/config/secrets.ts';
import { MIN_SECRET_LENGTH } from '../../src/text/scrub.ts';
import { ENC_KEY, ENC_PASS, ENV, FP2, inputsOf, KEY, minimal } from './fixtures.ts';

const settings = () =>
  readSettings(
    inputsOf({
      ...minimal(),
      'private-key': ENC_KEY,
      passphrase: ENC_PASS,
      'jump-host': 'bastion.example.com',
      'jump-host-fingerprint': FP2,
      'jump-private-key': KEY,
      'github-token': 'ghs_tokenvalue123',
      'green-env': 'API_KEY=sk-live-abcdef\nMULTI=a=b=c\nSHORT=1\nFLAG=yes',
    }),
    ENV,
  );

test('secretValues holds every key, passphrase, token and green-env value', () => {
  const values = secretValues(settings());
  for (const s of [ENC_KEY.trim() + '\n', ENC_PASS, KEY.trim() + '\n', 'ghs_tokenvalue123', 'sk-live-abcdef', 'a=b=c']) {
    assert.ok(values.includes(s), `missing ${s.slice(0, 20)}`);
  }
});

test('secretValues holds each line of a multi-line key, so a partial leak is masked', () => {
  const values = secretValues(settings());
  const lines = ENC_KEY.split('\n').map((l) => l.trim()).filter((l) => l.length >= MIN_SECRET_LENGTH);
  assert.ok(lines.length > 2);
  for (const l of lines) assert.ok(values.includes(l), `missing key line ${l.slice(0, 10)}`);
});

test('secretValues leaves out values too short to mask, and lists the longest first without duplicates', () => {
  const values = secretValues(settings());
  assert.ok(!values.includes('1'));
  assert.ok(!values.includes('yes'));
  assert.equal(new Set(values).size, values.length);
  for (let i = 1; i < values.length; i++) assert.ok((values[i - 1] as string).length >= (values[i] as string).length);
});

test('maskSecrets registers every secret value', () => {
  const seen: string[] = [];
  maskSecrets(settings(), (s) => seen.push(s));
  assert.deepEqual(seen, secretValues(settings()));
});

test('the local transport has no key to mask', () => {
  const s = readSettings(inputsOf({ transport: 'local', 'green-command': 'x', 'green-env': 'TOKEN=abcdefgh' }), ENV);
  assert.deepEqual(secretValues(s), ['abcdefgh']);
});
