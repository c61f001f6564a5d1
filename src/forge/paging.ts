// Reads every page of a list endpoint the way the forge paginates: by its `Link` header or its
// `X-Total-Count`, never by a short page (Gitea's MAX_RESPONSE_ITEMS may make every page short).
import type { z } from 'zod';
import type { ForgeApi, ForgeResponse } from './api.ts';
import type { Flavor } from './flavor.ts';

/** A bound on pages read, so a runaway list cannot stall a report. */
export const MAX_PAGES = 30;

/** Whether a `Link` header names a next page; null when there is no Link header. */
export function linkHasNext(link: unknown): boolean | null {
  if (typeof link !== 'string' || link.trim() === '') return null;
  return link.split(',').some((part) => /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(part));
}

/** The total a `X-Total-Count` header gives, or null. */
export function totalCount(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** Whether another page follows `res`, having read `seen` items so far, with `size` asked per page. */
export function morePages(res: ForgeResponse, seen: number, got: number, size: number): boolean {
  const next = linkHasNext(res.headers?.link);
  if (next !== null) return next;
  const total = totalCount(res.headers?.['x-total-count']);
  if (total !== null) return seen < total;
  // Neither header (an old or odd forge): an empty page ends the list; a short one ends it only when nothing says otherwise.
  return got > 0 && got >= size;
}

/** Every item of `route` (validated by `item`), page after page up to `maxPages`; stops early once `stop` matches an item. */
export async function listAll<T>(
  api: ForgeApi,
  flavor: Flavor,
  route: string,
  params: Record<string, unknown>,
  item: z.ZodType<T>,
  stop?: (x: T) => boolean,
  maxPages = MAX_PAGES,
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const p = flavor.page(page);
    const res = await api.request(route, { ...params, ...p.params });
    if (!Array.isArray(res.data)) throw new Error(`${route}: expected a JSON array, got ${typeof res.data}`);
    const items = res.data.map((x, i) => {
      const r = item.safeParse(x);
      if (!r.success) throw new Error(`${route}: item ${i}: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? 'invalid'}`);
      return r.data;
    });
    out.push(...items);
    if (stop && items.some(stop)) break;
    if (items.length === 0 || !morePages(res, out.length, items.length, p.size)) break;
  }
  return out;
}
