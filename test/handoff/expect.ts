// Assertions shared by the process-level handoff tests.
import assert from 'node:assert/strict';
import type { PlatformStats } from '../../examples/gateway/platform/server.ts';
import type { GatewayHarness } from '../support/gateway-harness.ts';

/** Nothing lost, nothing answered twice, never two pollers at once, and everything produced was answered. */
export function assertClean(s: PlatformStats): void {
  const seen = JSON.stringify(s);
  assert.ok(s.produced > 0, `the platform produced nothing: ${seen}`);
  assert.equal(s.pending, 0, `updates left unanswered: ${seen}`);
  assert.equal(s.lost, 0, `updates lost: ${seen}`);
  assert.equal(s.duplicated, 0, `updates answered twice: ${seen}`);
  assert.equal(s.conflicts, 0, `two pollers at once (409s): ${seen}`);
}

/** Exactly `pid` serves: the only live gateway of the home, named in gateway.pid, answering on the socket. */
export async function assertServes(h: GatewayHarness, pid: number, who: string): Promise<void> {
  const seen = await h.whoServes(pid);
  assert.deepEqual(seen, { alive: [pid], pidFile: pid, socketPid: pid }, `${who} (pid ${pid}) should be the one gateway serving`);
}
