// Contract tests: the reporter's requests, checked by Prism against each forge's own API description.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrism, type PrismServer, type Recorded } from '../support/prism.ts';
import { createReporter } from '../../src/forge/reporter.ts';
import { commentMarker, failureMarker } from '../../src/forge/markers.ts';
import type { ForgeContext } from '../../src/forge/context.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { context, memoryLog, outcome } from './fixtures.ts';
import { createScrubber } from '../../src/text/scrub.ts';

// The forges' own API descriptions, kept in the repository (see test/contracts/README.md).
const CONTRACTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'contracts');
const SPECS = [
  { file: 'github-rest.subset.json', gitea: false },
  { file: 'gitea-1.22.swagger.json', gitea: true },
  { file: 'gitea-1.27.swagger.json', gitea: true },
];

const TOKEN = 'ghs_contractTestToken0123456789';
const SECRET = 'tg-secret-value-99';
const RUN_URL = 'https://forge.example/acme/gateway/actions/runs/4242';
const SHA_A = 'a1'.repeat(20);
const SHA_B = 'b2'.repeat(20);
const SHA_HEAD = 'c3'.repeat(20);
const SHA_MERGE = 'd4'.repeat(20);

const is = (r: Recorded, method: string, path: RegExp) => r.method === method && path.test(r.path);
const field = (r: Recorded, k: string): unknown => (r.body as Record<string, unknown> | undefined)?.[k];

test('every API description the contract tests need is in test/contracts/ (a missing one fails, never skips)', () => {
  for (const spec of SPECS) assert.ok(existsSync(join(CONTRACTS, spec.file)), `${join(CONTRACTS, spec.file)} is missing: see test/contracts/README.md`);
});

