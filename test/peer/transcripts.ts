// The worked transcripts of docs/protocol.md section 19, captured from the Node peers (the real
// startBlue, runGreen and ObserverClient) running in one process over in-memory connections on the
// fake clock: every line is a frame as one of them wrote it. transcripts.test.ts keeps the doc equal
// to what this produces (HERMES_TRANSCRIPTS_WRITE=1 rewrites the doc).
import { startBlue, type BlueHandle } from '../../src/peer/blue.ts';
import { runGreen, type GreenHooks, type GreenResult } from '../../src/peer/green.ts';
import { ObserverClient } from '../../src/peer/observer.ts';
import { sleep } from '../../src/peer/os.ts';
import type { WindowStats } from '../../src/peer/adapters.ts';
import { FakeAdapters } from './fake-adapters.ts';
import { FakeWorld } from './fake-os.ts';
import { WireClient } from './wire.ts';

const HOME = '/home/hermes/.hermes';
const SOCK = `${HOME}/run/handoff.sock`;
const T0 = 1_795_465_740_270;

/** Adapters whose platform moves on by what each sample says was answered. */
class Traffic extends FakeAdapters {
  /** How long the first poll takes to go out after start(), on the fake clock. */
  startTakesMs = 0;
  override sample(): WindowStats {
    this.answer(this.window.handled);
    return super.sample();
  }
  override async start(cursors: Parameters<FakeAdapters['start']>[0]): Promise<number> {
    if (this.startTakesMs > 0) await sleep(this.world.os(this.pid), this.startTakesMs);
    return super.start(cursors);
  }
}

/** Writes down every line the tap sees, labelled by who sent it on which connection, and comments. */
class Recorder {
  readonly lines: string[] = [];
  /** Nothing is written down. */
  muted = false;
  /** What the client side writes is not written down (what blue answers is). */
  clientMuted = false;
  private readonly before: [string, string][] = [];
  constructor(
    world: FakeWorld,
    private readonly label: (clientPid: number) => string,
    /** The letter of the listener a connection reached (B, or G once green listens). */
    private readonly server: (serverPid: number) => string = () => 'B',
  ) {
    world.tap = (client, serverPid, from, text) => {
      if (this.muted || (from === 'client' && this.clientMuted)) return;
      const who = this.label(client);
      const srv = this.server(serverPid);
      for (const line of text.split('\n')) if (line.length > 0) this.lines.push(from === 'client' ? `${who}>${srv} ${line}` : `${srv}>${who} ${line}`);
    };
  }
  note(text: string): void {
    if (this.muted) return;
    for (const l of text.split('\n')) this.lines.push(`# ${l}`);
  }
  /** A comment to put before the first line that contains `match` (for what happens inside a peer). */
  noteBefore(match: string, text: string): void {
    this.before.push([match, text]);
  }
  text(): string {
    const out = [...this.lines];
    for (const [match, text] of this.before) {
      const i = out.findIndex((l) => !l.startsWith('#') && l.includes(match));
      if (i >= 0) out.splice(i, 0, ...text.split('\n').map((l) => `# ${l}`));
    }
    return out.join('\n');
  }
}

interface Cast {
  blue: number;
  green: number;
  observer: number;
  token: string;
}

/** A world with the token file in place and blue serving at `SOCK` with its adapters polling from `offset`. */
async function serving(c: Cast, offset = 72, patch: { onComplete?: () => void } = {}) {
  const world = new FakeWorld(T0);
  world.fileMap.set(`${HOME}/run/handoff.token`, `${c.token}\n`);
  const adapters = new Traffic(world, c.blue, offset);
  adapters.pauseTakesMs = 3;
  await adapters.start(null);
  let left = false;
  const blue = await startBlue({
    socketPath: SOCK,
    home: HOME,
    release: '3f9c2e1',
    runtime: 'legacy',
    store: { path: `${HOME}/store/transcript.log`, schema: 1 },
    adapters,
    onComplete: () => {
      left = true;
      patch.onComplete?.();
    },
    os: world.os(c.blue),
  });
  return { world, blue, adapters, left: () => left };
}

