// One comment per PR or issue, found again by its hidden marker and its author, and edited in place.
import { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';
import { hasMarker } from './markers.ts';
import { listAll } from './paging.ts';

/** A comment as both forges list it (only the fields used). */
export const CommentJson = z.object({ id: z.number().int(), body: z.string().nullish(), user: z.object({ login: z.string() }).nullish() });
export type CommentJson = z.infer<typeof CommentJson>;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** True when `login` (a comment's or issue's author) is `author`; logins compare without case, as both forges treat them. */
export function byAuthor(login: string | null | undefined, author: string): boolean {
  return typeof login === 'string' && login.toLowerCase() === author.toLowerCase();
}

/** The first comment on issue/PR `number` that `author` wrote and whose body carries `marker`, or null. */
export async function findComment(api: ForgeApi, flavor: Flavor, r: RepoRef, number: number, marker: string, author: string): Promise<CommentJson | null> {
  const route = 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments';
  const params = { owner: r.owner, repo: r.repo, issue_number: number };
  // A marker in someone else's comment is text they wrote: never ours to edit, and never a reason to stay silent.
  const mine = (c: CommentJson) => byAuthor(c.user?.login, author) && hasMarker(c.body, marker);
  const list = flavor.commentsPaginate
    ? await listAll(api, flavor, route, params, CommentJson, mine)
    : z.array(CommentJson).parse((await api.request(route, params)).data);
  return list.find(mine) ?? null;
}

export interface UpsertOptions {
  /** The token's own login: only its comments are found again. */
  author: string;
  /** The body to write over an existing comment, from that comment's body (default: `body`). */
  merge?: (existing: string) => string;
}

/** Edits `author`'s comment carrying `marker` on `number`, or posts `body` as a new one; `body` must contain the marker. */
export async function upsertComment(
  api: ForgeApi,
  flavor: Flavor,
  r: RepoRef,
  number: number,
  marker: string,
  body: string,
  opts: UpsertOptions,
): Promise<{ id: number; action: 'created' | 'updated' }> {
  if (!hasMarker(body, marker)) throw new Error(`upsertComment: body for #${number} lacks its marker ${marker}`);
  const existing = await findComment(api, flavor, r, number, marker, opts.author);
  if (existing !== null) {
    const next = opts.merge ? opts.merge(existing.body ?? '') : body;
    await api.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner: r.owner, repo: r.repo, comment_id: existing.id, body: next });
    return { id: existing.id, action: 'updated' };
  }
  const res = await api.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: r.owner, repo: r.repo, issue_number: number, body });
  return { id: CommentJson.parse(res.data).id, action: 'created' };
}
