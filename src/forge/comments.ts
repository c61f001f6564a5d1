// One comment per PR or issue, found again by its hidden marker and edited in place.
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import { hasMarker } from './markers.ts';
import { listAll } from './paging.ts';

export const CommentJson = z.object({ id: z.number().int(), body: z.string().nullish() });

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The id of the first comment on issue/PR `number` whose body carries `marker`, or null. */
export async function findComment(api: ForgeApi, flavor: Flavor, r: RepoRef, number: number, marker: string): Promise<number | null> {
  const route = 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments';
  const params = { owner: r.owner, repo: r.repo, issue_number: number };
  const mine = (c: z.infer<typeof CommentJson>) => hasMarker(c.body, marker);
  const list = flavor.commentsPaginate
    ? await listAll(api, flavor, route, params, CommentJson, mine)
    : z.array(CommentJson).parse((await api.request(route, params)).data);
  return list.find(mine)?.id ?? null;
}

/** Edits the comment carrying `marker` on `number` to `body`, or posts `body` as a new one; `body` must contain the marker. */
export async function upsertComment(
  api: ForgeApi,
  flavor: Flavor,
  r: RepoRef,
  number: number,
  marker: string,
  body: string,
): Promise<{ id: number; action: 'created' | 'updated' }> {
  if (!hasMarker(body, marker)) throw new Error(`upsertComment: body for #${number} lacks its marker ${marker}`);
  const existing = await findComment(api, flavor, r, number, marker);
  if (existing !== null) {
    await api.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner: r.owner, repo: r.repo, comment_id: existing, body });
    return { id: existing, action: 'updated' };
  }
  const res = await api.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: r.owner, repo: r.repo, issue_number: number, body });
  return { id: CommentJson.parse(res.data).id, action: 'created' };
}
