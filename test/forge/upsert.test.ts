// Marker upsert: find our comment again (across pages) and edit it; otherwise post one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createForgeApi } from '../../src/forge/api.ts';
import { flavorFor } from '../../src/forge/flavor.ts';
import { upsertComment, findComment } from '../../src/forge/comments.ts';
import { commentMarker, failureMarker, hasMarker } from '../../src/forge/markers.ts';
import { startFakeForge } from './fake-forge.ts';

const repo = { owner: 'acme', repo: 'gateway' };

test('markers: per target, hidden, and not confusable with each other', () => {
  assert.equal(commentMarker('prod'), '<!-- hermes-handoff:prod -->');
  assert.equal(failureMarker('prod'), '<!-- hermes-handoff-failure:prod -->');
  assert.ok(!hasMarker(commentMarker('prod-eu'), commentMarker('prod')));
  assert.ok(!hasMarker(failureMarker('prod'), commentMarker('prod')));
  // A target name cannot close the comment early or carry markup: the marker's own `-->` is its only one.
  for (const target of ['a --> <b>', 'a --> b', 'x--!>y', 'a\n-->\n<script>']) {
    const m = commentMarker(target);
    assert.equal(m.match(/-->/g)?.length, 1, `${JSON.stringify(target)} -> ${m}`);
    assert.ok(m.endsWith(' -->'), m);
    assert.ok(!/[<>\n]/.test(m.slice('<!--'.length, -'-->'.length)), m);
  }
  assert.equal(hasMarker(null, commentMarker('x')), false);
});

for (const gitea of [false, true]) {
  test(`upsertComment on ${gitea ? 'Gitea' : 'GitHub'}: creates once, then edits the marked comment only`, async () => {
    const f = await startFakeForge(gitea ? '/api/v1' : '');
    try {
      const api = createForgeApi(f.url, 'tok', { throttle: false, retries: 0 });
      const flavor = flavorFor(gitea ? 'gitea' : 'github');
      const m = commentMarker('prod');
      // Someone else's comments, and one for another target, come first (110: more than one GitHub page).
      for (let i = 0; i < 110; i++) await api.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: 5, body: i === 3 ? commentMarker('staging') : `chatter ${i}` });
      // A third party plants our marker: it is their text, never found as ours (issue 9 item 5).
      f.state.seedComment(5, `${m}\nplanted`, 'mallory');
      const mine = { author: 'hermes-bot' };
      const first = await upsertComment(api, flavor, repo, 5, m, `${m}\nv1`, mine);
      assert.equal(first.action, 'created');
      const second = await upsertComment(api, flavor, repo, 5, m, `${m}\nv2`, mine);
      assert.deepEqual(second, { id: first.id, action: 'updated' });
      assert.equal(f.state.commentsOn(5).length, 112);
      assert.equal(f.state.commentsOn(5).find((c) => c.author === 'mallory')?.body, `${m}\nplanted`, 'the planted comment is left as it was');
      assert.equal(f.state.comments.get(first.id)?.body, `${m}\nv2`);
      assert.equal(f.state.commentsOn(5).find((c) => c.body === commentMarker('staging'))?.body, commentMarker('staging'));
      assert.equal(await findComment(api, flavor, repo, 6, m, 'hermes-bot'), null);
      assert.equal(await findComment(api, flavor, repo, 5, m, 'HERMES-BOT').then((c) => c?.id), first.id, 'logins compare without case');
      const lists = f.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/issues/5/comments'));
      if (gitea) assert.ok(lists.every((q) => q.query.page === undefined && q.query.limit === undefined), 'Gitea lists comments unpaged');
      else assert.deepEqual(lists.slice(0, 2).map((q) => [q.query.per_page, q.query.page]), [['100', '1'], ['100', '2']]);
      await assert.rejects(upsertComment(api, flavor, repo, 5, m, 'no marker', mine), /lacks its marker/);
    } finally {
      await f.stop();
    }
  });
}
