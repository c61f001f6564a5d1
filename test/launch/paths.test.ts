import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { LocalHost } from '../../src/host/local/local-host.ts';
import { greenEnvFile, greenLogFile, verdictFile } from '../../src/core/layout.ts';
import { PlainRemote } from '../../src/handoff/remote/plain.ts';
import { clockOf } from '../../src/handoff/params.ts';
import type { EngineParams } from '../../src/core/params.ts';

const paths = (hermesHome: string, socketPath: string | null, workdir: string | null) =>
  new PlainRemote(
    new LocalHost(),
    { mode: 'status', targetName: 't', hermesHome, socketPath, workdir, greenCommand: null, runtime: 'claw', release: '', greenEnv: {}, prepareCommand: null, launcher: 'process', systemdUnit: 'hermes-green@', bakeMs: 0, timeoutMs: 1_000, thresholds: {}, deadlines: {} } satisfies EngineParams,
    clockOf({}),
  ).paths();

test("plain paths expand ~/ with the host's $HOME in hermes-home, socket-path and workdir", async () => {
  const home = process.env.HOME ?? homedir();
  const p = await paths('~/.hermes', null, '~/app dir');
  assert.deepEqual(p, {
    home: `${home}/.hermes`,
    socket: `${home}/.hermes/run/handoff.sock`,
    token: `${home}/.hermes/run/handoff.token`,
    logs: `${home}/.hermes/logs`,
    verdicts: `${home}/.hermes/run/handoffs`,
    workdir: `${home}/app dir`,
  });
  const q = await paths('/srv/h', '~/sock/x.sock', null);
  assert.equal(q.socket, `${home}/sock/x.sock`);
  assert.equal(q.token, `${home}/sock/handoff.token`);
  assert.equal(q.workdir, null);
  assert.equal(greenLogFile(q, 'abc'), '/srv/h/logs/green-abc.log');
  assert.equal(greenEnvFile(q, 'abc'), '/srv/h/run/green-abc.env');
  assert.equal(verdictFile(q, 'abc'), '/srv/h/run/handoffs/abc.json');
  assert.throws(() => verdictFile(q, '../x'), /invalid handoff id/, 'an id becomes a file name only when valid');
});