for (const spec of SPECS) {
  describe(`contract: ${spec.file}`, () => {
    let prism: PrismServer;
    let seen = 0;
    before(async () => {
      prism = await startPrism(join(CONTRACTS, spec.file), { flavor: spec.gitea ? 'gitea' : 'github', version: spec.file.includes('1.22') ? '1.22.6' : '1.27.0' });
    });
    after(async () => {
      await prism?.stop();
    });

    /** Runs one reporter flow and returns the requests it made, failing on any new violation. */
    async function flow(fn: () => Promise<void>): Promise<Recorded[]> {
      prism.clearRequests();
      await fn();
      await prism.settle();
      const fresh = prism.violations().slice(seen);
      seen = prism.violations().length;
      assert.deepEqual(fresh, [], `requests violated ${spec.file}`);
      const reqs = prism.requests();
      for (const r of reqs) {
        const text = JSON.stringify(r.body ?? '');
        assert.ok(!text.includes(TOKEN), `${r.method} ${r.path} carries the token`);
        assert.ok(!text.includes(SECRET), `${r.method} ${r.path} carries a secret`);
        assert.ok(r.status < 400 || (r.status === 404 && /\/commits\//.test(r.path)), `${r.method} ${r.path} answered ${r.status}`);
      }
      return reqs;
    }

    // Octokit's write throttling (1 s between writes, 3 s between comments) is on only where a test asks.
    function reporter(ctx: ForgeContext, now: () => number = Date.now, throttle = false) {
      const log = memoryLog();
      const r = createReporter({ ctx, token: TOKEN, targetName: 'prod', closeIssueOnSuccess: true, failureLabel: 'handoff-failed', scrub: createScrubber([SECRET]), log, now, apiOptions: { throttle } });
      return { r, log };
    }

    test('promote: pending, rate-limited phase updates, success, PR comment, issue comment + close, failure issue closed', async () => {
      const st = prism.state;
      st.seedPull(SHA_A, 12, 'Add the claw runtime', 'Closes #7\n\nRefs #8 for the follow-up');
      st.seedIssue(7, 'open');
      st.seedIssue(8, 'open');
      st.seedIssue(300, 'open', 'hermes-handoff: prod handoff failed', `${failureMarker('prod')}\nan earlier failure`, ['handoff-failed'], 'hermes-bot');
      // The branch's recent commits, one with a pending status nobody will finish: the sweep reads and ends it.
      st.branches.set('main', [SHA_A, SHA_B]);
      st.statuses.push({ sha: SHA_B, context: 'hermes-handoff/prod', state: 'pending', description: 'promote started on prod', target_url: null, at: -7 * 3600_000 }); // the flow's clock starts at 0
      const ctx = context(prism.url, SHA_A, { gitea: spec.gitea, messages: ['Merge pull request #12'] });
      assert.equal(ctx.flavor, spec.gitea ? 'gitea' : 'github');
      let now = 0;
      // The promote flow on GitHub runs with throttling on, as in production.
      const { r, log } = reporter(ctx, () => now, !spec.gitea);

      const reqs = await flow(async () => {
        const pending = await r.begin('promote');
        assert.ok(pending);
        assert.equal(pending.sha, SHA_A);
        assert.equal(pending.context, 'hermes-handoff/prod');
        await r.phase('reserved', 'reservation accepted');
        await r.phase('init', 'green starting');
        await r.phase('init', 'still starting'); // same phase: no update
        await r.phase('baking', '0 of 60 s');
        now += 30_000;
        await r.phase('baking', '30 of 60 s'); // under a minute: no update
        now += 31_000;
        await r.phase('baking', '61 s'); // a minute on: one update
        await r.phase('complete', 'green serves');
        await r.finish(outcome('promoted'));
      });

      const statuses = reqs.filter((q) => is(q, 'POST', /\/statuses\//));
      assert.deepEqual(statuses.filter((q) => !q.path.endsWith(SHA_B)).map((q) => field(q, 'state')), ['pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'success']);
      assert.ok(reqs.some((q) => is(q, 'GET', /^\/user$/)), 'the token user is asked (comments are found by marker and author)');
      assert.equal(reqs.filter((q) => is(q, 'GET', /^\/version$/)).length, spec.gitea ? 1 : 0);
      assert.deepEqual(statuses.filter((q) => !q.path.endsWith(SHA_B)).map((q) => String(field(q, 'description')).split(':')[0]), ['promote started on prod', 'reserved', 'init', 'baking', 'baking', 'complete', 'promoted']);
      const swept = statuses.filter((q) => q.path.endsWith(SHA_B));
      assert.deepEqual(swept.map((q) => [field(q, 'state'), field(q, 'description')]), [['error', 'cancelled; no verdict was reported']], log.warns.join('\n'));
      for (const q of statuses.filter((x) => !x.path.endsWith(SHA_B))) {
        assert.equal(q.path, `/repos/acme/gateway/statuses/${SHA_A}`);
        assert.equal(field(q, 'context'), 'hermes-handoff/prod');
        // Gitea before 1.26 addresses the run page by run number (GITHUB_RUN_NUMBER, 17 in the fixtures).
        assert.equal(field(q, 'target_url'), spec.file.includes('1.22') ? RUN_URL.replace(/4242$/, '17') : RUN_URL);
        assert.ok(String(field(q, 'description')).length <= 140);
      }
      const prComment = reqs.find((q) => is(q, 'POST', /^\/repos\/acme\/gateway\/issues\/12\/comments$/));
      assert.ok(prComment, 'a comment on the merged PR');
      assert.ok(String(field(prComment, 'body')).startsWith(commentMarker('prod')));
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/7\/comments$/)));
      assert.ok(reqs.some((q) => is(q, 'PATCH', /\/issues\/7$/) && field(q, 'state') === 'closed'), 'Closes #7: closed when live');
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/8\/comments$/)));
      assert.ok(!reqs.some((q) => is(q, 'PATCH', /\/issues\/8$/)), 'Refs #8: commented, not closed');
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/300\/comments$/)));
      assert.ok(reqs.some((q) => is(q, 'PATCH', /\/issues\/300$/) && field(q, 'state') === 'closed'), 'failure issue closed');
      assert.ok(!reqs.some((q) => is(q, 'POST', /\/issues$/)), 'no new issue');
      assert.equal(st.issues.get(7)?.state, 'closed');
      assert.equal(st.issues.get(300)?.state, 'closed');
      assert.deepEqual(log.warns, []);
    });

    test('rerun: the PR and issue comments are edited in place, not posted again', async () => {
      const before = prism.state.commentsOn(12);
      assert.equal(before.length, 1);
      const { r } = reporter(context(prism.url, SHA_A, { gitea: spec.gitea }));
      const reqs = await flow(async () => {
        await r.begin('promote');
        await r.finish(outcome('promoted', { reason: 'rerun: green healthy' }));
      });
      const mine = `/repos/acme/gateway/issues/comments/${before[0]?.id}`;
      const onPr = reqs.filter((q) => q.path === '/repos/acme/gateway/issues/12/comments' || q.path === mine);
      assert.deepEqual(
        onPr.map((q) => `${q.method} ${q.path.replace(/^\/repos\/acme\/gateway/, '')}`),
        ['GET /issues/12/comments', `PATCH /issues/comments/${before[0]?.id}`],
      );
      assert.ok(!reqs.some((q) => q.method === 'POST' && /\/comments$/.test(q.path)), 'no comment posted anywhere');
      assert.ok(!reqs.some((q) => is(q, 'PATCH', /\/issues\/7$/)), 'an issue already closed is not closed again');
      assert.equal(prism.state.commentsOn(12).length, 1);
      assert.match(prism.state.commentsOn(12)[0]?.body ?? '', /rerun/);
    });

    test('rollback: failure status, comments, reopen, failure issue opened with its label, then commented, then closed', async () => {
      const st = prism.state;
      st.seedPull(SHA_B, 13, 'Tune the bake', 'Fixes #9');
      st.seedIssue(9, 'closed');
      const ctx = context(prism.url, SHA_B, { gitea: spec.gitea });
      const first = reporter(ctx);
      const reqs = await flow(async () => {
        await first.r.begin('promote');
        await first.r.finish(outcome('rolled-back'));
      });
      const fin = reqs.filter((q) => is(q, 'POST', /\/statuses\//)).at(-1);
      assert.equal(field(fin!, 'state'), 'failure');
      assert.match(String(field(fin!, 'description')), /^rolled back: error rate 7\.2% > 5%/);
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/13\/comments$/)));
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/9\/comments$/)));
      assert.ok(reqs.some((q) => is(q, 'PATCH', /\/issues\/9$/) && field(q, 'state') === 'open'), 'Fixes #9 reopened');
      const label = reqs.find((q) => is(q, 'POST', /\/labels$/));
      assert.ok(label, 'the failure label is created');
      assert.equal(field(label, 'name'), 'handoff-failed');
      const created = reqs.filter((q) => is(q, 'POST', /^\/repos\/acme\/gateway\/issues$/));
      assert.equal(created.length, 1);
      const issue = created[0]!;
      const labelId = st.labels.find((l) => l.name === 'handoff-failed')?.id;
      assert.deepEqual(field(issue, 'labels'), spec.gitea ? [labelId] : ['handoff-failed']);
      assert.equal(field(issue, 'title'), 'hermes-handoff: prod handoff failed');
      const body = String(field(issue, 'body'));
      assert.ok(body.startsWith(failureMarker('prod')));
      // Green's log is host text: the job summary and the run log have it, the issue says so (issue 9 item 4).
      assert.ok(!body.includes('TELEGRAM_TOKEN'));
      assert.match(body, /Green's log is in the job summary and the run log, not here\./);
      assert.match(body, /#### Timeline/);
      assert.equal(st.openIssuesLabelled('handoff-failed').length, 1);

      const again = reporter(ctx);
      const reqs2 = await flow(async () => {
        await again.r.finish(outcome('rolled-back', { handoff_id: 'hh-20260101-def', reason: 'green crashed mid-bake' }));
      });
      assert.ok(!reqs2.some((q) => is(q, 'POST', /^\/repos\/acme\/gateway\/issues$/)), 'no second failure issue');
      const number = st.openIssuesLabelled('handoff-failed')[0]?.number;
      assert.ok(reqs2.some((q) => is(q, 'POST', new RegExp(`/issues/${number}/comments$`))), 'a comment on the open failure issue');
      assert.equal(st.openIssuesLabelled('handoff-failed').length, 1);

      const fixed = reporter(ctx);
      const reqs3 = await flow(async () => {
        await fixed.r.finish(outcome('promoted', { handoff_id: 'hh-20260101-ghi' }));
      });
      assert.ok(reqs3.some((q) => is(q, 'PATCH', new RegExp(`/issues/${number}$`)) && field(q, 'state') === 'closed'));
      assert.equal(st.openIssuesLabelled('handoff-failed').length, 0, 'a failure followed by a success leaves no open failure issue');
    });

    test('preflight on a pull_request: status on the head sha, one PR comment, issues untouched', async () => {
      const ctx = context(prism.url, SHA_MERGE, { gitea: spec.gitea, pr: { number: 14, headSha: SHA_HEAD, body: 'Closes #7' } });
      const notReady = reporter(ctx);
      const reqs = await flow(async () => {
        const pending = await notReady.r.begin('preflight');
        assert.equal(pending?.sha, SHA_HEAD);
        await notReady.r.finish(outcome('not-ready'));
      });
      const statuses = reqs.filter((q) => is(q, 'POST', /\/statuses\//));
      assert.deepEqual(statuses.map((q) => q.path), [`/repos/acme/gateway/statuses/${SHA_HEAD}`, `/repos/acme/gateway/statuses/${SHA_HEAD}`]);
      assert.deepEqual(statuses.map((q) => field(q, 'context')), ['hermes-handoff/prod/preflight', 'hermes-handoff/prod/preflight']);
      assert.deepEqual(statuses.map((q) => field(q, 'state')), ['pending', 'failure']);
      assert.equal(field(statuses[1]!, 'description'), 'not ready: socket: no listener on handoff.sock');
      assert.ok(reqs.some((q) => is(q, 'POST', /\/issues\/14\/comments$/)));
      assert.ok(!reqs.some((q) => /\/issues\/7|\/labels|\/issues$|\/commits\//.test(q.path)), 'preflight touches no issue and looks up no PR');

      const ready = reporter(ctx);
      const reqs2 = await flow(async () => {
        await ready.r.begin('preflight');
        await ready.r.finish(outcome('ready', { reason: 'host ready for a handoff' }));
      });
      assert.equal(field(reqs2.filter((q) => is(q, 'POST', /\/statuses\//)).at(-1)!, 'state'), 'success');
      assert.ok(reqs2.some((q) => is(q, 'PATCH', /\/issues\/comments\/\d+$/)), 'the preflight comment is edited');
      assert.ok(!reqs2.some((q) => is(q, 'POST', /\/comments$/)));
    });

    test('timed-out: error status asking for mode: status; issues untouched', async () => {
      const { r } = reporter(context(prism.url, SHA_B, { gitea: spec.gitea }));
      const reqs = await flow(async () => {
        await r.finish(outcome('timed-out', { reason: 'deadline passed while baking' }) as Outcome);
      });
      const fin = reqs.filter((q) => is(q, 'POST', /\/statuses\//)).at(-1)!;
      assert.equal(field(fin, 'state'), 'error');
      assert.match(String(field(fin, 'description')), /rerun with mode: status/);
      assert.ok(!reqs.some((q) => /\/issues\/9$|\/labels|\/issues$/.test(q.path)));
    });

    test('a scheduled status run reports a reversion (issue 13): failure status, issue reopened, failure issue opened, then updated in place', async () => {
      const st = prism.state;
      const SHA_S = 'e5'.repeat(20);
      st.seedPull(SHA_S, 15, 'Leak fix', 'Fixes #20');
      st.seedIssue(20, 'closed');
      const reverted = outcome('reverted', { mode: 'status', release: SHA_S, handoff_id: 'hh-20260102-rev', reason: 'green exited 3 h 12 min after promotion; blue resumed from its cursors', observation: { state: 'reverted', until: Date.now(), ended_at: Date.now() - 3600_000, reason: 'green exited' } });
      const ctx = context(prism.url, SHA_S, { gitea: spec.gitea, event: 'schedule' });
      const first = reporter(ctx);
      const reqs = await flow(async () => {
        await first.r.begin('status');
        await first.r.finish(reverted);
      });
      const fin = reqs.filter((q) => is(q, 'POST', /\/statuses\//)).at(-1)!;
      assert.equal(field(fin, 'state'), 'failure');
      assert.match(String(field(fin, 'description')), /^reverted: green exited/);
      assert.ok(reqs.some((q) => is(q, 'PATCH', /\/issues\/20$/) && field(q, 'state') === 'open'), 'Fixes #20 reopened');
      const created = reqs.filter((q) => is(q, 'POST', /^\/repos\/acme\/gateway\/issues$/));
      assert.equal(created.length, 1);
      const again = reporter(ctx);
      const reqs2 = await flow(async () => {
        await again.r.begin('status');
        await again.r.finish(reverted);
      });
      assert.ok(!reqs2.some((q) => is(q, 'POST', /^\/repos\/acme\/gateway\/issues$/)), 'no second failure issue');
      assert.ok(reqs2.some((q) => is(q, 'PATCH', /\/issues\/\d+$/) && typeof field(q, 'body') === 'string'), 'the failure issue body is updated');
      // Leave no open failure issue for the tests after this one.
      for (const i of st.openIssuesLabelled('handoff-failed')) i.state = 'closed';
    });

    test('the harness catches an invalid request (so a pass means something)', async () => {
      prism.clearRequests();
      const res = await fetch(`${prism.url}/repos/acme/gateway/issues/12/comments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `token ${TOKEN}` },
        body: JSON.stringify({ text: 'no body field' }),
      });
      await res.arrayBuffer();
      await prism.settle();
      const fresh = prism.violations().slice(seen);
      seen = prism.violations().length;
      assert.ok(fresh.some((v) => /body/.test(v)), `expected a violation for the missing body, got ${JSON.stringify(fresh)}`);
    });
  });
}
