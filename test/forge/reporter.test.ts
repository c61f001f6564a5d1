// The reporter against an in-process fake forge: permissions, no token, secrets, the host, issue rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createReporter, type ReporterOptions } from '../../src/forge/reporter.ts';
import { startFakeForge, type FakeForge } from './fake-forge.ts';
import { context, memoryLog, outcome } from './fixtures.ts';
import { RunScrubber } from '../../src/text/scrub.ts';

const SHA = 'e5'.repeat(20);
const TOKEN = 'ghs_unitTestToken_abcdef';

async function withForge(basePath: string, fn: (f: FakeForge) => Promise<void>): Promise<void> {
  const f = await startFakeForge(basePath);
  try {
    await fn(f);
  } finally {
    await f.stop();
  }
}

function options(f: FakeForge, over: Partial<ReporterOptions> = {}, gitea = false) {
  const log = memoryLog();
  const opts: ReporterOptions = {
    ctx: context(f.url, SHA, { gitea }),
    token: TOKEN,
    targetName: 'prod',
    closeIssueOnSuccess: true,
    failureLabel: 'handoff-failed',
    scrub: (t) => t,
    log,
    apiOptions: { throttle: false, retries: 0 },
    ...over,
  };
  return { opts, log };
}

test('no token: no request at all, one warning naming the permissions, and no throw', async () => {
  await withForge('', async (f) => {
    f.state.seedPull(SHA, 3, 'x', 'Closes #4');
    for (const token of [null, '', '   ']) {
      const { opts, log } = options(f, { token });
      const r = createReporter(opts);
      assert.equal(await r.begin('promote'), null);
      await r.phase('init', 'x');
      await r.finish(outcome('rolled-back'));
      assert.equal(log.warns.length, 1);
      assert.match(log.warns[0] ?? '', /No github-token.*statuses: write.*issues: write.*pull-requests: write/);
    }
    assert.equal(f.requests.length, 0);
  });
});

