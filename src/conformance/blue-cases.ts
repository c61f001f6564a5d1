// `hermes-handoff conformance --drive blue`: the cases a blue listening at the socket is driven through,
// in order (blue-peer.ts plays the observers and the greens).
import { DEFAULT_DEADLINES, DEFAULT_THRESHOLDS } from '../protocol/deadlines.ts';
import { formatDuration } from '../protocol/format.ts';
import type { Socket } from 'node:net';
import { readVerdict } from '../peer/files.ts';
import { listenAt } from '../peer/listen.ts';
import { realOs, waitGone } from '../peer/os.ts';
import { expectEqual, expectThat, Mismatch, show, type Case } from './cases.ts';
import { abort, answerAsGreen, BAKE_MS, DEADLINES, EventLog, expectVerdict, GreenSide, hello, newId, observer, refused, RELEASE, reserve, RUNTIME, SOON, token64, type BlueDrive } from './blue-peer.ts';
import { Wire } from './wire.ts';

/** The cases, in order: connections and frames, reservations, handoffs, and the promotion with the takeover last (blue leaves after it). */
export const BLUE_CASES: Case<BlueDrive>[] = [
  {
    name: 'blue answers an observer HELLO with WELCOME, in phase idle',
    ms: 5_000,
    async run(x) {
      // Opened first, checked later: blue closes a connection that says nothing within hello_ms.
      x.silent = { wire: await Wire.open(x.socket), at: Date.now() };
      const { wire, welcome } = await observer(x);
      wire.send({ type: 'SUBSCRIBE' });
      const state = await wire.frame('STATE', SOON);
      x.events = new EventLog(wire);
      expectEqual('WELCOME.phase (blue must be idle to be driven)', welcome.phase, 'idle');
      expectThat(welcome.versions.includes(1), 'WELCOME.versions with 1', () => show(welcome.versions));
      expectEqual('STATE.server_pid', state.server_pid, welcome.server_pid);
      expectThat(realOs.isAlive(welcome.server_pid), `WELCOME.server_pid (${welcome.server_pid}) a live process of this host`, () => 'no such process');
      x.blue = { pid: welcome.server_pid, release: welcome.release, runtime: welcome.runtime };
    },
  },
  {
    name: 'a wrong token is refused, also with a bad handoff id (the token is checked first)',
    ms: 5_000,
    async run(x) {
      const wrong = { code: 'unauthorized', fatal: true, frame: 'HELLO', message: 'wrong token' };
      await refused(x, hello(x, { token: token64('0') === x.token ? token64('1') : token64('0') }), wrong);
      await refused(x, hello(x, { token: 'x', role: 'green', handoff_id: '../../etc' }), wrong);
    },
  },
  {
    name: 'the first frame must be HELLO',
    ms: 5_000,
    async run(x) {
      await refused(x, '{"v":1,"type":"STATUS"}\n', { code: 'unauthorized', fatal: true, frame: 'STATUS', message: 'the first frame must be HELLO' });
    },
  },
  {
    name: 'HELLO with the right token: a bad handoff id, a green without one',
    ms: 5_000,
    async run(x) {
      await refused(x, hello(x, { handoff_id: '..' }), { code: 'bad_frame', fatal: true, frame: 'HELLO', prefix: 'HELLO: handoff_id: ' });
      await refused(x, hello(x, { role: 'green' }), { code: 'bad_frame', fatal: true, frame: 'HELLO', message: 'HELLO: a green must give handoff_id' });
    },
  },
  {
    name: 'lines that are not frames: not UTF-8, not JSON, NaN, 1e400, not an object, no type, a bad v',
    ms: 10_000,
    async run(x) {
      const bad = (message: string, frame?: string) => ({ code: 'bad_frame', fatal: true, message, ...(frame ? { frame } : {}) });
      await refused(x, Buffer.from('7b2276223a312c2274797065223a22ff227d0a', 'hex'), bad('line is not valid UTF-8'));
      await refused(x, 'hello there\n', bad('line is not valid JSON'));
      await refused(x, '{"v":1,"type":"STATUS","x":NaN}\n', bad('line is not valid JSON'));
      await refused(x, '{"v":1,"type":"STATUS","x":1e400}\n', bad('line is not valid JSON'));
      await refused(x, '[1,2]\n', bad('a frame must be a JSON object'));
      await refused(x, '{"v":1}\n', bad('a frame needs a string "type"'));
      await refused(x, '{"v":0,"type":"STATUS"}\n', bad('STATUS: "v" must be an integer >= 1', 'STATUS'));
    },
  },
  {
    name: 'fields: a boolean for an integer, an unsafe integer, an unknown cursor kind (after HELLO)',
    ms: 10_000,
    async run(x) {
      await refused(x, hello(x, { pid: true }), { code: 'bad_frame', fatal: true, frame: 'HELLO', prefix: 'HELLO: pid: ' });
      await refused(x, hello(x, { pid: 2 ** 53 }), { code: 'bad_frame', fatal: true, frame: 'HELLO', prefix: 'HELLO: pid: ' });
      const stopped = JSON.stringify({ v: 1, type: 'HANDOFF_STOPPED', handoff_id: 'h', cursors: { irc: { kind: 'irc' } } }) + '\n';
      await refused(x, stopped, { code: 'bad_frame', fatal: true, frame: 'HANDOFF_STOPPED', message: 'HANDOFF_STOPPED: cursors.irc.kind: unknown adapter kind "irc"; expected telegram or discord' }, true);
    },
  },
  {
    name: 'an unknown type is skipped and the connection stays; frames another role sends are refused, not fatal',
    ms: 10_000,
    async run(x) {
      const { wire } = await observer(x);
      try {
        wire.send({ v: 2, type: 'PING', x: 1 });
        await wire.error({ code: 'unknown_type', fatal: false, frame: 'PING', message: 'unknown frame type "PING"' });
        wire.send({ type: 'HANDOFF_ACK', handoff_id: 'h', pid: 1, runtime: 'r', release: 'r', store_schema: 1, init_ms: 1 });
        await wire.error({ code: 'wrong_phase', fatal: false, frame: 'HANDOFF_ACK', message: 'HANDOFF_ACK is not an observer frame' });
        wire.send({ type: 'HELLO', role: 'observer', token: x.token, pid: process.pid });
        await wire.error({ code: 'wrong_phase', fatal: false, frame: 'HELLO', message: 'HELLO is not an observer frame' });
        wire.send({ type: 'STATUS' });
        const s = await wire.frame('STATE', SOON);
        expectEqual('STATE.phase', s.phase, 'idle');
      } finally {
        wire.close();
      }
    },
  },
  {
    name: 'a line longer than 64 KiB is refused before its newline',
    ms: 5_000,
    async run(x) {
      await refused(x, 'a'.repeat(70_000), { code: 'too_large', fatal: true, message: 'line longer than 65536 bytes' }, true);
    },
  },
  {
    name: 'RESERVE whose rollback grace is shorter than its drain is a bad frame',
    ms: 5_000,
    async run(x) {
      const line = JSON.stringify({ v: 1, type: 'RESERVE', handoff_id: 'h2', release: 'a', runtime: 'b', bake_ms: 1, deadlines: { drain_ms: 20_000 } }) + '\n';
      await refused(x, line, { code: 'bad_frame', fatal: true, frame: 'RESERVE', message: 'RESERVE: deadlines.rollback_grace_ms: must be at least drain_ms (20000)' }, true);
    },
  },
  {
    name: 'at most 64 connections: the ones beyond get too_many, and blue serves again after',
    ms: 10_000,
    async run(x, scope) {
      const wires = await Promise.all(Array.from({ length: 70 }, () => Wire.open(x.socket, 5_000)));
      scope.defer(() => wires.forEach((w) => w.close()));
      // The refused ones hear at once; the accepted ones hear nothing (their hello_ms is 5 s): wait for all
      // side by side, up to 2 s, so a loaded blue's answers are not missed.
      const heard = await Promise.all(wires.map((w) => w.next('', 2_000).catch(() => null)));
      let refusedN = 0;
      for (const d of heard) {
        if (d === null) continue;
        if (!d.ok || d.frame.type !== 'ERROR' || d.frame.code !== 'too_many' || d.frame.message !== 'more than 64 connections' || !d.frame.fatal) {
          throw new Mismatch('ERROR too_many "more than 64 connections" (fatal) or nothing', show(d.ok ? d.frame : d));
        }
        refusedN++;
      }
      // 70 here, the subscriber and the silent one: at least 8 over 64 whatever else is connected.
      expectThat(refusedN >= 8, 'at least 8 of 70 new connections refused with too_many', () => `${refusedN}`);
      wires.forEach((w) => w.close());
      await new Promise((r) => setTimeout(r, 200));
      const { wire } = await observer(x);
      wire.close();
    },
  },
  {
    name: 'with nothing reserved: ABORT is unknown_handoff, a green HELLO is busy',
    ms: 5_000,
    async run(x) {
      const { wire } = await observer(x);
      try {
        wire.send({ type: 'ABORT', handoff_id: 'nothing', reason: 'r' });
        await wire.error({ code: 'unknown_handoff', fatal: false, frame: 'ABORT', message: 'no handoff is under way' });
      } finally {
        wire.close();
      }
      await refused(x, hello(x, { role: 'green', handoff_id: 'nothing' }), { code: 'busy', fatal: true, frame: 'HELLO', message: 'no handoff is reserved' });
    },
  },
  {
    name: 'RESERVE: RESERVED with every default filled; busy while reserved; a green with another id; ABORT; the id is never reused',
    ms: 10_000,
    async run(x) {
      const id = newId(x);
      const t = Date.now();
      const { wire } = await observer(x);
      try {
        wire.send({ type: 'RESERVE', handoff_id: id, release: RELEASE, runtime: RUNTIME, bake_ms: 1_000, deadlines: { heartbeat_ms: 300 } });
        const r = await wire.frame('RESERVED', SOON);
        expectEqual('RESERVED.deadlines', r.deadlines, { ...DEFAULT_DEADLINES, heartbeat_ms: 300 });
        expectEqual('RESERVED.thresholds', r.thresholds, DEFAULT_THRESHOLDS);
        expectThat(Math.abs(r.expires_at - (t + DEFAULT_DEADLINES.claim_ms)) < 5_000, `expires_at about now + claim_ms (${t + DEFAULT_DEADLINES.claim_ms})`, () => String(r.expires_at));
        await x.events!.phase(id, 'reserved', SOON);
        wire.send({ type: 'RESERVE', handoff_id: `${id}-b`, release: RELEASE, runtime: RUNTIME, bake_ms: 1_000 });
        await wire.error({ code: 'busy', fatal: false, frame: 'RESERVE', message: `handoff ${id} is reserved; one handoff at a time` });
        await refused(x, hello(x, { role: 'green', handoff_id: `${id}-other` }), { code: 'busy', fatal: true, frame: 'HELLO', message: `no reservation for handoff ${id}-other` });
        wire.send({ type: 'ABORT', handoff_id: `${id}-other`, reason: 'r' });
        await wire.error({ code: 'unknown_handoff', fatal: false, frame: 'ABORT', message: `the current handoff is ${id}` });
        wire.send({ type: 'ABORT', handoff_id: id, reason: 'conformance' });
        expectEqual('ABORTING', await wire.frame('ABORTING', SOON), { v: 1, type: 'ABORTING', handoff_id: id, phase: 'reserved' });
        const v = await x.events!.verdict(id, SOON);
        expectThat(v.verdict === 'failed' && v.reason === 'aborted: conformance', 'verdict failed "aborted: conformance"', () => `${v.verdict} ${show(v.reason)}`);
        wire.send({ type: 'RESERVE', handoff_id: id, release: RELEASE, runtime: RUNTIME, bake_ms: 1_000 });
        await wire.error({ code: 'exists', fatal: false, frame: 'RESERVE', message: `handoff ${id} already has a verdict (failed); mint a new id` });
      } finally {
        wire.close();
      }
    },
  },
  {
    name: 'a reservation no green claims within claim_ms fails',
    ms: 8_000,
    async run(x) {
      const id = newId(x);
      await reserve(x, id, { deadlines: { claim_ms: 300 } });
      const v = await x.events!.verdict(id, 3_000);
      expectThat(v.verdict === 'failed' && v.reason === `no green claimed handoff ${id} within 300 ms`, `verdict failed "no green claimed handoff ${id} within 300 ms"`, () => `${v.verdict} ${show(v.reason)}`);
    },
  },
  {
    name: 'a connection that never says HELLO is closed after hello_ms (5 s)',
    ms: 8_000,
    async run(x) {
      const s = x.silent;
      if (!s) throw new Mismatch('the silent connection of the first case', 'none');
      await s.wire.error({ code: 'timeout', fatal: true, message: 'no HELLO within 5 s' }, Math.max(500, s.at + 7_000 - Date.now()));
      const took = Date.now() - s.at;
      expectThat(took >= 4_500, 'the close after about 5 s', () => formatDuration(took));
    },
  },
  {
    name: 'HANDOFF_INIT names blue, the reserved bake and deadlines; a second green is busy; frames in the wrong phase; ABORT in init',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      const init = g.init;
      expectEqual('HANDOFF_INIT', { id: init.handoff_id, blue_pid: init.blue_pid, release: init.release, runtime: init.runtime, bake_ms: init.bake_ms, deadlines: init.deadlines }, { id: g.id, blue_pid: x.blue.pid, release: x.blue.release, runtime: x.blue.runtime, bake_ms: BAKE_MS, deadlines: DEADLINES });
      await x.events!.phase(g.id, 'init', SOON);
      await refused(x, hello(x, { role: 'green', handoff_id: g.id }), { code: 'busy', fatal: true, frame: 'HELLO', message: `handoff ${g.id} is already claimed (init)` });
      g.wire.send({ type: 'HANDOFF_CONFIRM', handoff_id: g.id, adapters: [], polling_at: Date.now() });
      await g.wire.error({ code: 'wrong_phase', fatal: false, frame: 'HANDOFF_CONFIRM', message: `HANDOFF_CONFIRM is not accepted now: handoff ${g.id} is init` });
      g.ack({ handoff_id: 'someone-else' });
      await g.wire.error({ code: 'unknown_handoff', fatal: false, frame: 'HANDOFF_ACK', message: `HANDOFF_ACK names handoff someone-else; the current handoff is ${g.id}` });
      g.wire.send({ type: 'STATUS' });
      await g.wire.error({ code: 'wrong_phase', fatal: false, frame: 'STATUS', message: 'STATUS is not a green frame' });
      await abort(x, g.id, 'conformance', 'init');
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'aborted: conformance');
      expectThat(await g.wire.closedWithin(SOON), "green's connection closed after HANDOFF_ROLLBACK", () => 'it stayed open');
      expectVerdict(await g.verdict(), 'failed', 'aborted: conformance', g.green.pid, x);
    },
  },
  ...(['release', 'runtime', 'store schema'] as const).map(
    (what): Case<BlueDrive> => ({
      name: `HANDOFF_ACK with the wrong ${what} fails the handoff before blue pauses`,
      ms: 10_000,
      async run(x, scope) {
        const g = await GreenSide.start(x, scope);
        const schema = g.init.store.schema;
        const over = what === 'release' ? { release: `${RELEASE}-not` } : what === 'runtime' ? { runtime: `${RUNTIME}-not` } : { store_schema: schema + 1 };
        g.ack(over);
        const reason =
          what === 'release'
            ? `green reports release ${RELEASE}-not, expected ${RELEASE}`
            : what === 'runtime'
              ? `green reports runtime ${RUNTIME}-not, expected ${RUNTIME}`
              : `green reads store schema ${schema + 1}; blue's store is schema ${schema}`;
        const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
        expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, reason);
        const v = await g.verdict();
        expectVerdict(v, 'failed', reason, g.green.pid, x);
        expectEqual('dark_window_ms (blue never paused)', v.dark_window_ms, null);
      },
    }),
  ),
  {
    name: 'green exits before HANDOFF_ACK: failed',
    ms: 10_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.green.kill();
      g.wire.close();
      expectVerdict(await g.verdict(), 'failed', `green (pid ${g.green.pid}) exited before HANDOFF_ACK`, g.green.pid, x);
    },
  },
  {
    name: 'no HANDOFF_ACK within ack_ms: failed',
    ms: 10_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope, { deadlines: { ack_ms: 600 } });
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', 3_000);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'green did not send HANDOFF_ACK within 600 ms');
      expectVerdict(await g.verdict(), 'failed', 'green did not send HANDOFF_ACK within 600 ms', g.green.pid, x);
    },
  },
  {
    name: 'green rolls back before HANDOFF_ACK (a store it cannot read): failed',
    ms: 10_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      g.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: g.id, reason: 'cannot read store schema 7 at /nowhere' });
      expectVerdict(await g.verdict(), 'failed', 'green rolled back: cannot read store schema 7 at /nowhere', g.green.pid, x);
    },
  },
  {
    name: 'HANDOFF_ACTIVE hands the cursors over; ABORT in active rolls back and blue resumes from what green hands back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toActive();
      await x.events!.phase(g.id, 'active', SOON);
      expectThat(Object.keys(g.cursors).length > 0, 'HANDOFF_ACTIVE.cursors naming at least one adapter (blue polls a platform)', () => show(g.cursors));
      await abort(x, g.id, 'conformance', 'active');
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'aborted: conformance');
      g.stopped();
      const v = await g.verdict();
      expectVerdict(v, 'rolled-back', 'aborted: conformance', g.green.pid, x);
      expectThat(typeof v.dark_window_ms === 'number' && v.dark_window_ms >= 0, 'a dark window (paused_at to blue polling again)', () => show(v.dark_window_ms));
      scope.note(`adapters ${Object.keys(g.cursors).join(', ')}`);
    },
  },
  {
    name: 'HANDOFF_CONFIRM without an adapter handed over rolls back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toActive();
      const names = Object.keys(g.cursors);
      g.confirm([]);
      const reason = `green did not start ${names.length === 1 ? 'adapter' : 'adapters'} ${names.join(', ')} handed over in HANDOFF_ACTIVE`;
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, reason);
      g.stopped();
      expectVerdict(await g.verdict(), 'rolled-back', reason, g.green.pid, x);
    },
  },
  {
    name: "CONFIRM's extra adapters and notes go into the baking note; ABORT in baking and in rolling-back; HEALTH while rolling back",
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toActive();
      g.confirm([...Object.keys(g.cursors), 'zz-extra'], ['a note from green']);
      const baking = await x.events!.phase(g.id, 'baking', SOON);
      const note = baking.note ?? '';
      expectThat(/^green polling after a .+ dark window; green also started zz-extra; a note from green$/.test(note), 'the baking note "green polling after a <dark> dark window; green also started zz-extra; a note from green"', () => show(note));
      g.health();
      await x.events!.find('EVENT health', (e) => e.kind === 'health' && e.handoff_id === g.id && e.sample.seq === 1, SOON);
      await abort(x, g.id, 'conformance', 'baking');
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'aborted: conformance');
      await abort(x, g.id, 'again', 'rolling-back');
      g.health();
      await x.events!.find('EVENT health while rolling back', (e) => e.kind === 'health' && e.handoff_id === g.id && e.sample.seq === 2, SOON);
      g.stopped();
      expectVerdict(await g.verdict(), 'rolled-back', 'aborted: conformance', g.green.pid, x);
    },
  },
  {
    name: 'no HANDOFF_CONFIRM within confirm_ms rolls back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope, { deadlines: { confirm_ms: 600 } });
      await g.toActive();
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, 'green did not send HANDOFF_CONFIRM within 600 ms');
      g.stopped();
      expectVerdict(await g.verdict(), 'rolled-back', 'green did not send HANDOFF_CONFIRM within 600 ms', g.green.pid, x);
    },
  },
  {
    name: 'heartbeats that stop roll back (max_heartbeat_age_ms)',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      g.health();
      const rb = await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      const re = /^no HEALTH from green for (.+) \(limit 800 ms\)$/;
      expectThat(re.test(rb.reason), 'HANDOFF_ROLLBACK "no HEALTH from green for <age> (limit 800 ms)"', () => show(rb.reason));
      g.stopped();
      expectVerdict(await g.verdict(), 'rolled-back', re, g.green.pid, x);
    },
  },
  {
    name: 'a breach run rolls back (an idle sample between neither breaches nor resets); blue resumes when green is gone',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      const samples: Array<[number, number]> = [[10, 10], [0, 0], [10, 10]];
      let i = 0;
      const rb = await g.beatUntil('HANDOFF_ROLLBACK', 5_000, () => samples[Math.min(i++, samples.length - 1)]!);
      const reason = 'error rate 100% > 5% in 2 consecutive samples';
      expectEqual('HANDOFF_ROLLBACK.reason', rb.reason, reason);
      // The run completes with the third sample (the idle one between did not reset the count), not a later one.
      await x.events!.phase(g.id, 'rolling-back', SOON);
      const events = x.events!.events;
      const at = events.findIndex((e) => e.kind === 'phase' && e.handoff_id === g.id && e.phase === 'rolling-back');
      const seqs = events.slice(0, at).flatMap((e) => (e.kind === 'health' && e.handoff_id === g.id ? [e.sample.seq] : []));
      expectEqual('the heartbeats blue had judged when it rolled back', seqs, [1, 2, 3]);
      // A green that dies instead of answering: blue resumes once its pid is gone.
      await g.green.kill();
      expectVerdict(await g.verdict(), 'rolled-back', reason, g.green.pid, x);
    },
  },
  {
    name: 'green rolls back during the bake with its cursors',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      g.health();
      g.wire.send({ type: 'HANDOFF_ROLLBACK', handoff_id: g.id, reason: 'conformance gives up', cursors: g.cursors });
      expectVerdict(await g.verdict(), 'rolled-back', 'green rolled back: conformance gives up', g.green.pid, x);
    },
  },
  {
    name: 'green exits during the bake',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      g.health();
      await g.green.kill();
      g.wire.close();
      expectVerdict(await g.verdict(), 'rolled-back', `green (pid ${g.green.pid}) exited during the bake`, g.green.pid, x);
    },
  },
  {
    name: 'green closes the handoff connection during the bake and stays alive; blue waits for its pid',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      g.health();
      g.wire.close();
      const reason = `green (pid ${g.green.pid}) closed the handoff connection during the bake`;
      const rolling = await x.events!.phase(g.id, 'rolling-back', SOON);
      expectEqual('the rolling-back note', rolling.note, reason);
      await new Promise((r) => setTimeout(r, 300));
      expectThat(!x.events!.events.some((e) => e.kind === 'verdict' && e.record.handoff_id === g.id), 'no verdict while green lives (it may still poll)', () => 'a verdict');
      await g.green.kill();
      expectVerdict(await g.verdict(), 'rolled-back', reason, g.green.pid, x);
    },
  },
  {
    name: 'a green that does not stop within rollback_grace_ms is killed',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope, { deadlines: { drain_ms: 800, rollback_grace_ms: 800 } });
      await g.toBaking();
      await abort(x, g.id, 'conformance', 'baking');
      await g.wire.frame('HANDOFF_ROLLBACK', SOON);
      const v = await g.verdict(SOON + 3_000);
      expectVerdict(v, 'rolled-back', 'aborted: conformance; green did not stop within 800 ms and was killed', g.green.pid, x);
      expectThat(await waitGone(realOs, g.green.pid, 3_000), `the stand-in green (pid ${g.green.pid}) killed`, () => 'it still runs');
    },
  },
  {
    name: 'after HANDOFF_COMPLETE: ABORT is refused, STATE is not final; an answer while the socket is still blue\'s is taken back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      const c = await g.beatUntil('HANDOFF_COMPLETE', BAKE_MS + 3_000);
      expectThat(c.reason.startsWith(`bake of ${formatDuration(BAKE_MS)} passed: `), `HANDOFF_COMPLETE "bake of ${formatDuration(BAKE_MS)} passed: ..."`, () => show(c.reason));
      const { wire } = await observer(x);
      try {
        wire.send({ type: 'ABORT', handoff_id: g.id, reason: 'late' });
        await wire.error({ code: 'wrong_phase', fatal: false, frame: 'ABORT', message: `ABORT is not accepted now: handoff ${g.id} is complete` });
        wire.send({ type: 'STATUS' });
        const st = await wire.frame('STATE', SOON);
        expectThat(st.phase === 'complete' && st.handoff?.id === g.id && st.last_verdict?.handoff_id !== g.id, 'STATE in complete with the handoff, last_verdict still an earlier one', () => show({ phase: st.phase, handoff: st.handoff?.id, last: st.last_verdict?.handoff_id }));
      } finally {
        wire.close();
      }
      g.wire.send({ type: 'HANDOFF_COMPLETE', handoff_id: g.id, reason: 'green owns the socket' });
      const reason = `green (pid ${g.green.pid}) answered HANDOFF_COMPLETE but the socket answers from pid ${x.blue.pid} (blue)`;
      expectVerdict(await g.verdict(SOON + 2_000), 'rolled-back', reason, g.green.pid, x);
      expectThat(await waitGone(realOs, g.green.pid, 3_000), 'the stand-in green killed', () => 'it still runs');
      const again = await observer(x);
      again.wire.close();
      expectEqual('who answers on the socket after the take-back', again.welcome.server_pid, x.blue.pid);
    },
  },
  {
    name: 'green dies after HANDOFF_COMPLETE before taking over: blue takes back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      await g.beatUntil('HANDOFF_COMPLETE', BAKE_MS + 3_000);
      await g.green.kill();
      expectVerdict(await g.verdict(SOON), 'rolled-back', `green (pid ${g.green.pid}) exited after HANDOFF_COMPLETE before taking over the socket`, g.green.pid, x);
    },
  },
  {
    name: 'green silent after HANDOFF_COMPLETE: killed after takeover_ms, blue takes back',
    ms: 15_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      await g.beatUntil('HANDOFF_COMPLETE', BAKE_MS + 3_000);
      const v = await g.verdict(DEADLINES.takeover_ms + SOON);
      expectVerdict(v, 'rolled-back', `green (pid ${g.green.pid}) did not take over the socket within ${formatDuration(DEADLINES.takeover_ms)} of HANDOFF_COMPLETE and was killed`, g.green.pid, x);
    },
  },
  {
    name: 'a promotion: the bake passes, green takes the socket over and answers, blue checks the socket and leaves',
    ms: 20_000,
    async run(x, scope) {
      const g = await GreenSide.start(x, scope);
      await g.toBaking();
      const c = await g.beatUntil('HANDOFF_COMPLETE', BAKE_MS + 3_000);
      // The heartbeat that promoted is the last or (blue answering slower than one heartbeat) the one before it.
      const summary = /^bake of 400 ms passed: (\d+) heartbeats?, (\d+) messages?, error rate 0%, worst p99 5 ms$/.exec(c.reason);
      const n = Number(summary?.[1]);
      expectThat(summary !== null && (n === g.seq || n === g.seq - 1) && Number(summary[2]) === n * 10, `HANDOFF_COMPLETE "bake of 400 ms passed: ${g.seq} heartbeats, ${g.seq * 10} messages, error rate 0%, worst p99 5 ms"`, () => show(c.reason));
      // Green's takeover: a fresh path renamed over the socket, answering WELCOME with green's pid.
      const ours = await listenAt(x.socket, (s: Socket) => answerAsGreen(s, x, g.green.pid), true);
      scope.defer(() => new Promise<void>((r) => ours.close(() => r())));
      g.wire.send({ type: 'HANDOFF_COMPLETE', handoff_id: g.id, reason: 'green owns the socket' });
      const v = await g.verdict(SOON + 2_000);
      expectVerdict(v, 'promoted', c.reason, g.green.pid, x);
      expectThat(await waitGone(realOs, x.blue.pid, 5_000), `blue (pid ${x.blue.pid}) gone after the promotion`, () => 'it still runs');
      if (x.home) {
        const file = readVerdict(x.home, g.id);
        expectThat(file?.verdict === 'promoted' && file.reason === c.reason, `run/handoffs/${g.id}.json promoted`, () => show(file?.verdict ?? 'no file'));
      } else scope.note('verdict file not checked (no --home)');
    },
  },
];

/** The case after whose failure nothing else can run. */
export const BLUE_PRECONDITION = BLUE_CASES[0]!.name;
