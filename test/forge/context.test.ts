import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readForgeContext } from '../../src/forge/context.ts';
import { detectFlavor, flavorFor } from '../../src/forge/flavor.ts';

const base = {
  GITHUB_API_URL: 'https://api.github.com',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/gateway',
  GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '123456',
  GITHUB_RUN_ATTEMPT: '2',
};

test('detectFlavor: GITEA_ACTIONS=true or an API URL ending in /api/v1 means Gitea; anything else GitHub', () => {
  assert.equal(detectFlavor({ GITHUB_API_URL: 'https://api.github.com' }), 'github');
  assert.equal(detectFlavor({ GITHUB_API_URL: 'https://ghe.example/api/v3' }), 'github');
  assert.equal(detectFlavor({ GITHUB_API_URL: 'https://git.example/api/v1' }), 'gitea');
  assert.equal(detectFlavor({ GITHUB_API_URL: 'https://git.example/sub/api/v1/' }), 'gitea');
  assert.equal(detectFlavor({ GITEA_ACTIONS: 'true', GITHUB_API_URL: 'https://git.example/custom' }), 'gitea');
  assert.equal(detectFlavor({ GITEA_ACTIONS: 'TRUE' }), 'gitea');
  assert.equal(detectFlavor({ GITEA_ACTIONS: 'false', GITHUB_API_URL: 'https://api.github.com' }), 'github');
  assert.equal(detectFlavor({}), 'github');
});

test('the flavors differ where the contracts say: paging, PR-of-commit, label form, issue state body, permissions', () => {
  const gh = flavorFor('github');
  const gt = flavorFor('gitea');
  assert.deepEqual(gh.page(2), { params: { per_page: 100, page: 2 }, size: 100 });
  assert.deepEqual(gt.page(2), { params: { limit: 50, page: 2 }, size: 50 });
  assert.deepEqual(gh.createIssueLabels({ id: 5, name: 'handoff-failed' }), ['handoff-failed']);
  assert.deepEqual(gt.createIssueLabels({ id: 5, name: 'handoff-failed' }), [5]);
  assert.deepEqual(gh.issueStateBody('closed'), { state: 'closed', state_reason: 'completed' });
  assert.deepEqual(gt.issueStateBody('closed'), { state: 'closed' });
  assert.equal(gh.labelColor('b60205'), 'b60205');
  assert.equal(gt.labelColor('b60205'), '#b60205');
  assert.equal(gh.permission('statuses'), 'statuses: write');
  assert.equal(gh.permission('pulls'), 'pull-requests: write');
  assert.match(gt.permission('statuses'), /write access to code/);
  assert.match(gt.permission('issues'), /write access to issues/);
});

test('readForgeContext on a GitHub push: repo, sha, messages, run URL', () => {
  const ctx = readForgeContext(base, { head_commit: { message: 'Fix it\n\nCloses #4' }, commits: [{ message: 'Fix it\n\nCloses #4' }, { message: 'Refs #5' }] });
  assert.equal(ctx.flavor, 'github');
  assert.equal(ctx.owner, 'acme');
  assert.equal(ctx.repo, 'gateway');
  assert.equal(ctx.sha, base.GITHUB_SHA);
  assert.equal(ctx.pullRequest, null);
  assert.deepEqual(ctx.commitMessages, ['Fix it\n\nCloses #4', 'Refs #5']);
  assert.equal(ctx.runUrl, 'https://github.com/acme/gateway/actions/runs/123456');
  assert.equal(ctx.runAttempt, 2);
});

test('readForgeContext on a Gitea pull_request: flavor, PR number and head sha', () => {
  const env = { ...base, GITEA_ACTIONS: 'true', GITHUB_API_URL: 'https://git.example/api/v1/', GITHUB_SERVER_URL: 'https://git.example', GITHUB_EVENT_NAME: 'pull_request' };
  const ctx = readForgeContext(env, { pull_request: { number: 9, head: { sha: 'f'.repeat(40) }, title: 'T', body: null } });
  assert.equal(ctx.flavor, 'gitea');
  assert.equal(ctx.apiUrl, 'https://git.example/api/v1');
  assert.deepEqual(ctx.pullRequest, { number: 9, headSha: 'f'.repeat(40), title: 'T', body: '' });
  // Before the reporter learns Gitea's version, the link is the runs list: never a wrong run.
  assert.equal(ctx.runUrl, 'https://git.example/acme/gateway/actions');
  assert.equal(ctx.runId, '123456');
});

test('readForgeContext ignores a pull_request payload on other events and tolerates no run id', () => {
  const ctx = readForgeContext({ ...base, GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_RUN_ID: '' }, { pull_request: { number: 1, head: { sha: 'x' } } });
  assert.equal(ctx.pullRequest, null);
  assert.equal(ctx.runUrl, null);
  assert.deepEqual(readForgeContext(base, { head_commit: 'odd', commits: 5 }).commitMessages, []);
  assert.deepEqual(readForgeContext(base, null).commitMessages, []);
});

test('readForgeContext names the variable or payload field that is wrong', () => {
  assert.throws(() => readForgeContext({ ...base, GITHUB_REPOSITORY: 'nope' }, {}), /GITHUB_REPOSITORY: expected "owner\/repo"/);
  assert.throws(() => readForgeContext({ ...base, GITHUB_SHA: '' }, {}), /GITHUB_SHA/);
  assert.throws(() => readForgeContext({ ...base, GITHUB_API_URL: 'not a url' }, {}), /GITHUB_API_URL/);
  assert.throws(() => readForgeContext({ ...base, GITHUB_EVENT_NAME: 'pull_request' }, { pull_request: { number: 'x' } }), /event payload \(GITHUB_EVENT_PATH\) of a pull_request event: pull_request\.number/);
});