test('403 on statuses: one warning naming statuses: write, later statuses skipped, comments still made, no throw', async () => {
  await withForge('', async (f) => {
    f.state.seedPull(SHA, 3, 'Change', '');
    f.fail((q) => /\/statuses\//.test(q.path), 403);
    const { opts, log } = options(f);
    const r = createReporter(opts);
    assert.equal(await r.begin('promote'), null, 'nothing pending for the post step to finish');
    await r.phase('init', 'green starting');
    await r.phase('baking', '0 s');
    await r.finish(outcome('promoted'));
    assert.equal(f.requests.filter((q) => /\/statuses\//.test(q.path)).length, 1, 'one attempt, then skipped');
    assert.equal(log.warns.length, 1);
    assert.match(log.warns[0] ?? '', /HTTP 403.*The token needs statuses: write\..*unaffected/);
    assert.ok(f.requests.some((q) => q.method === 'POST' && q.path.endsWith('/issues/3/comments')));
  });
});

test('403 on comments names pull-requests: write (GitHub) and write access to pull requests (Gitea)', async () => {
  for (const gitea of [false, true]) {
    await withForge(gitea ? '/api/v1' : '', async (f) => {
      f.state.seedPull(SHA, 3, 'Change', '');
      f.fail((q) => q.method === 'POST' && /\/comments$/.test(q.path), 403);
      const { opts, log } = options(f, {}, gitea);
      const r = createReporter(opts);
      await r.begin('promote');
      await r.finish(outcome('promoted'));
      assert.equal(log.warns.length, 1, log.warns.join('\n'));
      assert.match(log.warns[0] ?? '', gitea ? /needs write access to pull requests \(workflow permissions pull-requests: write/ : /needs pull-requests: write/);
    });
  }
});

test('an unreachable forge: one warning, the rest skipped, no throw', async () => {
  const port = await new Promise<number>((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
  const log = memoryLog();
  const r = createReporter({
    ctx: context(`http://127.0.0.1:${port}`, SHA),
    token: TOKEN,
    targetName: 'prod',
    closeIssueOnSuccess: true,
    failureLabel: 'handoff-failed',
    scrub: (t) => t,
    log,
    apiOptions: { throttle: false, retries: 0 },
  });
  await r.begin('promote');
  await r.finish(outcome('rolled-back'));
  assert.equal(log.warns.length, 1, log.warns.join('\n'));
  assert.match(log.warns[0] ?? '', /did not answer.*skipped/);
});

test('secrets, the token and the host address never reach the forge', async () => {
  await withForge('', async (f) => {
    f.state.seedPull(SHA, 3, 'Change', 'Fixes #4');
    f.state.seedIssue(4, 'closed');
    const host = '203.0.113.77';
    // Markdown escaping would respell this one (`_`, `@`, `<`): it must be removed before rendering.
    const tricky = 'db_p4ss@<word>.x';
    const scrubber = new RunScrubber(['tg-secret-value-99', 'hunter2-db', tricky], [host]);
    const { opts } = options(f, { scrub: scrubber.scrub });
    const r = createReporter(opts);
    await r.begin('promote');
    await r.phase('init', `connecting to ${host} with hunter2-db`);
    scrubber.add('learned-later-secret'); // e.g. the socket token, learned during the run
    await r.finish(
      outcome('rolled-back', {
        reason: `green on ${host} failed: hunter2-db rejected ${TOKEN} and ${tricky} learned-later-secret`,
        timeline: [{ phase: 'baking', at: 1, note: `pw ${tricky}` }],
        checks: [{ name: 'db', ok: false, detail: tricky }],
      }),
    );
    const sent = JSON.stringify(f.requests.map((q) => q.body));
    for (const s of ['tg-secret-value-99', 'hunter2-db', host, TOKEN, 'p4ss', 'learned-later']) assert.ok(!sent.includes(s), `${s} was sent`);
    assert.ok(sent.includes('[redacted]'));
    assert.ok(f.requests.every((q) => q.authorization === `token ${TOKEN}`));
  });
});

test('finish runs once; phase updates after it are ignored', async () => {
  await withForge('', async (f) => {
    const { opts } = options(f);
    const r = createReporter(opts);
    await r.finish(outcome('timed-out'));
    const n = f.requests.length;
    await r.finish(outcome('promoted'));
    await r.phase('baking', 'late');
    assert.equal(f.requests.length, n);
  });
});

test('the issue option: that issue is commented and closed; close-issue-on-success false leaves it open', async () => {
  for (const close of [true, false]) {
    await withForge('', async (f) => {
      f.state.seedIssue(21, 'open');
      const { opts } = options(f, { issue: 21, closeIssueOnSuccess: close });
      await createReporter(opts).finish(outcome('unchanged'));
      assert.equal(f.state.commentsOn(21).length, 1);
      assert.equal(f.state.issues.get(21)?.state, close ? 'closed' : 'open');
      assert.equal(f.state.openIssuesLabelled('handoff-failed').length, 0, 'unchanged leaves the failure issue alone');
    });
  }
});

for (const verdict of ['failed', 'reverted'] as const) {
  test(`a referenced number that is a pull request is left alone; a ${verdict} verdict reopens only closing references and opens the failure issue`, async () => {
    await withForge('', async (f) => {
      f.state.seedPull(SHA, 3, 'Change', 'Fixes #4, refs #5, closes #6');
      f.state.seedIssue(4, 'closed');
      f.state.seedIssue(5, 'closed');
      f.state.seedPull('f'.repeat(40), 6, 'Other PR', '');
      const { opts } = options(f);
      await createReporter(opts).finish(outcome(verdict, { reason: 'green never sent ACK' }));
      assert.equal(f.state.issues.get(4)?.state, 'open');
      assert.equal(f.state.issues.get(5)?.state, 'closed');
      assert.equal(f.state.commentsOn(5).length, 1);
      assert.equal(f.state.commentsOn(6).length, 0);
      assert.equal(f.state.openIssuesLabelled('handoff-failed').length, 1);
    });
  });
}

test('phase updates through the reporter are rate limited by the injected clock', async () => {
  await withForge('', async (f) => {
    let now = 0;
    const { opts } = options(f, { now: () => now });
    const r = createReporter(opts);
    await r.begin('promote');
    for (let i = 0; i < 10; i++) await r.phase('init', `step ${i}`);
    for (let s = 0; s <= 150; s += 5) {
      now = s * 1000;
      await r.phase('baking', `${s} s`);
    }
    const descriptions = f.requests.filter((q) => /\/statuses\//.test(q.path)).map((q) => (q.body as { description: string }).description);
    assert.deepEqual(descriptions, ['promote started on prod', 'init: step 0', 'baking: 0 s', 'baking: 60 s', 'baking: 120 s']);
  });
});