/** Awaits `p` while the fake clock runs. */
async function drive<T>(world: FakeWorld, p: Promise<T>, maxMs = 120_000): Promise<T> {
  let done = false;
  const q = p.finally(() => (done = true));
  await world.until(() => done, maxMs, 'the awaited step');
  return q;
}

/** The action's connection, as src/handoff opens it. */
function observe(world: FakeWorld, c: Cast, pid = c.observer) {
  const os = world.os(pid);
  return drive(
    world,
    os.net.connect(SOCK).then((s) => ObserverClient.open(s, c.token, 5_000, 'hermes-handoff', { pid, after: os.after })),
  );
}

/** Green (the reference flow: init 1.5 s, then the handoff) for handoff `id`, with `hooks`. */
function green(world: FakeWorld, c: Cast, id: string, hooks: GreenHooks = {}, adapters = new Traffic(world, c.green, 0)) {
  adapters.startTakesMs = 9;
  world.spawn(c.green);
  const os = world.os(c.green);
  let result: GreenResult | null = null;
  void runGreen({
    socketPath: SOCK,
    home: HOME,
    handoffId: id,
    release: '7d41a09',
    runtime: 'claw',
    storeSchema: 1,
    adapters,
    init: () => sleep(os, 1_500),
    bluePid: c.blue,
    os,
    hooks,
  }).then((r) => (result = r));
  return { adapters, result: () => result };
}

type Green = ReturnType<typeof green>;

/** Green after a takeover: serves on the socket, then answers blue. */
async function greenServes(world: FakeWorld, c: Cast, g: Green): Promise<BlueHandle> {
  const r = g.result();
  if (!r || r.kind !== 'serving') throw new Error(`green did not come to serve: ${JSON.stringify(r)}`);
  const h = await startBlue({
    socketPath: SOCK,
    home: HOME,
    release: '7d41a09',
    runtime: 'claw',
    store: { path: `${HOME}/store/transcript.log`, schema: 1 },
    adapters: g.adapters,
    onComplete: () => {},
    takeover: true,
    lastVerdict: r.verdict,
    os: world.os(c.green),
  });
  r.confirm();
  return h;
}

const cast = (token: string, blue: number, greenPid: number, observer: number): Cast => ({ token, blue, green: greenPid, observer });

/** The start every handoff transcript shares: the action reserves `id` and subscribes, green starts. */
async function reserveAndStart(world: FakeWorld, c: Cast, rec: Recorder, id: string, bakeMs: number, hooks: GreenHooks = {}) {
  const o = await observe(world, c);
  await drive(world, o.status(5_000));
  await drive(world, o.reserve({ handoff_id: id, release: '7d41a09', runtime: 'claw', bake_ms: bakeMs, thresholds: {}, deadlines: { heartbeat_ms: 1_000 } }, 5_000));
  rec.note(`the action starts green with HERMES_HANDOFF_ID=${id}, then subscribes`);
  const events: string[] = [];
  await drive(world, o.subscribe((e) => events.push(e.kind), 5_000));
  // The launch (a detached process, its runtime's start) takes a moment before green connects.
  await world.advance(700);
  const g = green(world, c, id, hooks);
  return { o, g, events };
}

/** 19.1 A promotion, and the verdict file it leaves (section 16). */
async function promotion(): Promise<{ transcript: string; verdictFile: string }> {
  const c = cast('1f7bb07dc229bdccbe234adb1aedeacb12c5a108823c044db894290594e4698b', 13667, 14302, 13616);
  const { world, left } = await serving(c);
  const rec = new Recorder(world, (pid) => (pid === c.green ? 'G' : 'O'));
  rec.note(`blue (pid ${c.blue}) serves release 3f9c2e1; the action (pid ${c.observer}) connects, checks what serves\nand reserves a handoff with a 3 s bake and 1 s heartbeats`);
  const id = '20261123T202900-7d41a09-a4e5a2';
  const { g } = await reserveAndStart(world, c, rec, id, 3_000, {
    beforeAck: () => rec.note(`green (pid ${c.green}) initialised (1.5 s here) while blue kept serving; it acknowledges`),
    afterAck: () => rec.note('blue drains (nothing was in flight) and hands over its cursors'),
    onComplete: () => rec.note('green rewrites gateway.pid, renames its own listener over handoff.sock and serves as the next\nblue; only then does it answer, on the same connection'),
  });
  rec.noteBefore('blue/takeover-check', 'blue checks that the socket answers from green: a connection of its own, as an observer');
  rec.noteBefore('"kind":"verdict"', 'the socket answers from green: the promotion is final, and blue tells its subscriber');
  await world.until(() => g.result() !== null, 60_000, "green's result");
  await greenServes(world, c, g);
  await world.until(left, 5_000, 'blue to leave');
  rec.note('blue closed every connection and exited. The action checks that the socket now answers from green:');
  const again = await observe(world, c);
  await drive(world, again.status(5_000));
  const file = world.fileMap.get(`${HOME}/run/handoffs/${id}.json`);
  if (!file) throw new Error('no verdict file');
  return { transcript: rec.text(), verdictFile: JSON.stringify(JSON.parse(file), null, 2) };
}

