// The restart rule (protocol.md section 8.3), on the fake world's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startupRole } from '../../src/peer/role.ts';
import { peerEnv } from '../../src/peer/env.ts';
import { RECORD } from '../protocol/examples.ts';
import { FakeWorld } from './fake-os.ts';
import { HOME, ID } from './world.ts';

test('the restart rule: no id is blue; no verdict file is green; promoted serves again; any other verdict exits', () => {
  const world = new FakeWorld();
  const os = world.os(200);
  assert.deepEqual(startupRole(os, HOME, null), { role: 'blue' });
  assert.deepEqual(startupRole(os, HOME, ID), { role: 'green', handoffId: ID });
  const file = `${HOME}/run/handoffs/${ID}.json`;
  const promoted = { ...RECORD, handoff_id: ID, verdict: 'promoted' as const };
  world.fileMap.set(file, JSON.stringify(promoted));
  assert.deepEqual(startupRole(os, HOME, ID), { role: 'restarted', handoffId: ID, verdict: promoted });
  for (const verdict of ['rolled-back', 'failed'] as const) {
    world.fileMap.set(file, JSON.stringify({ ...promoted, verdict }));
    assert.deepEqual(startupRole(os, HOME, ID), { role: 'exit', reason: `handoff ${ID} already ended ${verdict}; nothing to do` });
  }
  world.fileMap.set(file, 'not json at all');
  assert.equal(startupRole(os, HOME, ID).role, 'exit', 'an unreadable verdict file is not a promotion');
});

test('peerEnv: the protocol variables, HERMES_HANDOFF_SOCKET before the default path, and a bad id named', () => {
  assert.deepEqual(peerEnv({ HERMES_HOME: '/h', HERMES_RELEASE: 'abc', HERMES_RUNTIME: 'claw', HERMES_HANDOFF_ID: 'h-1' }), {
    home: '/h',
    handoffId: 'h-1',
    release: 'abc',
    runtime: 'claw',
    socketPath: '/h/run/handoff.sock',
  });
  assert.equal(peerEnv({ HERMES_HOME: '/h', HERMES_HANDOFF_SOCKET: '/run/x/hs.sock' }).socketPath, '/run/x/hs.sock');
  assert.deepEqual(peerEnv({}), { home: null, handoffId: null, release: null, runtime: null, socketPath: null });
  assert.throws(() => peerEnv({ HERMES_HANDOFF_ID: '../x' }), /^Error: HERMES_HANDOFF_ID: invalid handoff id "\.\.\/x": /);
});
