// The engine through the host agent's operations: no shell line, no green command from the run, the agent's
// answers read as data; a read-only key for preflight and status and a clear refusal for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMode } from '../../src/handoff/run.ts';
import { AGENT_PROGRAM } from '../../src/host/agent.ts';
import { agentHello, engineIo, params, promotesAfter, world } from './fake-host.ts';

test('promote through the agent: only agent operations reach the host; green-env travels as JSON on stdin, green\'s command never', async () => {
  const { clock, host } = world();
  host.onLaunch = promotesAfter(host, 2_000);
  const io = engineIo(host, agentHello());
  const o = await clock.run(runMode(params({ bakeMs: 2_000, greenCommand: 'uv run hermes gateway --evil' }), io));
  assert.equal(o.verdict, 'promoted', o.reason);
  assert.ok(host.execs.every((a) => a[0] === AGENT_PROGRAM), `a non-agent command: ${JSON.stringify(host.execs.find((a) => a[0] !== AGENT_PROGRAM))}`);
  assert.ok(!JSON.stringify(host.execs).includes('uv run'), "green's command was sent");
  const ops = host.agentOps.map((a) => a[0]);
  assert.deepEqual(ops.slice(0, 2), ['token', 'launch']);
  assert.ok(ops.every((op) => ['token', 'launch', 'pid-runs'].includes(op!)), ops.join(' '));
  assert.deepEqual(JSON.parse(host.greens[0]!.stdin), { SECRET: 's3cret' }, 'only green-env: the agent sets HERMES_* itself');
  assert.ok(io.logs.some((l) => /come from the host agent's config/.test(l)));
});

test('through the agent, a green that fails is stopped with stop-green <id>, and its log read with tail <id>', async () => {
  const { clock, host, blue } = world();
  host.onLaunch = (g) => clock.after(100, () => {
    blue.claim(g.pid);
    clock.after(500, () => blue.decide('failed', 'green reports release r2-not, expected r2'));
  });
  const o = await clock.run(runMode(params(), engineIo(host, agentHello())));
  assert.equal(o.verdict, 'failed');
  const id = o.handoff_id!;
  assert.ok(host.agentOps.some((a) => a[0] === 'stop-green' && a[1] === id), JSON.stringify(host.agentOps));
  assert.ok(host.agentOps.some((a) => a[0] === 'tail' && a[1] === id && a[2] === '40'));
  assert.equal(o.green_log_tail, `green log of ${id}\n`);
  assert.equal(host.greens[0]!.stoppedBy, 'stop-green');
});

test('the agent\'s prepare: run for the reserved id; a failure releases the reservation, its output for the summary', async () => {
  const { clock, host, blue } = world();
  host.prepare = { code: 2, output: 'building r2\n' };
  const o = await clock.run(runMode(params(), engineIo(host, agentHello({ prepare: true }))));
  assert.equal(o.verdict, 'failed');
  assert.equal(o.reason, `the host's prepare command (${AGENT_PROGRAM} prepare) failed; its output is in the job summary and the run log`);
  assert.match(o.prepare_output ?? '', /building r2[\s\S]*the prepare command exited with 2/);
  assert.equal(blue.phase, 'idle');
  assert.equal(host.greens.length, 0);
});

test('prepare-command set while the agent has none: failed before RESERVE, saying where the command belongs', async () => {
  const { clock, host, blue } = world();
  const o = await clock.run(runMode(params({ prepareCommand: 'make' }), engineIo(host, agentHello({ prepare: false }))));
  assert.equal(o.verdict, 'failed');
  assert.match(o.reason, /^prepare-command is set, but the host agent runs only the prepare command of its config \/etc\/hermes-handoff\/agent\.json, which has none/);
  assert.equal(blue.got('RESERVE').length, 0);
});

test('a read-only agent key: status follows a handoff under way through the agent\'s status operation; promote and rollback are refused clearly', async () => {
  const { clock, host, blue } = world();
  const ro = agentHello({ mode: 'read-only', ops: ['hello', 'preflight', 'status', 'verdict', 'verdicts'] });
  blue.handoff = { id: 'h-9', release: 'r9', runtime: 'claw', bake_ms: 5_000, green_pid: 900, started_at: clock.now, bake_started_at: clock.now };
  blue.phase = 'baking';
  blue.timeline.push({ phase: 'baking', at: clock.now });
  for (let t = 1_000; t <= 5_000; t += 1_000) clock.after(t, () => blue.sample());
  clock.after(5_500, () => blue.decide('promoted', 'bake of 5 s passed'));
  const o = await clock.run(runMode(params({ mode: 'status' }), engineIo(host, ro)));
  assert.equal(o.verdict, 'promoted', o.reason);
  assert.equal(o.handoff_id, 'h-9');
  assert.ok(o.health.length >= 4, `health from STATE: ${o.health.length}`);
  assert.equal(host.openSockets, 0, 'a read-only key opens no socket');
  assert.ok(host.agentOps.every((a) => ['status', 'verdict', 'verdicts'].includes(a[0]!)), JSON.stringify(host.agentOps));
  for (const mode of ['promote', 'rollback'] as const) {
    const r = await clock.run(runMode(params({ mode }), engineIo(host, ro)));
    assert.equal(r.verdict, 'failed');
    assert.equal(r.reason, `this SSH key is the host agent's read-only key, for preflight and status only: mode: ${mode} needs the deploy key (docs/host-setup.md#the-deploy-keys-and-the-host-agent)`);
  }
  assert.ok(!host.agentOps.some((a) => a[0] === 'token'));
});

test('preflight through the agent: its checks, and (full key) that the runner reaches the socket over SSH', async () => {
  for (const mode of ['full', 'read-only'] as const) {
    const { clock, host } = world();
    const o = await clock.run(runMode(params({ mode: 'preflight' }), engineIo(host, agentHello({ mode }))));
    assert.equal(o.verdict, 'ready', o.reason);
    const names = o.checks.map((c) => c.name);
    assert.deepEqual(names, mode === 'full' ? ['host reachable', 'agent config', 'socket answers', 'socket reachable over SSH'] : ['host reachable', 'agent config', 'socket answers']);
    assert.match(o.checks[0]!.detail, new RegExp(`${AGENT_PROGRAM} 1\\.0\\.0 \\(${mode} key\\)`));
  }
});

test('an agent whose config is unusable, or that speaks another interface: a clear failure before anything runs', async () => {
  const { clock, host } = world();
  const broken = await clock.run(runMode(params(), engineIo(host, agentHello({ configError: '/etc/hermes-handoff/agent.json: writable by group or others (mode 666)', hermesHome: null, socket: null }))));
  assert.equal(broken.verdict, 'failed');
  assert.equal(broken.reason, `${AGENT_PROGRAM} on the host cannot use its config: /etc/hermes-handoff/agent.json: writable by group or others (mode 666)`);
  const newer = await clock.run(runMode(params(), engineIo(host, agentHello({ protocol: 2 }))));
  assert.match(newer.reason, /speaks interface 2; this action speaks 1: install the agent from this action's release/);
  assert.equal(host.execs.length, 0);
});
