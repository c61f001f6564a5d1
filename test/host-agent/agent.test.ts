// The host agent through a real sshd with the documented authorized_keys lines (forced command, full and read-only
// keys), against a real blue (the reference gateway) and the fake platform: what it refuses, and every operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { AGENT_EXIT, agentArgv, agentMessage, type AgentOp } from '../../src/host/agent.ts';
import type { ExecResult } from '../../src/host/host.ts';
import { connectSsh, type SshHost } from '../../src/host/ssh/connect.ts';
import { agentWorld, Frames, rawClient, rawExec, type AgentWorld } from '../ssh/documented.ts';
import { captureLog } from '../ssh/fixtures.ts';

/** Live processes whose process group is `pgid` (from /proc). */
function groupOf(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z' && Number(f[2]) === pgid) out.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** Runs `fn` over `items`, at most `n` at once (an SSH connection allows 10 sessions), results in order. */
async function inBatches<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(fn))));
  return out;
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Keys {
  a: AgentWorld;
  full: SshHost;
  ro: SshHost;
  rawFull: Client;
  rawRo: Client;
  token: string;
}

async function setUp(t: Parameters<typeof agentWorld>[0]): Promise<Keys | null> {
  const a = await agentWorld(t);
  if (!a) return null;
  const full = await connectSsh(a.full(), captureLog());
  t.after(() => full.close());
  const ro = await connectSsh(a.readOnly(), captureLog());
  t.after(() => ro.close());
  const rawFull = await rawClient(t, a.w.sshd, a.w.sshd.clientKey);
  const rawRo = await rawClient(t, a.w.sshd, a.w.sshd.readOnlyKey);
  const token = readFileSync(join(a.w.home, 'run', 'handoff.token'), 'utf8').trim();
  return { a, full, ro, rawFull, rawRo, token };
}

const run = (h: SshHost, op: AgentOp, args: Array<string | number> = [], stdin = ''): Promise<ExecResult> =>
  h.exec(agentArgv(op, ...args), { timeoutMs: 20_000, stdin });

/** A second observer connection that reserves (and can abort) handoffs over the full key's socket channel. */
async function observer(k: Keys): Promise<Frames> {
  const f = new Frames(await k.full.openSocket(k.a.socket, 10_000));
  await f.hello(k.token);
  return f;
}

