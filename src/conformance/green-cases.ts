// `hermes-handoff conformance --drive green`: the cases the green under test is driven through, in order
// (green-peer.ts plays blue and starts the green): what green sends and when, and what it does with the
// socket and the verdict files.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readVerdict, verdictPath, writeFileAtomic, writeVerdict } from '../peer/files.ts';
import { realOs } from '../peer/os.ts';
import { expectEqual, expectThat, Mismatch, show, type Case } from './cases.ts';
import { bluePid, fake, FakeBlue, fileText, GREEN_STEPS, GreenUnderTest, newId, record, servingPid, SLACK, START_MS, takeBack, untilServing, type GreenDrive } from './green-peer.ts';
import { spawnStandIn } from './procs.ts';
import { Wire } from './wire.ts';

/** The restart rule: a green started for a handoff whose verdict file says `verdict` exits 0 at once, writing nothing, never connecting. */
function restartRuleCase(verdict: 'rolled-back' | 'failed' | 'unreadable'): Case<GreenDrive> {
  return {
    name: `restart rule: a handoff whose verdict file says ${verdict} makes green exit 0 at once, writing nothing`,
    ms: START_MS + 5_000,
    async run(x, scope) {
      const id = newId(x);
      const path = verdictPath(x.home, id);
      if (verdict === 'unreadable') writeFileAtomic(path, '{"not": "a verdict"\n');
      else writeVerdict(x.home, record(x, id, verdict, 4242));
      const before = fileText(path);
      const hellos = fake(x).greenHellos;
      const g = GreenUnderTest.launch(x, scope, id);
      const code = await g.exits(START_MS, 'the restart rule');
      expectEqual('exit status', code, 0);
      expectEqual('green HELLOs (a finished handoff has no green)', fake(x).greenHellos - hellos, 0);
      expectThat(fileText(path) === before, 'the verdict file unchanged', () => 'it was rewritten');
    },
  };
}