/** 19.2 A green that dies after HANDOFF_COMPLETE. */
async function diesAfterComplete(): Promise<string> {
  const c = cast('9d0b3e5f6a7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70', 16297, 16450, 16250);
  const { world, blue } = await serving(c);
  const rec = new Recorder(world, (pid) => (pid === c.green ? 'G' : 'O'));
  const id = '20261123T202925-7d41a09-21cda5';
  rec.muted = true;
  const { g } = await reserveAndStart(world, c, rec, id, 3_000, {
    afterConfirm: () => {
      rec.muted = false;
      rec.note(`blue (pid ${c.blue}), the action and green (pid ${c.green}) as in 19.1, up to green's CONFIRM`);
    },
    onComplete: () => {
      rec.note('green dies on HANDOFF_COMPLETE, before it takes the socket (SIGKILL). Blue sees its pid gone on\nits next tick: it closes green\'s connection, takes the socket back, polls again from green\'s\nlast HEALTH cursors, and rewrites the verdict file as rolled-back');
      world.crash(c.green);
    },
  });
  void g;
  await world.until(() => blue.state().phase === 'idle' && blue.state().last_verdict?.verdict === 'rolled-back', 60_000, 'the take-back');
  return rec.text();
}

/** 19.3 A rollback (error rate). */
async function rollback(): Promise<string> {
  const c = cast('4185ac7727f510085a1298cfb5049e8c740da4b5c2a5d7e8f25362da2da7af57', 16569, 16653, 16522);
  const { world, blue } = await serving(c);
  const rec = new Recorder(world, (pid) => (pid === c.green ? 'G' : 'O'));
  const id = '20261123T202938-7d41a09-6a8b19';
  rec.note(`blue (pid ${c.blue}); HELLO, WELCOME, STATUS and STATE as in 19.1`);
  rec.muted = true;
  let adapters: FakeAdapters | null = null;
  const { g } = await reserveAndStart(world, c, rec, id, 20_000, {
    beforeAck: () => {
      rec.muted = false;
    },
    afterConfirm: () => {
      rec.note('green answers every message with an error');
      adapters!.window = { ...adapters!.window, errors: adapters!.window.handled };
    },
  });
  rec.noteBefore('"type":"HANDOFF_ROLLBACK"', 'the third breaching sample in a row: blue rolls back');
  rec.noteBefore('"type":"HANDOFF_STOPPED"', 'green stops polling, records what it answered, reports where it stopped, and exits');
  rec.noteBefore('"phase":"idle"', `blue polls again from green's cursors, closes green's connection, writes the verdict file`);
  adapters = g.adapters;
  await world.until(() => blue.state().last_verdict?.verdict === 'rolled-back', 60_000, 'the rollback');
  return rec.text();
}

