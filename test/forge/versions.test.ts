// The reporter on every forge the users run, against the stateful fake: run links by Gitea version, the
// pending sweep (cancelled jobs without post steps, pushes that supersede a run), Link/X-Total-Count paging
// with small pages, the job-summary note, comments found by marker and author, the issue cap (issue 14 items 1-7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReporter, type ReporterOptions } from '../../src/forge/reporter.ts';
import { cancelPendingStatus } from '../../src/forge/cancel-pending.ts';
import { commentMarker, failureMarker } from '../../src/forge/markers.ts';
import { STALE_DESCRIPTION } from '../../src/forge/sweep.ts';
import { startFakeForge, type FakeForge } from './fake-forge.ts';
import { context, memoryLog, outcome } from './fixtures.ts';
import type { ForgeBehaviour } from '../support/prism.ts';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
const TOKEN = 'tok-versions';
const quiet = { throttle: false, retries: 0 };

async function withForge(gitea: boolean, behaviour: Partial<ForgeBehaviour>, fn: (f: FakeForge) => Promise<void>): Promise<void> {
  const f = await startFakeForge(gitea ? '/api/v1' : '', behaviour);
  try {
    await fn(f);
  } finally {
    await f.stop();
  }
}

function reporter(f: FakeForge, sha: string, over: Partial<ReporterOptions> & { gitea?: boolean; event?: string; pr?: { number: number; headSha: string; body?: string } } = {}) {
  const log = memoryLog();
  const { gitea = f.url.endsWith('/api/v1'), event, pr, ...rest } = over;
  const r = createReporter({
    ctx: context(f.url, sha, { gitea, serverUrl: f.serverUrl, runId: '4242', runNumber: '17', ...(event ? { event } : {}), ...(pr ? { pr } : {}) }),
    token: TOKEN,
    targetName: 'prod',
    closeIssueOnSuccess: true,
    failureLabel: 'handoff-failed',
    scrub: (t) => t,
    log,
    apiOptions: quiet,
    now: () => f.state.now(),
    ...rest,
  });
  return { r, log };
}