/** The cases, in order. */
export const GREEN_CASES: Case<GreenDrive>[] = [
  {
    name: 'the driver listens as blue',
    ms: 10_000,
    async run(x) {
      x.blue = spawnStandIn();
      x.fake = new FakeBlue(x.socket, x.token, x.blue.pid);
      await x.fake.start();
      expectEqual('WELCOME on the socket', await servingPid(x), x.blue.pid);
    },
  },
  restartRuleCase('rolled-back'),
  restartRuleCase('unreadable'),
  {
    name: 'restart rule: promoted, and a live blue listens: green exits 0 without serving',
    ms: START_MS + 5_000,
    async run(x, scope) {
      const id = newId(x);
      writeVerdict(x.home, record(x, id, 'promoted', 4242));
      const hellos = fake(x).greenHellos;
      const g = GreenUnderTest.launch(x, scope, id);
      expectEqual('exit status', await g.exits(START_MS, 'the restart rule'), 0);
      expectEqual('green HELLOs', fake(x).greenHellos - hellos, 0);
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
    },
  },
  {
    name: 'a green refused at HELLO (ERROR busy) exits without serving',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.wire.send({ type: 'ERROR', code: 'busy', message: `no reservation for handoff ${g.id}`, frame: 'HELLO', fatal: true });
      g.wire.close();
      const code = await g.exits(10_000, 'after ERROR busy');
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
      scope.note(`exit ${code}`);
    },
  },
  {
    name: 'HELLO, then nothing before HANDOFF_INIT; ACK once ready; CONFIRM; HEALTH every heartbeat_ms; HANDOFF_ROLLBACK answered with HANDOFF_STOPPED; green exits',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      await g.wire.quiet('nothing from green before HANDOFF_INIT', 500);
      g.sendInit();
      const ack = await g.ack();
      const confirm = await g.activate(x.latest ?? {});
      const beats = await g.heartbeats(5, x.latest ?? {});
      const stopped = await g.rollback();
      x.latest = stopped.cursors;
      const code = await g.exits(g.init.deadlines.rollback_grace_ms + SLACK, 'after HANDOFF_STOPPED');
      scope.note(`adapters ${confirm.adapters.join(', ')}; init ${ack.init_ms} ms; ${beats.length} heartbeats; exit ${code}`);
    },
  },
  {
    name: 'a store schema green cannot read: HANDOFF_ROLLBACK before any ACK',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({ store: { path: join(x.home, 'store', 'transcript.log'), schema: 99 } });
      const f = await g.wire.anyFrame('HANDOFF_ROLLBACK', g.init.deadlines.ack_ms);
      // Section 17: a green that cannot read the store MUST NOT send HANDOFF_ACK.
      if (f.type !== 'HANDOFF_ROLLBACK') throw new Mismatch('HANDOFF_ROLLBACK before any ACK', show(f));
      scope.note(`reason ${show(f.reason)}`);
      await g.exits(10_000, 'after the store check');
    },
  },
  {
    name: 'HANDOFF_ROLLBACK while green waits for HANDOFF_ACTIVE: it exits, having polled nothing',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      g.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: g.id, reason: 'conformance: aborted' });
      await g.exits(10_000, 'after HANDOFF_ROLLBACK');
    },
  },
  {
    name: 'no HANDOFF_ACTIVE within drain_ms + hello_ms: green rolls back itself and exits',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 500, hello_ms: 1_000, rollback_grace_ms: 500 });
      await g.ack();
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', 1_500 + SLACK);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'no HANDOFF_ACTIVE within 1.5 s');
      await g.exits(10_000, 'after giving up');
    },
  },
  {
    name: 'from the cursors handed over to a promotion: green takes the socket over (and gateway.pid) before it answers HANDOFF_COMPLETE',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      const from = x.latest ?? {};
      await g.activate(from);
      const beats = await g.heartbeats(3, from);
      x.latest = beats[beats.length - 1]!.cursors;
      const reason = 'bake of 1 min passed: conformance';
      writeVerdict(x.home, { ...record(x, g.id, 'promoted', g.hello.pid), reason });
      g.wire.send({ type: 'HANDOFF_COMPLETE', handoff_id: g.id, reason });
      scope.defer(() => takeBack(x, g));
      for (;;) {
        const f = await g.wire.anyFrame("green's HANDOFF_COMPLETE", g.init.deadlines.takeover_ms);
        if (f.type === 'HEALTH') continue; // a heartbeat already on its way
        if (f.type !== 'HANDOFF_COMPLETE') throw new Mismatch("green's HANDOFF_COMPLETE", show(f));
        expectEqual('HANDOFF_COMPLETE.handoff_id', f.handoff_id, g.id);
        break;
      }
      expectEqual('who answers on the socket when green answers', await servingPid(x), g.hello.pid);
      expectEqual('gateway.pid', fileText(join(x.home, 'gateway.pid'))?.trim(), String(g.hello.pid));
      const w = await Wire.open(x.socket);
      try {
        w.send({ type: 'HELLO', role: 'observer', token: x.token, pid: process.pid });
        await w.frame('WELCOME', SLACK);
        w.send({ type: 'STATUS' });
        const st = await w.frame('STATE', SLACK);
        expectThat(st.phase === 'idle' && st.last_verdict?.handoff_id === g.id && st.last_verdict.verdict === 'promoted', `STATE idle with last_verdict promoted ${g.id}`, () => show({ phase: st.phase, last_verdict: st.last_verdict && [st.last_verdict.handoff_id, st.last_verdict.verdict] }));
      } finally {
        w.close();
      }
    },
  },
  {
    name: 'blue dies during the bake: green decides promoted, writes the verdict file and serves',
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit();
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      const blue = bluePid(x);
      scope.defer(() => takeBack(x, g));
      await x.blue!.kill();
      fake(x).stop();
      g.wire.close();
      await untilServing(x, g.hello.pid, g.init.deadlines.rollback_grace_ms + 2_000 + SLACK * 2, 'blue gone');
      const v = readVerdict(x.home, g.id);
      expectThat(v !== null, `run/handoffs/${g.id}.json written`, () => 'no valid file');
      const reason = `blue (pid ${blue}) exited during the bake; green took over`;
      expectEqual('the verdict green wrote', { verdict: v!.verdict, decided_by: v!.decided_by, reason: v!.reason, blue_pid: v!.blue_pid, green_pid: v!.green_pid }, { verdict: 'promoted', decided_by: 'green', reason, blue_pid: blue, green_pid: g.hello.pid });
      const steps = v!.timeline.map((t) => t.phase);
      expectThat(steps.every((s) => GREEN_STEPS.includes(s)) && steps.includes('taken-over'), `a timeline of green's step names (${GREEN_STEPS.join(', ')}) ending taken-over`, () => show(steps));
      expectThat(typeof v!.dark_window_ms === 'number', 'dark_window_ms (green had HANDOFF_ACTIVE)', () => show(v!.dark_window_ms));
    },
  },
  {
    name: "blue's pid lives and the socket answers from it: green stands down, writes nothing, exits",
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 1_000, rollback_grace_ms: 1_000 });
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      g.wire.close();
      await g.exits(1_000 + 2_000 + 1_000 + SLACK * 2, 'standing down');
      expectEqual('who answers on the socket', await servingPid(x), bluePid(x));
      expectThat(!existsSync(verdictPath(x.home, g.id)), 'no verdict file (blue decides)', () => 'green wrote one');
    },
  },
  {
    name: "blue's pid lives but the socket answers from another pid: green serves (blue left the socket)",
    ms: START_MS + 30_000,
    async run(x, scope) {
      const g = await GreenUnderTest.start(x, scope);
      g.sendInit({}, { drain_ms: 1_000, rollback_grace_ms: 1_000 });
      await g.ack();
      await g.activate(x.latest ?? {});
      x.latest = (await g.heartbeats(2, x.latest ?? {}))[1]!.cursors;
      const blue = bluePid(x);
      scope.defer(() => takeBack(x, g));
      fake(x).welcomePid = process.pid;
      g.wire.close();
      await untilServing(x, g.hello.pid, 1_000 + 2_000 + SLACK * 2, 'blue left the socket');
      const v = readVerdict(x.home, g.id);
      const reason = `blue (pid ${blue}) left the socket (its pid runs, the socket answers from pid ${process.pid}) during the bake; green took over`;
      expectThat(v?.verdict === 'promoted' && v.decided_by === 'green' && v.reason === reason, `a verdict promoted by green: ${show(reason)}`, () => show(v && [v.verdict, v.decided_by, v.reason]));
    },
  },
  {
    name: 'restart rule: promoted, and nothing listens: the restarted green serves as blue',
    ms: START_MS + 15_000,
    async run(x, scope) {
      const id = newId(x);
      writeVerdict(x.home, record(x, id, 'promoted', 4242));
      fake(x).stop();
      const g = GreenUnderTest.launch(x, scope, id);
      const end = Date.now() + START_MS;
      let pid: number | null = null;
      while (Date.now() < end && (pid === null || pid === bluePid(x))) {
        pid = await servingPid(x, 1_000);
        if (g.proc.exitCode() !== undefined) throw new Mismatch('the restarted green serving', `it exited ${show(g.proc.exitCode())} (log ${g.log})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expectThat(pid !== null && pid !== bluePid(x) && realOs.isAlive(pid), 'the socket answering from the restarted green', () => (pid === null ? 'no process' : `pid ${pid}`));
      g.hello = { v: 1, type: 'HELLO', role: 'green', token: x.token, pid: pid! };
      scope.defer(() => takeBack(x, g));
    },
  },
];

/** The case after whose failure nothing else can run. */
export const GREEN_PRECONDITION = GREEN_CASES[0]!.name;