test('host agent: the refused commands, through a real sshd and the documented forced-command lines', async (t) => {
  const k = await setUp(t);
  if (!k) return;
  const ops = 'hello, preflight, status, verdict, verdicts, token, socket, prepare, launch, pid-runs, stop-green, tail';
  // [command exactly as the client sends it, key, exit status, what stderr says]
  const table: Array<[string, 'full' | 'ro', number, RegExp]> = [
    ['hello; id', 'full', 64, /contains ";", which no operation uses/],
    ['hello && id', 'full', 64, /contains "&"/],
    ['hello | cat', 'full', 64, /contains "\|"/],
    ['$(id)', 'full', 64, /contains "\$"/],
    ['`id`', 'full', 64, /contains "`"/],
    ['hello > /tmp/owned', 'full', 64, /contains ">"/],
    ['hello\nid', 'full', 64, /contains "\\n"/],
    ['token #', 'full', 64, /contains "#"/],
    ['cat /etc/shadow', 'full', 64, /unknown operation "cat"/],
    ['sh -c id', 'full', 64, /unknown operation "sh"/],
    ['/bin/sh', 'full', 64, /unknown operation "\/bin\/sh"/],
    ['python3 -c print', 'full', 64, /unknown operation "python3"/],
    ['rm -rf /', 'full', 64, /unknown operation "rm"/],
    ['--config /tmp/evil.json hello', 'full', 64, /unknown operation "--config"/],
    ['hermes-handoff-agent --read-only token', 'full', 64, /unknown operation "--read-only"/],
    ['verdict ../../../etc/passwd', 'full', 64, /handoff id '\.\.\/\.\.\/\.\.\/etc\/passwd'/],
    ['verdict ..', 'full', 64, /handoff id '\.\.'/],
    ['verdict .', 'full', 64, /handoff id '\.'/],
    [`verdict ${'a'.repeat(65)}`, 'full', 64, /handoff id/],
    ['tail x/y', 'full', 64, /handoff id/],
    ['tail x 0', 'full', 64, /line count '0'/],
    ['tail x 100000', 'full', 64, /line count/],
    ['pid-runs 0', 'full', 64, /pid '0'/],
    ['pid-runs -1', 'full', 64, /pid '-1'/],
    ['pid-runs 99999999999', 'full', 64, /pid/],
    ['pid-runs 1.5', 'full', 64, /pid/],
    ['hello extra', 'full', 64, /hello takes no arguments; got 1 argument/],
    ['verdict', 'full', 64, /verdict takes <id>; got 0 arguments/],
    ['verdict a b', 'full', 64, /got 2 arguments/],
    ['stop-green a b', 'full', 64, /got 2 arguments/],
    ["verdict 'unbalanced", 'full', 64, /cannot be split into words/],
    ['x'.repeat(2000), 'full', 64, /2000 characters long; at most 1024/],
    ['', 'full', 64, /no operation given/],
    ['token', 'ro', 77, /this key is read-only; it may use hello, preflight, status, verdict, verdicts, not token/],
    ['socket', 'ro', 77, /not socket/],
    ['launch abc', 'ro', 77, /not launch/],
    ['prepare abc', 'ro', 77, /not prepare/],
    ['stop-green abc', 'ro', 77, /not stop-green/],
    ['pid-runs 1', 'ro', 77, /not pid-runs/],
    ['tail abc', 'ro', 77, /not tail/],
    ['hermes-handoff-agent token', 'ro', 77, /not token/],
    ['sh', 'ro', 64, /unknown operation "sh"/],
  ];
  const results = await inBatches(table, 5, ([command, key]) => rawExec(key === 'full' ? k.rawFull : k.rawRo, command));
  for (const [i, [command, key, code, message]] of table.entries()) {
    const r = results[i]!;
    const label = `${key}: ${JSON.stringify(command.slice(0, 60))}`;
    assert.equal(r.code, code, `${label}: exit ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stdout, '', label);
    assert.equal(r.stderr.split('\n').length, 2, `${label}: more than one line: ${r.stderr}`);
    assert.match(r.stderr, /^hermes-handoff-agent: refused: /, label);
    assert.match(r.stderr, message, `${label}: ${r.stderr}`);
    if (/unknown operation|no operation/.test(r.stderr)) assert.ok(r.stderr.includes(ops), label);
  }
  t.diagnostic(`${table.length} refused commands`);
  assert.equal(existsSync('/tmp/owned'), false);

  // what is not a command at all: an interactive shell and sftp get the same refusal
  const shell = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) =>
    k.rawFull.shell(false, (err, ch) => {
      if (err) return reject(err);
      let stderr = '';
      let code: number | null = null;
      ch.resume(); // nothing comes on stdout, but its end must be read for 'close' to follow
      ch.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', () => resolve({ code, stderr }));
      ch.end('id\n');
    }),
  );
  assert.equal(shell.code, 64);
  assert.match(shell.stderr, /no operation given \(an interactive session or a shell is not available with this key\)/);
  await assert.rejects(new Promise((res, rej) => k.rawFull.sftp((err, sftp) => (err ? rej(err) : res(sftp)))));
  assert.match(await k.a.w.sshd.log(), /subsystem request for sftp/);

  // green's environment from CI is checked before blue is even asked
  const envCases: Array<[string, RegExp]> = [
    ['{"LD_PRELOAD":"/tmp/x.so"}', /LD_PRELOAD is not accepted \(it changes how programs load code or find files\)/],
    ['{"PATH":"/tmp"}', /PATH is not accepted/],
    ['{"PYTHONSTARTUP":"/tmp/x"}', /PYTHONSTARTUP is not accepted/],
    ['{"bad-name":"x"}', /"bad-name" is not a variable name/],
    ['{"A":1}', /A must be a string/],
    ['["A"]', /must be a JSON object of strings/],
    ['{"A": NaN}', /not valid JSON/],
    [JSON.stringify({ A: 'x'.repeat(1_100_000) }), /over 1048576 bytes/],
  ];
  const envResults = await inBatches(envCases, 4, ([stdin]) => rawExec(k.rawFull, 'launch some-id', stdin));
  for (const [i, [stdin, message]] of envCases.entries()) {
    const r = envResults[i]!;
    assert.equal(r.code, AGENT_EXIT.badInput, `${stdin.slice(0, 40)}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  // and a launch or prepare needs blue to hold that reservation
  for (const op of ['launch', 'prepare'] as const) {
    const r = await run(k.full, op, ['not-reserved'], '{}');
    assert.equal(r.code, AGENT_EXIT.refused);
    assert.match(agentMessage(r), /blue holds no unclaimed reservation for handoff not-reserved \(it holds no handoff \(phase idle\)\); RESERVE it first/);
  }
  const none = await run(k.full, 'stop-green', ['never-launched']);
  assert.equal(none.code, AGENT_EXIT.notFound);
  assert.match(agentMessage(none), /the agent launched no green for handoff never-launched/);
  assert.equal((await run(k.full, 'tail', ['never-launched'])).code, AGENT_EXIT.notFound);
  assert.equal((await run(k.ro, 'verdict', ['never-decided'])).code, AGENT_EXIT.notFound);
  assert.deepEqual(k.a.w.alive(), [k.a.w.blue.pid], 'a refused command started a gateway');
});

test('host agent: every operation against a real blue, a promotion driven through the agent, stop-green and a prepare timeout', async (t) => {
  const k = await setUp(t);
  if (!k) return;
  const { a } = k;
  const bluePid = a.w.blue.pid!;

  // hello, preflight, status (both keys), token
  assert.equal(k.full.agent?.mode, 'full');
  assert.equal(k.ro.agent?.mode, 'read-only');
  for (const h of [k.full, k.ro]) {
    const pf = await run(h, 'preflight');
    assert.equal(pf.code, 0, pf.stdout + pf.stderr);
    const report = JSON.parse(pf.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }>; blue: { phase: string; server_pid: number } };
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.map((c) => c.name),
      ['agent config', 'hermes-home exists', 'token readable', 'socket answers', 'blue is idle', 'free disk', 'green workdir exists', 'green command resolves', 'prepare command resolves'],
    );
    assert.equal(report.blue.server_pid, bluePid);
    assert.ok(!pf.stdout.includes(k.token), 'preflight printed the token');
    const st = await run(h, 'status');
    assert.equal(st.code, 0, st.stderr);
    const state = JSON.parse(st.stdout) as { type: string; phase: string; server_pid: number; release: string };
    assert.deepEqual([state.type, state.phase, state.server_pid, state.release], ['STATE', 'idle', bluePid, 'r1']);
    assert.equal(st.stdout.split('\n').length, 2);
  }
  const tok = await run(k.full, 'token');
  assert.equal(tok.stdout, `${k.token}\n`);

  // a promotion: RESERVE over the socket, prepare, launch, follow with the read-only key
  const obs = await observer(k);
  const id = 'agent-e2e-1';
  obs.send({ type: 'RESERVE', handoff_id: id, release: 'r2', runtime: 'legacy', bake_ms: 1500, deadlines: { heartbeat_ms: 200 } });
  await obs.next('RESERVED');
  const prep = await run(k.full, 'prepare', [id]);
  assert.equal(prep.code, 0, prep.stderr);
  assert.match(prep.stdout, new RegExp(`preparing r2 for ${id}`));
  assert.equal(readFileSync(join(a.w.home, 'prepared'), 'utf8'), `r2 legacy ${id} ${a.w.dir}\n`);

  const secret = `s3cret 'quoted' "double" $HOME \`id\` ;|&\nsecond line`;
  const launched = await run(k.full, 'launch', [id], JSON.stringify({ GREEN_SECRET: secret, HERMES_RELEASE: 'r2' }));
  assert.equal(launched.code, 0, launched.stderr);
  const greenPid = Number(launched.stdout.trim());
  assert.ok(Number.isInteger(greenPid) && greenPid > 0, launched.stdout);
  a.w.pids.add(greenPid);
  assert.equal((await run(k.full, 'pid-runs', [greenPid])).code, 0);
  // green got the exact values, the agent's own HERMES_*, nothing of the SSH session, and no file held them
  const environ = new Map(
    readFileSync(`/proc/${greenPid}/environ`, 'utf8')
      .split('\0')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  assert.equal(environ.get('GREEN_SECRET'), secret);
  assert.equal(environ.get('HERMES_HANDOFF_ID'), id);
  assert.equal(environ.get('HERMES_RELEASE'), 'r2');
  assert.equal(environ.get('HERMES_HOME'), a.w.home);
  assert.equal([...environ.keys()].some((n) => n.startsWith('SSH_')), false, [...environ.keys()].join(' '));
  assert.equal(existsSync(join(a.w.home, 'handoff-agent', 'env')), false);
  const again = await run(k.full, 'launch', [id], '{}');
  assert.equal(again.code, AGENT_EXIT.refused, 'a second launch for the same handoff was accepted');

  const record = await until('the promoted verdict', 30_000, async () => {
    const r = await run(k.ro, 'verdict', [id]);
    if (r.code !== 0) return null;
    const v = JSON.parse(r.stdout) as { verdict: string; release: string; green_pid: number };
    return v.verdict === 'promoted' ? v : null;
  });
  obs.close();
  assert.equal(record.release, 'r2');
  assert.equal(record.green_pid, greenPid);
  const list = await run(k.ro, 'verdicts', [5]);
  assert.equal((JSON.parse(list.stdout.split('\n')[0]!) as { handoff_id: string }).handoff_id, id);
  const tail = await run(k.full, 'tail', [id, 5]);
  assert.equal(tail.code, 0);
  const lines = tail.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 1 && lines.length <= 5, tail.stdout);
  assert.match(tail.stdout, /gateway green pid/);
  assert.ok(!tail.stdout.includes(secret), 'the secret reached the log');
  // the promoted green serves: stop-green leaves it alone
  const stopPromoted = await run(k.full, 'stop-green', [id]);
  assert.equal(stopPromoted.code, AGENT_EXIT.refused);
  assert.match(agentMessage(stopPromoted), /was promoted: its green \(pid \d+\) serves; stop-green stops only greens that were not promoted/);
  assert.equal((await run(k.full, 'pid-runs', [greenPid])).code, 0);
  await until('green to serve', 15_000, async () => {
    const st = JSON.parse((await run(k.ro, 'status')).stdout) as { server_pid: number; release: string };
    return st.server_pid === greenPid && st.release === 'r2' ? st : null;
  });

  // stop-green: a green that never connects and ignores SIGTERM, with children
  const obs2 = await observer(k);
  const id2 = 'agent-e2e-sleeper';
  obs2.send({ type: 'RESERVE', handoff_id: id2, release: 'r3', runtime: 'legacy', bake_ms: 1000 });
  await obs2.next('RESERVED');
  const sleeper = await run(k.full, 'launch', [id2], JSON.stringify({ TEST_GREEN_MODE: 'sleeper' }));
  assert.equal(sleeper.code, 0, sleeper.stderr);
  const sleeperPid = Number(sleeper.stdout.trim());
  t.after(() => {
    for (const p of groupOf(sleeperPid)) process.kill(p, 'SIGKILL');
  });
  await until('the sleeper group', 5_000, async () => (groupOf(sleeperPid).length >= 3 ? true : null));
  const stopped = await run(k.full, 'stop-green', [id2]);
  assert.equal(stopped.code, 0, stopped.stderr);
  const report = JSON.parse(stopped.stdout) as { stopped: boolean; signal: string; pids: number[] };
  assert.equal(report.stopped, true);
  assert.equal(report.signal, 'SIGKILL', 'the group ignores SIGTERM: stop-green must escalate');
  assert.ok(report.pids.length >= 3, stopped.stdout);
  assert.deepEqual(groupOf(sleeperPid), []);
  const pr = await run(k.full, 'pid-runs', [sleeperPid]);
  assert.equal(pr.code, 1);
  assert.match(pr.stdout, /is not running|has exited \(a zombie not yet reaped\)/); // who reaps orphans depends on the init of the machine
  const twice = await run(k.full, 'stop-green', [id2]);
  assert.equal(twice.code, 0);
  assert.equal((JSON.parse(twice.stdout) as { stopped: boolean }).stopped, false);
  assert.equal((await run(k.full, 'pid-runs', [greenPid])).code, 0, 'stop-green touched the serving gateway');
  obs2.send({ type: 'ABORT', handoff_id: id2, reason: 'test: the sleeper never connects' });
  await until('blue idle again', 15_000, async () => ((JSON.parse((await run(k.ro, 'status')).stdout) as { phase: string }).phase === 'idle' ? true : null));

  // prepare: a failing command, a command past its timeout (its process group is killed), and env refused on a mismatch
  const id3 = 'agent-e2e-prepare';
  for (const [release, code, message] of [
    ['bad', AGENT_EXIT.no, /the prepare command exited with 7/],
    ['slow', AGENT_EXIT.timeout, /ran longer than 3 s \(prepare.timeout_seconds\) and was killed/],
  ] as const) {
    obs2.send({ type: 'RESERVE', handoff_id: `${id3}-${release}`, release, runtime: 'legacy', bake_ms: 1000 });
    await obs2.next('RESERVED');
    const started = Date.now();
    const r = await run(k.full, 'prepare', [`${id3}-${release}`]);
    assert.equal(r.code, code, r.stderr);
    assert.match(agentMessage(r), message);
    if (release === 'slow') {
      assert.ok(Date.now() - started < 10_000);
      const pid = Number(readFileSync(join(a.w.home, 'prepare.pid'), 'utf8'));
      assert.deepEqual(groupOf(pid), [], 'the timed-out prepare command survived');
      const mismatch = await run(k.full, 'launch', [`${id3}-${release}`], JSON.stringify({ HERMES_RELEASE: 'not-slow' }));
      assert.equal(mismatch.code, AGENT_EXIT.badInput);
      assert.match(agentMessage(mismatch), /HERMES_RELEASE is set by the agent \("slow" here\); CI sent another value/);
    } else {
      assert.match(r.stderr, /cannot build bad/);
    }
    obs2.send({ type: 'ABORT', handoff_id: `${id3}-${release}`, reason: 'test' });
    await obs2.next('ABORTING').catch(() => undefined);
    await until('blue idle again', 15_000, async () => ((JSON.parse((await run(k.ro, 'status')).stdout) as { phase: string }).phase === 'idle' ? true : null));
  }
  obs2.close();
});