/** 19.4 A refused second reservation, a green with no reservation, an id that already has a verdict. */
async function refusals(): Promise<string> {
  const c = cast('9101d2bd30466ae1fd4aef6479d7083d320429571c1a855347bff33bd6bbd5de', 19975, 99999, 19938);
  const { world } = await serving(c);
  const second = 19940;
  const rec = new Recorder(world, (pid) => (pid === c.observer ? 'O1' : pid === second ? 'O2' : 'G'));
  const id = '20261123T203019-7d41a09-352966';
  const o1 = await observe(world, c);
  await drive(world, o1.reserve({ handoff_id: id, release: '7d41a09', runtime: 'claw', bake_ms: 300_000 }, 5_000));
  const o2 = await observe(world, c, second);
  await drive(world, o2.reserve({ handoff_id: '20261123T203019-7d41a09-692140', release: '7d41a09', runtime: 'claw', bake_ms: 300_000 }, 5_000).catch(() => null));
  rec.note('the second run reports "failed: the host refused the handoff: ..." and closes; it started no green.\nA green started for an id that was never reserved is refused and disconnected:');
  world.spawn(c.green);
  const stray = await WireClient.connect(world, c.green, SOCK);
  stray.send({ type: 'HELLO', role: 'green', token: c.token, pid: c.green, handoff_id: 'not-reserved' });
  await stray.closedWithin(2_000);
  rec.note('the first run gives up (say its prepare-command failed) and releases the reservation:');
  await drive(world, o1.abort(id, 'operator cancelled', 5_000));
  rec.note('blue is idle again; the verdict file says failed, "aborted: operator cancelled". A run that reuses\nthat id is refused: ids are never reused');
  await drive(world, o2.reserve({ handoff_id: id, release: '7d41a09', runtime: 'claw', bake_ms: 300_000 }, 5_000).catch(() => null));
  return rec.text();
}

/** 19.5 Blue dying mid-handoff (during the bake). */
async function blueDies(): Promise<string> {
  const c = cast('67260a374440d9627fb950d2f691f2689f1964ab3f0fb19260d7d785714e91ad', 16897, 17050, 16847);
  const { world } = await serving(c);
  const rec = new Recorder(world, (pid) => (pid === c.green ? 'G' : 'O'));
  const id = '20261123T202949-7d41a09-9fee52';
  rec.note(`blue (pid ${c.blue}); HELLO, WELCOME, STATUS and STATE as in 19.1`);
  rec.muted = true;
  const { g } = await reserveAndStart(world, c, rec, id, 20_000, {
    beforeAck: () => {
      rec.muted = false;
    },
    afterConfirm: () => {
      world.os(c.blue).after(300, () => {
        rec.note(`300 ms into the bake blue is SIGKILLed: both of its connections drop without a frame. Green\n(polling since CONFIRM) sees pid ${c.blue} gone, writes the verdict file (decided_by green), rewrites\ngateway.pid and takes over handoff.sock. The action re-attaches to green:`);
        world.crash(c.blue);
      });
    },
  });
  await world.until(() => g.result() !== null, 60_000, "green's result");
  await greenServes(world, c, g);
  const o = await observe(world, c);
  await drive(world, o.status(5_000));
  return rec.text();
}

/** 19.8 An observation window: the standby attaches, green fails its health, the standby takes back. */
async function windowTakeBack(): Promise<string> {
  const c = cast('b7e1c0d2a3f4958675a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2', 21400, 21533, 21380);
  const { world, blue } = await serving(c);
  const rec = new Recorder(
    world,
    (pid) => (pid === c.green ? 'G' : pid === c.blue ? 'S' : 'O'),
    (pid) => (pid === c.green ? 'G' : 'B'),
  );
  const id = '20261124T101500-7d41a09-5b0c1e';
  rec.muted = true;
  const o = await observe(world, c);
  await drive(
    world,
    o.reserve({ handoff_id: id, release: '7d41a09', runtime: 'claw', bake_ms: 3_000, thresholds: {}, deadlines: { heartbeat_ms: 1_000 }, observe_ms: 86_400_000, observe_thresholds: { consecutive: 3 } }, 5_000),
  );
  await world.advance(700);
  const g = green(world, c, id);
  await world.until(() => g.result() !== null, 60_000, "green's result");
  rec.muted = false;
  rec.note('green owns the socket and answers; blue checks the socket (as in 19.1), then, instead of exiting,\nreleases its adapters and attaches to green as the standby');
  await greenServes(world, c, g);
  o.close();
  await world.until(() => blue.standby()?.phase === 'observing', 10_000, 'the standby');
  await world.advance(2_100);
  rec.note('an hour later green starts answering every message with an error');
  rec.muted = true;
  await world.advance(3_600_000);
  rec.muted = false;
  g.adapters.window = { ...g.adapters.window, errors: g.adapters.window.handled };
  rec.noteBefore('"type":"HANDOFF_ROLLBACK"', 'the third breaching sample in a row: the standby writes the verdict file (reverted) first, then\ntells green to stop');
  rec.noteBefore('"type":"HANDOFF_STOPPED"', 'green stops polling, records what it answered, reports where it stopped, stops listening and exits');
  await world.until(() => blue.state().last_verdict?.verdict === 'reverted', 60_000, 'the take-back');
  rec.note(`the standby binds the socket again and polls from green's cursors. The next \`mode: status\` run:`);
  const later = await observe(world, c);
  await drive(world, later.status(5_000));
  return rec.text();
}

