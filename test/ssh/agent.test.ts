// Detecting the host agent at connect time, and what the SSH host does with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { AGENT_EXIT, agentArgv, agentMessage, parseAgentHello } from '../../src/host/agent.ts';
import { connectSsh } from '../../src/host/ssh/connect.ts';
import { requireSshd } from '../support/sshd.ts';
import { AGENT_PATH } from './documented.ts';
import { captureLog, echoServer, optionsFor, roundTrip, sshdFor } from './fixtures.ts';

/** A temp dir with an agent config whose socket is `socket` (removed after the test). */
function agentConfig(t: TestContext, socket: (dir: string) => string, extra: Record<string, unknown> = {}): { dir: string; config: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hh-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'agent.json');
  const sock = socket(dir);
  writeFileSync(config, JSON.stringify({ hermes_home: dir, socket: sock, green: { command: ['true'] }, ...extra }));
  chmodSync(config, 0o644);
  return { dir, config, socket: sock };
}

test('a plain host: no agent, no warning, and plain commands run as before', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());
  assert.equal(host.agent, null);
  assert.deepEqual(log.warns, []);
  assert.equal((await host.exec(['echo', 'plain'], { timeoutMs: 10_000 })).stdout, 'plain\n');
  assert.match(await s.log(), /Starting session: command/);
});

test('agent: off asks nothing of the host', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t);
  const host = await connectSsh(optionsFor(s, { agent: 'off' }), captureLog());
  t.after(() => host.close());
  assert.equal(host.agent, null);
  assert.doesNotMatch(await s.log(), /Starting session: command/);
});

test('a forced agent: detected with its config; other commands get its refusal; the relay uses its socket operation and only its socket', async (t) => {
  if (!requireSshd(t)) return;
  const c = agentConfig(t, (dir) => join(dir, 'echo.sock'));
  await echoServer(t, c.socket);
  const s = await sshdFor(t, { authorizedKeys: (k) => `command="${AGENT_PATH} --config ${c.config}",restrict ${k.full}\n` });
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());
  assert.deepEqual(
    { ...host.agent, version: undefined },
    {
      version: undefined,
      protocol: 1,
      mode: 'full',
      forced: true,
      config: c.config,
      configError: null,
      hermesHome: c.dir,
      socket: c.socket,
      launcher: 'process',
      prepare: false,
      ops: ['hello', 'preflight', 'status', 'verdict', 'verdicts', 'token', 'socket', 'prepare', 'launch', 'pid-runs', 'stop-green', 'tail'],
    },
  );
  const shell = await host.exec(['sh', '-c', 'id'], { timeoutMs: 10_000 });
  assert.equal(shell.code, AGENT_EXIT.refused);
  assert.equal(shell.stdout, '');
  assert.equal(agentMessage(shell), 'refused: unknown operation "sh"; the operations are hello, preflight, status, verdict, verdicts, token, socket, prepare, launch, pid-runs, stop-green, tail');

  const sock = await host.openSocket(c.socket, 10_000);
  assert.equal(host.relayInUse, true);
  assert.equal(await roundTrip(sock, 'through the agent\n'), 'through the agent\n');
  const big = 'z'.repeat(500_000);
  assert.equal(await roundTrip(sock, big), big);
  sock.destroy();
  assert.ok(log.infos.some((m) => /relayed through agent on the host/.test(m)), JSON.stringify(log.infos));

  const elsewhere = join(c.dir, 'other.sock');
  await echoServer(t, elsewhere);
  await assert.rejects(host.openSocket(elsewhere, 10_000), (e: Error) => {
    assert.ok(e.message.includes(`the host agent relays only its own socket ${c.socket} (set in ${c.config})`), e.message);
    return true;
  });
});

test('a forced agent whose config is unusable: detected, the error is logged, and operations fail with exit 78', async (t) => {
  if (!requireSshd(t)) return;
  const c = agentConfig(t, (dir) => join(dir, 'run', 'handoff.sock'));
  chmodSync(c.config, 0o666);
  const s = await sshdFor(t, { authorizedKeys: (k) => `command="${AGENT_PATH} --config ${c.config}",restrict ${k.full}\n` });
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());
  assert.match(host.agent?.configError ?? '', /writable by group or others \(mode 666\)/);
  assert.equal(host.agent?.socket, null);
  assert.ok(log.warns.some((w) => /cannot use its config: .*writable by group or others/.test(w)), JSON.stringify(log.warns));
  const r = await host.exec(agentArgv('verdicts'), { timeoutMs: 10_000 });
  assert.equal(r.code, AGENT_EXIT.config);
  assert.match(agentMessage(r), /^config error: /);
});

test('a forced command that is not the agent: taken as no agent, with a warning that quotes its answer as data', async (t) => {
  if (!requireSshd(t)) return;
  const s = await sshdFor(t, { authorizedKeys: (k) => `command="printf 'hi\\\\n::set-output name=x::y\\\\n' >&2; exit 3",restrict ${k.full}\n` });
  const log = captureLog();
  const host = await connectSsh(optionsFor(s), log);
  t.after(() => host.close());
  assert.equal(host.agent, null);
  const w = log.warns.find((m) => /hermes-handoff-agent hello answered exit 3/.test(m));
  assert.ok(w, JSON.stringify(log.warns));
  assert.ok(!w.includes('\n'), w);
});

test('parseAgentHello accepts only the agent\'s hello', () => {
  const hello = {
    agent: 'hermes-handoff-agent',
    version: '1.0.0',
    protocol: 1,
    mode: 'read-only',
    forced: true,
    config: '/etc/hermes-handoff/agent.json',
    config_error: null,
    hermes_home: '/home/hermes/.hermes',
    socket: '/home/hermes/.hermes/run/handoff.sock',
    launcher: 'systemd',
    prepare: true,
    ops: ['hello', 'status', 'future-op'],
  };
  const parsed = parseAgentHello(`${JSON.stringify(hello)}\n`);
  assert.equal(parsed?.mode, 'read-only');
  assert.deepEqual(parsed?.ops, ['hello', 'status']);
  for (const bad of ['', 'not json', '{}', JSON.stringify({ ...hello, agent: 'other' }), JSON.stringify({ ...hello, mode: 'admin' }), `${'x'.repeat(70_000)}`]) {
    assert.equal(parseAgentHello(bad), null, bad.slice(0, 40));
  }
});
