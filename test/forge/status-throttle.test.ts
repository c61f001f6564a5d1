import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusThrottle } from '../../src/forge/status-throttle.ts';
import { clip, finalStatus } from '../../src/forge/status.ts';
import { outcome } from './fixtures.ts';

test('one update per phase, plus one a minute while baking (injected clock)', () => {
  let now = 1000;
  const t = new StatusThrottle(() => now);
  assert.equal(t.admit('init'), true);
  assert.equal(t.admit('init'), false);
  assert.equal(t.admit('baking'), true);
  now += 59_999;
  assert.equal(t.admit('baking'), false);
  now += 1;
  assert.equal(t.admit('baking'), true);
  now += 30_000;
  assert.equal(t.admit('baking'), false);
  now += 30_000;
  assert.equal(t.admit('baking'), true);
  now += 600_000;
  assert.equal(t.admit('init'), false, 'only baking is refreshed');
  assert.equal(t.admit('complete'), true);
});

test('final status per verdict: success / failure / error, with the reason, at most 140 characters', () => {
  assert.equal(finalStatus(outcome('promoted')).state, 'success');
  assert.equal(finalStatus(outcome('unchanged')).state, 'success');
  assert.equal(finalStatus(outcome('ready')).state, 'success');
  assert.equal(finalStatus(outcome('rolled-back')).state, 'failure');
  assert.equal(finalStatus(outcome('failed')).state, 'failure');
  assert.deepEqual(finalStatus(outcome('reverted', { reason: 'green exited 3 h after promotion' })), { state: 'failure', description: 'reverted: green exited 3 h after promotion' });
  assert.deepEqual(finalStatus(outcome('not-ready')), { state: 'failure', description: 'not ready: socket: no listener on handoff.sock' });
  const t = finalStatus(outcome('timed-out'));
  assert.equal(t.state, 'error');
  assert.match(t.description, /rerun with mode: status/);
  const long = finalStatus(outcome('rolled-back', { reason: 'x'.repeat(500) }));
  assert.equal(long.description.length, 140);
  assert.equal(clip('a\n  b'), 'a ⏎ b', 'a line break stays visible, on one line');
});
