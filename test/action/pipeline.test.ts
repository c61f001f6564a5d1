// The run pipeline both entries call: masks first, one scrubber, host addresses redacted in every
// log line, outcome and output (the CLI's too, since it runs the same pipeline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readSettings } from '../../src/config/schema.ts';
import { runPipeline, type RunResult } from '../../src/run/pipeline.ts';
import { ed25519Key } from '../support/keys.ts';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a run that cannot connect: masks before any line, the host address redacted everywhere, exit 1', { timeout: 120_000 }, async () => {
  const key = ed25519Key();
  const port = await closedPort();
  const inputs: Record<string, string> = {
    mode: 'promote',
    host: '127.0.0.1',
    port: String(port),
    username: 'deploy',
    'private-key': key,
    'host-fingerprint': `SHA256:${'A'.repeat(43)}`,
    'green-command': 'uv run hermes gateway',
    release: 'r1',
    'connect-timeout-seconds': '5',
    'target-name': 'staging',
  };
  const settings = readSettings((n) => inputs[n] ?? '', {});
  const events: string[] = [];
  let result: RunResult | null = null;
  const code = await runPipeline(settings, {
    log: { info: (m) => events.push(`info ${m}`), warn: (m) => events.push(`warn ${m}`) },
    mask: (s) => events.push(`mask ${s.length}`),
    publish: async (r) => {
      result = r;
    },
  });
  assert.equal(code, 1);
  assert.ok(result);
  const r: RunResult = result;
  assert.equal(r.outcome.verdict, 'failed');
  assert.match(r.outcome.reason, /^cannot connect to staging: /);
  assert.match(events[0] ?? '', /^mask /, 'the secrets are masked before anything is logged');
  const shown = JSON.stringify([events, r.outcome, r.outputs]);
  assert.ok(!shown.includes('127.0.0.1'), `the host address leaked: ${shown.slice(0, 400)}`);
  assert.ok(!shown.includes(key.split('\n')[1]!), 'no line of the key');
  assert.ok(shown.includes('[redacted]'), 'the address was there, and was redacted');
  assert.equal(r.outputs.verdict, 'failed');
});
