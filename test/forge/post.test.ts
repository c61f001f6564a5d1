// The post step: a status left pending by a cancelled main step becomes error "cancelled".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { savePendingState, markFinished, readUnfinishedPending, type PendingStatus } from '../../src/forge/pending-state.ts';
import { CANCELLED_DESCRIPTION } from '../../src/core/reasons.ts';
import { cancelPendingStatus } from '../../src/forge/cancel-pending.ts';
import { startFakeForge } from './fake-forge.ts';
import { memoryLog } from './fixtures.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHA = '9a'.repeat(20);

/** What the runner does between main and post: GITHUB_STATE's key<<delimiter blocks become STATE_<key>. */
function stateFrom(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1] ?? ''] = m[3] ?? '';
  return out;
}

function pending(): PendingStatus {
  return { sha: SHA, context: 'hermes-handoff/prod', targetUrl: 'https://forge.example/acme/gateway/actions/runs/7' };
}

/** The runner's environment of the post step: the API URL and the repository come from here, never from saved state. */
function runnerEnv(apiUrl: string, gitea = false): NodeJS.ProcessEnv {
  return { GITHUB_API_URL: apiUrl, GITHUB_SERVER_URL: 'https://forge.example', GITHUB_REPOSITORY: 'acme/gateway', GITHUB_SHA: SHA, GITHUB_EVENT_NAME: 'push', ...(gitea ? { GITEA_ACTIONS: 'true' } : {}) };
}

test('main saves the pending status; post finishes it as error "cancelled" unless main marked it finished', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-post-'));
  const f = await startFakeForge();
  const saved = process.env.GITHUB_STATE;
  t.after(async () => {
    if (saved === undefined) delete process.env.GITHUB_STATE;
    else process.env.GITHUB_STATE = saved;
    await f.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stateFile = join(dir, 'state');
  writeFileSync(stateFile, '');
  process.env.GITHUB_STATE = stateFile;
  savePendingState(pending());
  const state = stateFrom(stateFile);
  assert.deepEqual(readUnfinishedPending((k) => state[k] ?? ''), pending());
  const env = runnerEnv(f.url);

  const log = memoryLog();
  assert.equal(await cancelPendingStatus({ getState: (k) => state[k] ?? '', token: 'tok-post', log, env, apiOptions: { throttle: false, retries: 0 } }), true);
  assert.equal(f.requests.length, 1);
  assert.equal(f.requests[0]?.path, `/repos/acme/gateway/statuses/${SHA}`);
  assert.deepEqual(f.requests[0]?.body, { state: 'error', context: 'hermes-handoff/prod', description: CANCELLED_DESCRIPTION, target_url: 'https://forge.example/acme/gateway/actions/runs/7' });
  assert.ok(CANCELLED_DESCRIPTION.length <= 140);

  markFinished();
  const finished = stateFrom(stateFile);
  assert.equal(await cancelPendingStatus({ getState: (k) => finished[k] ?? '', token: 'tok-post', log, env, apiOptions: { throttle: false, retries: 0 } }), false);
  assert.equal(await cancelPendingStatus({ getState: () => '', token: 'tok-post', log, env }), false, 'no state: nothing to do');
  assert.equal(await cancelPendingStatus({ getState: () => '{not json', token: 'tok-post', log, env }), false);
  assert.equal(f.requests.length, 1);

  const log2 = memoryLog();
  assert.equal(await cancelPendingStatus({ getState: (k) => state[k] ?? '', token: '', log: log2, env }), false);
  assert.match(log2.warns[0] ?? '', /no github-token.*statuses: write/);
  assert.equal(f.requests.length, 1);
});

test('the post step sends the token only to the API URL of its own environment, whatever the saved state says (issue 9 item 7)', async (t) => {
  const real = await startFakeForge();
  const lure = await startFakeForge();
  t.after(async () => {
    await real.stop();
    await lure.stop();
  });
  // A state written by an older version, or planted, that names another API and a foreign link.
  const planted = JSON.stringify({ ...pending(), apiUrl: lure.url, flavor: 'github', owner: 'evil', repo: 'x', targetUrl: 'https://evil.example/phish' });
  const log = memoryLog();
  const ok = await cancelPendingStatus({ getState: (k) => (k === 'status-pending' ? planted : ''), token: 'tok-post', log, env: runnerEnv(real.url), apiOptions: { throttle: false, retries: 0 } });
  assert.equal(ok, true);
  assert.equal(lure.requests.length, 0, 'nothing reached the URL in the saved state');
  assert.equal(real.requests.length, 1);
  assert.equal(real.requests[0]?.path, `/repos/acme/gateway/statuses/${SHA}`);
  assert.equal((real.requests[0]?.body as { target_url?: string }).target_url, undefined, 'a link off this repository is dropped');
});

test('src/post.ts as the runner starts it: STATE_ and INPUT_ variables in, one error status out, exit 0', async (t) => {
  const f = await startFakeForge('/api/v1');
  t.after(() => f.stop());
  const env: NodeJS.ProcessEnv = { ...process.env, ...runnerEnv(f.url, true), 'STATE_status-pending': JSON.stringify(pending()), 'INPUT_GITHUB-TOKEN': 'tok-post-e2e' };
  delete env['STATE_status-finished'];
  // Async spawn, so the fake forge in this process can answer.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'post.ts')], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (status) => res({ status, stdout, stderr }));
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(f.requests.length, 1);
  assert.equal((f.requests[0]?.body as { state: string }).state, 'error');
  assert.equal(f.requests[0]?.authorization, 'token tok-post-e2e');
  assert.ok(!r.stdout.includes('tok-post-e2e'));
});
