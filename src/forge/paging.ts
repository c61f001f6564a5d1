// Reads every page of a list endpoint the way the forge paginates.
import type { z } from 'zod';
import type { ForgeApi } from './api.ts';
import type { Flavor } from './flavor.ts';

/** A bound on pages read, so a runaway list cannot stall a report. */
export const MAX_PAGES = 30;

/** Every item of `route` (validated by `item`), reading pages until a short one; stops early once `stop` matches an item. */
export async function listAll<T>(
  api: ForgeApi,
  flavor: Flavor,
  route: string,
  params: Record<string, unknown>,
  item: z.ZodType<T>,
  stop?: (x: T) => boolean,
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
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
    if (items.length < p.size) break;
  }
  return out;
}
