// Who serves after a fault: the one live gateway of the home, named in gateway.pid, answering on
// the handoff socket, and the only one listening on each platform; and what the matrix files share.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import type { PlatformStats } from '../../examples/gateway/platform/server.ts';
import { readToken } from '../../src/peer/files.ts';
import { ObserverClient, type StateFrame } from '../../src/peer/observer.ts';
import type { SshWorld } from '../support/ssh-world.ts';
import type { MatrixRow } from './reliability-doc.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the host looked like when asked who serves. */
export interface Serving {
  /** Live gateway processes of the home. */
  alive: number[];
  pidFile: number | null;
  /** The pid the socket's listener names in WELCOME (null: nothing answers). */
  socketPid: number | null;
  /** "blue", "green", or a description of what was seen instead (nobody, two processes, disagreeing pids). */
  label: string;
}

/** An observer on the home's handoff socket, reached locally (the test runs on the host). */
export async function localObserver(w: SshWorld, timeoutMs = 5_000): Promise<ObserverClient> {
  const path = join(w.home, 'run', 'handoff.sock');
  const token = readToken(path);
  if (!token) throw new Error(`no token beside ${path}`);
  const stream = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
  return ObserverClient.open(stream, token, timeoutMs, 'fault-matrix');
}

/** The STATE the home's socket answers with, or null when nothing answers. */
export async function localState(w: SshWorld): Promise<StateFrame | null> {
  try {
    const o = await localObserver(w, 2_000);
    try {
      return await o.status(2_000);
    } finally {
      o.close();
    }
  } catch {
    return null;
  }
}

/**
 * Waits (up to `timeoutMs`) until exactly one gateway is alive, gateway.pid names it and the socket
 * answers from it; labels it blue or green. Returns what was seen last, labelled, for the assertion.
 */
export async function whoServes(w: SshWorld, greenPid: number | null, timeoutMs = 8_000): Promise<Serving> {
  const by = Date.now() + timeoutMs;
  for (;;) {
    const alive = w.alive();
    for (const p of alive) w.pids.add(p);
    const pidFile = w.serving();
    const socketPid = (await localState(w))?.server_pid ?? null;
    const one = alive.length === 1 && pidFile === alive[0] && socketPid === alive[0] ? alive[0]! : null;
    if (one !== null || Date.now() > by) {
      let label: string;
      if (one === w.blue.pid) label = 'blue';
      else if (one !== null && (greenPid === null || one === greenPid)) label = 'green';
      else if (alive.length === 0) label = 'nobody';
      else label = `unclear: alive ${alive.join(',') || '-'}, gateway.pid ${pidFile}, socket ${socketPid}`;
      return { alive, pidFile, socketPid, label };
    }
    await sleep(50);
  }
}

/** What two short bursts of messages showed about who listens, on each platform. */
export interface PollProbe {
  /** Telegram: distinct pollers seen while the bursts were answered. */
  pollers: number;
  /** Discord: sessions live at the end. */
  sessions: number;
  /** Conflicts on both platforms. */
  conflicts: number;
  answered: number;
  sent: number;
}

/**
 * Starts a new stats window and sends `n` messages per platform twice, each burst waited for until
 * answered: a second poller or session, if there were one, had the whole second burst to show
 * itself (it would end a poll with 409, or receive every dispatch too).
 */
export async function probePolling(w: SshWorld, n = 10, timeoutMs = 8_000): Promise<PollProbe> {
  w.platform.setRate(0);
  w.platform.resetStats();
  for (let burst = 1; burst <= 2; burst++) {
    w.platform.produce(n);
    const by = Date.now() + timeoutMs;
    while (w.platform.stats().replied < burst * 2 * n && Date.now() < by) await sleep(10);
  }
  const s = w.platform.stats();
  return {
    pollers: s.pollers,
    sessions: w.platform.discordSessions().filter((x) => x.live).length,
    conflicts: s.conflicts,
    answered: s.replied,
    sent: 2 * 2 * n,
  };
}

