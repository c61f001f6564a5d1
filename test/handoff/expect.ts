// Assertions shared by the process-level handoff tests.
import assert from 'node:assert/strict';
import type { PlatformStats } from '../../examples/gateway/platform/server.ts';
import type { GatewayHarness } from '../support/gateway-harness.ts';

/** On every platform: something produced, nothing lost, nothing answered twice, never two listeners at once, and everything produced was answered. */
export function assertClean(s: PlatformStats): void {
  for (const kind of ['telegram', 'discord'] as const) {
    const p = s.platforms[kind];
    const seen = `${kind}: ${JSON.stringify(p)}`;
    assert.ok(p && p.produced > 0, `the platform produced nothing on ${seen}`);
    assert.equal(p.pending, 0, `messages left unanswered on ${seen}`);
    assert.equal(p.lost, 0, `messages lost on ${seen}`);
    assert.equal(p.duplicated, 0, `messages answered twice on ${seen}`);
    assert.equal(p.conflicts, 0, `two listeners at once (${kind === 'telegram' ? '409s' : 'two live sessions, or a takeover undone'}) on ${seen}`);
  }
}

/** Exactly `pid` serves: the only live gateway of the home, named in gateway.pid, answering on the socket. */
export async function assertServes(h: GatewayHarness, pid: number, who: string): Promise<void> {
  const seen = await h.whoServes(pid);
  assert.deepEqual(seen, { alive: [pid], pidFile: pid, socketPid: pid }, `${who} (pid ${pid}) should be the one gateway serving`);
}