/** 19.6 Errors on a connection. */
async function errors(): Promise<string> {
  const c = cast('5c1e0d4b8a7f6e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d', 31116, 4243, 4242);
  const { world } = await serving(c);
  const rec = new Recorder(world, () => 'O');
  const fresh = async (what: string) => {
    rec.lines.push('');
    if (what) rec.note(what);
    return WireClient.connect(world, c.observer, SOCK);
  };
  const settle = () => world.advance(10);
  let w = await fresh('');
  w.send({ type: 'HELLO', role: 'observer', token: 'x', pid: c.observer });
  await settle();
  w = await fresh('');
  w.send({ type: 'STATUS' });
  await settle();
  w = await fresh('');
  w.write('hello there\n');
  await settle();
  w = await fresh('after HELLO/WELCOME: a v2 frame of an unknown type, then a normal request');
  rec.muted = true;
  w.send({ type: 'HELLO', role: 'observer', token: c.token, pid: c.observer });
  await settle();
  rec.muted = false;
  w.write('{"v":2,"type":"PING","x":1}\n');
  await settle();
  w.send({ type: 'STATUS' });
  await settle();
  w = await fresh('after HELLO/WELCOME: an invalid field');
  rec.muted = true;
  w.send({ type: 'HELLO', role: 'observer', token: c.token, pid: c.observer });
  await settle();
  rec.muted = false;
  w.write('{"v":1,"type":"RESERVE","handoff_id":"..","release":"a","runtime":"b","bake_ms":1}\n');
  await settle();
  w = await fresh('after HELLO/WELCOME: a RESERVE whose rollback grace is shorter than its drain');
  rec.muted = true;
  w.send({ type: 'HELLO', role: 'observer', token: c.token, pid: c.observer });
  await settle();
  rec.muted = false;
  w.write('{"v":1,"type":"RESERVE","handoff_id":"h2","release":"a","runtime":"b","bake_ms":1,"deadlines":{"drain_ms":20000}}\n');
  await settle();
  w = await fresh('after HELLO/WELCOME: 70000 bytes with no newline');
  rec.muted = true;
  w.send({ type: 'HELLO', role: 'observer', token: c.token, pid: c.observer });
  await settle();
  rec.muted = false;
  rec.clientMuted = true;
  w.write('x'.repeat(70_000));
  await settle();
  rec.clientMuted = false;
  w = await fresh('connected, sent nothing');
  await world.advance(5_000);
  rec.lines.push('');
  rec.note('a 65th connection while 64 are open');
  rec.muted = true;
  for (let i = 0; i < 64; i++) await WireClient.connect(world, 5_000 + i, SOCK);
  rec.muted = false;
  await WireClient.connect(world, 6_000, SOCK);
  await settle();
  return rec.lines.join('\n').replace(/^\n/, '');
}

/** Every generated block of docs/protocol.md, by the heading it follows. */
export async function captureTranscripts(): Promise<Record<string, string>> {
  const p = await promotion();
  return {
    '16. The verdict file': p.verdictFile,
    '19.1 A promotion': p.transcript,
    '19.2 A green that dies after HANDOFF_COMPLETE': await diesAfterComplete(),
    '19.3 A rollback (error rate)': await rollback(),
    '19.4 A refused second reservation (and a green with no reservation)': await refusals(),
    '19.5 Blue dying mid-handoff (during the bake)': await blueDies(),
    '19.6 Errors on a connection': await errors(),
    '19.8 An observation window and a take-back': await windowTakeBack(),
  };
}