/** The serving gateway alone answers: every message of the probe, one Telegram poller, one live Discord session, no conflict. */
export function assertServing(probe: PollProbe): void {
  assert.equal(probe.answered, probe.sent, `the one gateway answers: ${JSON.stringify(probe)}`);
  assert.equal(probe.pollers, 1, `exactly one process polls Telegram: ${JSON.stringify(probe)}`);
  assert.equal(probe.sessions, 1, `exactly one Discord session is live: ${JSON.stringify(probe)}`);
  assert.equal(probe.conflicts, 0, `no conflict after the cell: ${JSON.stringify(probe)}`);
}

/**
 * On both platforms: something produced, everything answered, nothing lost (Discord: unless the cell
 * expects the gap of an expired session), nothing answered twice, no conflict, and the longest time with
 * nobody listening below the cell's bound.
 */
export function assertNothingLost(s: PlatformStats, bound: { ms: number; why: string }, o: { discordLossExpected?: boolean } = {}): void {
  for (const kind of ['telegram', 'discord'] as const) {
    const p = s.platforms[kind];
    const seen = `${kind}: ${JSON.stringify(p)}`;
    assert.ok(p && p.produced > 0, `the platform produced messages on ${seen}`);
    // A message lost is also pending (unanswered for good): everything else was answered.
    const expectLoss = kind === 'discord' && o.discordLossExpected;
    assert.equal(p.pending, expectLoss ? p.lost : 0, `everything produced was answered${expectLoss ? ' but what was lost' : ''} on ${seen}`);
    if (!expectLoss) assert.equal(p.lost, 0, `lost on ${seen}`);
    assert.equal(p.duplicated, 0, `answered twice on ${seen}`);
    assert.equal(p.conflicts, 0, `conflicts (two listeners at once) on ${seen}`);
    assert.ok(p.max_gap_ms < bound.ms, `the longest gap with nobody listening on ${kind}, ${p.max_gap_ms} ms, is below ${bound.ms} ms (${bound.why})`);
  }
}

/** The row's figures from the platform's stats: the totals and each platform's. */
export function figuresOf(s: PlatformStats): Pick<MatrixRow, 'lost' | 'duplicated' | 'conflicts' | 'max_gap_ms' | 'platforms'> {
  const f = (k: 'telegram' | 'discord') => {
    const p = s.platforms[k];
    return p ? { lost: p.lost, duplicated: p.duplicated, conflicts: p.conflicts, max_gap_ms: p.max_gap_ms } : undefined;
  };
  return { lost: s.lost, duplicated: s.duplicated, conflicts: s.conflicts, max_gap_ms: s.max_gap_ms, platforms: { telegram: f('telegram'), discord: f('discord') } };
}

/** A row for a cell not yet measured (every figure -1). */
export function emptyRow(c: { fault: string; phase: string; bound: { ms: number; why: string } }, table: MatrixRow['table'] = 'both'): MatrixRow {
  return {
    fault: c.fault,
    phase: c.phase,
    verdict: '(none)',
    reason: '',
    serves: '(not measured)',
    lost: -1,
    duplicated: -1,
    conflicts: -1,
    max_gap_ms: -1,
    bound_ms: c.bound.ms,
    bound: c.bound.why,
    pass: false,
    table,
  };
}

/** The last lines of blue's and every green's log, for a failure message. */
export function tails(w: SshWorld): string {
  const files = [join(w.dir, 'blue.log')];
  const logDir = join(w.home, 'logs');
  if (existsSync(logDir)) for (const f of readdirSync(logDir)) files.push(join(logDir, f));
  return files
    .map((f) => {
      try {
        return `-- ${f}\n${readFileSync(f, 'utf8').trimEnd().split('\n').slice(-15).join('\n')}`;
      } catch {
        return `-- ${f}: (unreadable)`;
      }
    })
    .join('\n');
}