const statusPosts = (f: FakeForge) => f.requests.filter((q) => q.method === 'POST' && /\/statuses\//.test(q.path)).map((q) => q.body as Record<string, string>);

for (const [name, gitea, version, byNumber] of [
  ['GitHub', false, '', false],
  ['Gitea 1.22', true, '1.22.6', true],
  ['Gitea 1.25', true, '1.25.3', true],
  ['Gitea 1.26', true, '1.26.1', false],
  ['Gitea 1.27', true, '1.27.0', false],
  ['Forgejo on Gitea 1.22', true, '9.0.3+gitea-1.22.0', true],
] as const) {
  test(`run links on ${name} open this run (by ${byNumber ? 'number' : 'id'}); the version is asked once (issue 14 item 1)`, async () => {
    await withForge(gitea, { version }, async (f) => {
      // Run 17 of this workflow is run id 4242; another run has id 17, which an id-addressed link by number would open.
      f.state.runs.push({ id: 4242, number: 17 }, { id: 17, number: 3 });
      const { r } = reporter(f, A);
      await r.begin('promote');
      await r.phase('init', 'green starting');
      await r.finish(outcome('promoted'));
      const links = new Set(statusPosts(f).map((b) => b.target_url));
      assert.equal(links.size, 1);
      const link = [...links][0]!;
      assert.equal(link, r.runUrl());
      assert.match(link, new RegExp(`/actions/runs/${byNumber ? 17 : 4242}$`));
      const page = (await (await fetch(link)).json()) as { id?: number };
      assert.equal(page.id, 4242, `${link} opens run 4242`);
      assert.equal(f.requests.filter((q) => q.path === '/version').length, gitea ? 1 : 0);
    });
  });
}

test('Gitea whose version cannot be read: the link is the runs list, never a wrong run', async () => {
  await withForge(true, { version: '1.24.0' }, async (f) => {
    f.fail((q) => q.path === '/version', 404);
    const { r } = reporter(f, A);
    await r.begin('promote');
    assert.equal(r.runUrl(), `${f.serverUrl}/acme/gateway/actions`);
  });
});

test('Gitea 1.22: a push cancels the running handoff job and no post step runs; the next run ends its status "superseded by <sha>" (issue 14 items 2, 3)', async () => {
  await withForge(true, { version: '1.22.6' }, async (f) => {
    let now = Date.UTC(2026, 0, 1, 12, 0);
    f.state.now = () => now;
    f.state.branches.set('main', [A]);
    const first = reporter(f, A, { deadlineAt: now + 30 * 60_000 });
    assert.ok(await first.r.begin('promote'));
    await first.r.phase('baking', '10 s of 5 min');
    assert.match(f.state.statusOf(A, 'hermes-handoff/prod')?.description ?? '', /^baking: 10 s of 5 min; verdict by 12:30 UTC$/);
    // The push of B cancels run A; act_runner (before go-gitea/gitea#36983 was fixed) runs no post step: A stays pending.
    now += 60_000;
    f.state.branches.set('main', [B, A]);
    const second = reporter(f, B, { deadlineAt: now + 30 * 60_000 });
    await second.r.begin('promote');
    await second.r.finish(outcome('promoted'));
    assert.deepEqual(
      { state: f.state.statusOf(A, 'hermes-handoff/prod')?.state, description: f.state.statusOf(A, 'hermes-handoff/prod')?.description },
      { state: 'error', description: `superseded by ${B.slice(0, 12)}` },
    );
    assert.match(second.log.infos.join('\n'), /left pending by a run that this push cancelled: set to error \(superseded by b2b2b2b2b2b2\)/);
    assert.equal(f.state.statusOf(B, 'hermes-handoff/prod')?.state, 'success');
  });
});

test('Gitea 1.27 (concurrency honoured): a pending run within its deadline is left alone; past it, "cancelled; no verdict was reported"', async () => {
  await withForge(true, { version: '1.27.0' }, async (f) => {
    let now = Date.UTC(2026, 0, 1, 12, 0);
    f.state.now = () => now;
    f.state.branches.set('main', [B, A]);
    const first = reporter(f, A, { deadlineAt: now + 30 * 60_000 });
    await first.r.begin('promote');
    // An old-style pending status with no deadline, from a run long gone.
    f.state.statuses.push({ sha: A, context: 'hermes-handoff/prod/status', state: 'pending', description: 'status started on prod', target_url: null, at: now - 7 * 3600_000 });
    now += 60_000;
    const live = reporter(f, B, { deadlineAt: now + 30 * 60_000 });
    await live.r.begin('status');
    await live.r.finish(outcome('promoted', { mode: 'status', release: B }));
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod')?.state, 'pending', 'a run that may still be going is not touched');
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod/status')?.description, STALE_DESCRIPTION);
    now += 40 * 60_000;
    const later = reporter(f, B);
    await later.r.begin('status');
    await later.r.finish(outcome('promoted', { mode: 'status', release: B }));
    assert.deepEqual(
      { state: f.state.statusOf(A, 'hermes-handoff/prod')?.state, description: f.state.statusOf(A, 'hermes-handoff/prod')?.description },
      { state: 'error', description: 'cancelled; no verdict was reported' },
    );
  });
});

test('a runner that runs post steps on cancel finishes the status itself (the sweep then has nothing to do)', async () => {
  await withForge(true, { version: '1.27.0' }, async (f) => {
    f.state.branches.set('main', [A]);
    const { r } = reporter(f, A, { deadlineAt: f.state.now() + 60_000 });
    const pending = await r.begin('promote');
    assert.ok(pending);
    const state: Record<string, string> = { 'status-pending': JSON.stringify(pending) };
    const env = { GITHUB_API_URL: f.url, GITHUB_SERVER_URL: f.serverUrl, GITHUB_REPOSITORY: 'acme/gateway', GITHUB_SHA: A, GITEA_ACTIONS: 'true' };
    assert.equal(await cancelPendingStatus({ getState: (k) => state[k] ?? '', token: TOKEN, log: memoryLog(), env, apiOptions: quiet }), true);
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod')?.state, 'error');
  });
});

test('small pages (MAX_RESPONSE_ITEMS 3): Link and X-Total-Count are followed, so no second failure issue or label (issue 14 item 6)', async () => {
  for (const gitea of [false, true]) {
    await withForge(gitea, { maxPage: 3 }, async (f) => {
      for (let i = 0; i < 7; i++) f.state.labels.push({ id: i + 1, name: `other-${i}`, color: 'ffffff' });
      f.state.labels.push({ id: 99, name: 'handoff-failed', color: 'b60205' });
      // Our failure issue is the oldest open one: on the last page of a list of short pages.
      f.state.seedIssue(300, 'open', 'hermes-handoff: prod handoff failed', `${failureMarker('prod')}\nearlier`, ['handoff-failed'], 'hermes-bot');
      for (let n = 301; n < 310; n++) f.state.seedIssue(n, 'open', `noise ${n}`, '', ['handoff-failed'], 'someone');
      const { r } = reporter(f, B, { gitea });
      await r.finish(outcome('rolled-back'));
      assert.equal(f.state.labels.filter((l) => l.name === 'handoff-failed').length, 1, 'no duplicate label');
      assert.equal(f.state.openIssuesLabelled('handoff-failed').filter((i) => i.title.startsWith('hermes-handoff')).length, 1, 'no duplicate failure issue');
      assert.equal(f.state.commentsOn(300).length, 1);
      const pages = f.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/issues')).map((q) => q.query.page);
      assert.ok(pages.length >= 4, `read ${pages.length} pages`);
    });
  }
});

test('Gitea before 1.27 drops job summaries: the log says where the report is (issue 14 item 5)', async () => {
  for (const [version, says] of [['1.25.3', true], ['1.27.0', false]] as const) {
    await withForge(true, { version }, async (f) => {
      const { r, log } = reporter(f, A, { pr: { number: 14, headSha: A } });
      await r.begin('preflight');
      await r.finish(outcome('ready', { reason: 'host ready' }));
      const line = log.infos.find((l) => /job summaries/.test(l));
      if (says) assert.equal(line, `Gitea ${version} does not show job summaries (Gitea 1.27 with a current runner does): read the report in the comment on pull request #14 and this step's output \`report\`.`);
      else assert.equal(line, undefined);
    });
  }
});

test("a marker in someone else's comment is not ours; the job token's comments are github-actions[bot]'s (issue 9 item 5)", async () => {
  await withForge(false, {}, async (f) => {
    f.state.tokens.set(TOKEN, { login: 'github-actions[bot]', readsUser: false });
    f.state.seedPull(A, 12, 'Change', '');
    const planted = f.state.seedComment(12, `${commentMarker('prod')}\nI wrote this`, 'mallory');
    const first = reporter(f, A);
    await first.r.finish(outcome('promoted'));
    const second = reporter(f, A);
    await second.r.finish(outcome('promoted', { reason: 'again' }));
    const ours = f.state.commentsOn(12).filter((c) => c.author === 'github-actions[bot]');
    assert.equal(ours.length, 1, 'one comment of ours, edited on the rerun');
    assert.match(ours[0]?.body ?? '', /again/);
    assert.equal(f.state.comments.get(planted)?.body, `${commentMarker('prod')}\nI wrote this`);
    assert.ok(!f.requests.some((q) => q.method === 'PATCH' && q.path.endsWith(`/comments/${planted}`)));
  });
});

test('the issues one run touches are capped (max-issues), the rest are logged (issue 9 item 6)', async () => {
  await withForge(true, {}, async (f) => {
    const body = Array.from({ length: 15 }, (_, i) => `Fixes #${i + 1}`).join('\n');
    f.state.seedPull(A, 50, 'Many', body);
    for (let n = 1; n <= 15; n++) f.state.seedIssue(n, 'closed');
    const { r, log } = reporter(f, A, { maxIssues: 10 });
    await r.finish(outcome('failed', { reason: 'green never sent ACK' }));
    const reopened = [...f.state.issues.values()].filter((i) => !i.pull && i.number <= 15 && i.state === 'open').map((i) => i.number);
    assert.deepEqual(reopened, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(log.infos.includes('15 issues are referenced; max-issues is 10, so 5 are left alone: #11, #12, #13, #14, #15.'));
  });
});

test("green's log and prepare-command's output stay out of comments and issues unless the workflow opts in (issue 9 item 4)", async () => {
  for (const optIn of [false, true]) {
    await withForge(false, {}, async (f) => {
      f.state.seedPull(A, 12, 'Change', '');
      const { r } = reporter(f, A, { hostOutputInComments: optIn });
      await r.finish(outcome('failed', { reason: 'prepare-command failed (exit 1); its output is in the job summary and the run log', prepare_output: 'fatal: https://user:hunter2@git.example/repo', green_log_tail: 'API_KEY=abc' }));
      const written = JSON.stringify(f.requests.filter((q) => q.method !== 'GET').map((q) => q.body));
      assert.equal(written.includes('hunter2'), optIn);
      assert.equal(written.includes('API_KEY'), optIn);
      const statuses = JSON.stringify(statusPosts(f));
      assert.ok(!statuses.includes('hunter2') && !statuses.includes('API_KEY'), 'never in a status');
    });
  }
});

test('an unchanged rerun keeps the real report in the PR comment and appends its line (issue 14 item 15)', async () => {
  await withForge(true, {}, async (f) => {
    f.state.seedPull(A, 12, 'Change', '');
    await reporter(f, A).r.finish(outcome('promoted'));
    await reporter(f, A).r.finish(outcome('unchanged', { reason: 'release already serves' }));
    const [c] = f.state.commentsOn(12);
    assert.match(c?.body ?? '', /### ✅ Promoted on `prod`[\s\S]*#### Timeline[\s\S]*🔁 .* UTC: unchanged, release `0123456789abcdef0123456789abcdef01234567` already serves/);
  });
});

test('preflight reports under its own context and never overwrites a promotion on the same commit (issue 14 item 14)', async () => {
  await withForge(false, {}, async (f) => {
    await reporter(f, A).r.finish(outcome('promoted'));
    const pre = reporter(f, A, { event: 'workflow_dispatch' });
    await pre.r.begin('preflight');
    await pre.r.finish(outcome('not-ready'));
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod')?.state, 'success');
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod/preflight')?.state, 'failure');
  });
});

test('busy, a deliberate rollback, and a status run with nothing to report open no failure issue and reopen nothing (issue 14 item 7)', async () => {
  await withForge(false, {}, async (f) => {
    f.state.seedPull(A, 12, 'Change', 'Fixes #4');
    f.state.seedIssue(4, 'closed');
    const busy = reporter(f, A);
    await busy.r.begin('promote');
    await busy.r.finish(outcome('failed', { busy_with: 'handoff hh-1 is baking; one handoff at a time', reason: 'the host refused the handoff: handoff hh-1 is baking; one handoff at a time' }));
    assert.deepEqual({ state: f.state.statusOf(A, 'hermes-handoff/prod')?.state }, { state: 'error' });
    await reporter(f, A).r.finish(outcome('rolled-back', { mode: 'rollback', reason: 'aborted: rollback requested by hermes-handoff (mode: rollback)' }));
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod')?.description, 'rolled back: rollback requested by hermes-handoff (mode: rollback)');
    const empty = reporter(f, A);
    await empty.r.begin('status');
    await empty.r.finish(outcome('failed', { mode: 'status', handoff_id: null, reason: 'no handoff has run on prod yet; release r0 (runtime claw) serves' }));
    assert.equal(f.state.statusOf(A, 'hermes-handoff/prod/status')?.state, 'error');
    assert.equal(f.state.issues.get(4)?.state, 'closed');
    assert.equal(f.state.openIssuesLabelled('handoff-failed').length, 0);
  });
});

test('a status run about another release reports without touching issues and names that release (issue 9 item 3)', async () => {
  await withForge(true, {}, async (f) => {
    f.state.seedPull(B, 13, 'Next', 'Fixes #9');
    f.state.seedIssue(9, 'open');
    f.state.seedIssue(300, 'open', 'hermes-handoff: prod handoff failed', `${failureMarker('prod')}\nearlier`, ['handoff-failed'], 'hermes-bot');
    const { r } = reporter(f, B, { release: B });
    await r.begin('status');
    await r.finish(outcome('promoted', { mode: 'status', release: A }));
    assert.equal(f.state.issues.get(9)?.state, 'open');
    assert.equal(f.state.issues.get(300)?.state, 'open', 'the failure issue stays open');
    assert.equal(f.state.statusOf(B, 'hermes-handoff/prod'), undefined, "this commit's promotion status is not touched");
    assert.equal(f.state.statusOf(B, 'hermes-handoff/prod/status')?.description, `promoted release ${A.slice(0, 12)} (not this commit): green healthy through the bake`);
  });
});

test('the scheduled status workflow reports a reversion: issue reopened, failure issue opened once, left closed once read (issue 13 item 4)', async () => {
  await withForge(true, { version: '1.22.6' }, async (f) => {
    f.state.branches.set('main', [A]);
    f.state.seedPull(A, 12, 'Add the claw runtime', 'Closes #7');
    f.state.seedIssue(7, 'closed');
    const until = Date.UTC(2026, 0, 2, 12, 0);
    const reverted = outcome('reverted', {
      mode: 'status',
      release: A,
      reason: 'green exited 3 h 12 min after promotion; blue resumed from its cursors',
      observation: { state: 'reverted', until, ended_at: until - 20 * 3600_000, reason: 'green exited' },
    });
    const scheduled = () => reporter(f, A, { event: 'schedule', release: A });
    const one = scheduled();
    await one.r.begin('status');
    await one.r.finish(reverted);
    assert.equal(f.state.issues.get(7)?.state, 'open', 'Closes #7 reopened');
    assert.match(f.state.statusOf(A, 'hermes-handoff/prod')?.description ?? '', /^reverted: green exited 3 h 12 min after promotion; blue resumed from its cursors \(at 2026-01-01 16:00 UTC\)$/);
    const opened = f.state.openIssuesLabelled('handoff-failed');
    assert.equal(opened.length, 1);
    assert.match(opened[0]?.body ?? '', /### ⏪ Reverted on `prod`/);
    // Thirty minutes later, the same reversion: the issue is updated, not duplicated nor commented.
    const two = scheduled();
    await two.r.begin('status');
    await two.r.finish(reverted);
    assert.equal(f.state.openIssuesLabelled('handoff-failed').length, 1);
    assert.equal(f.state.commentsOn(opened[0]!.number).length, 0);
    // Someone reads it and closes it: the next scheduled run leaves it closed.
    opened[0]!.state = 'closed';
    const three = scheduled();
    await three.r.begin('status');
    await three.r.finish(reverted);
    assert.equal(f.state.openIssuesLabelled('handoff-failed').length, 0);
    assert.ok(three.log.infos.some((l) => /already reports handoff .* and was closed: left closed/.test(l)));
  });
});
