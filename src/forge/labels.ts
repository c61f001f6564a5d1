// The failure label: found by name, created when missing.
import { z } from 'zod';
import { ForgeRequestError, type ForgeApi } from './api.ts';
import type { Flavor, LabelRef } from './flavor.ts';
import type { RepoRef } from './comments.ts';
import { listAll } from './paging.ts';

const LabelJson = z.object({ id: z.number().int(), name: z.string() });

/** Colour of a label this action creates (red). */
export const FAILURE_LABEL_COLOR = 'b60205';

async function findLabel(api: ForgeApi, flavor: Flavor, r: RepoRef, name: string): Promise<LabelRef | null> {
  const same = (l: LabelRef) => l.name.toLowerCase() === name.toLowerCase();
  const all = await listAll(api, flavor, 'GET /repos/{owner}/{repo}/labels', { owner: r.owner, repo: r.repo }, LabelJson, same);
  return all.find(same) ?? null;
}

/** The label named `name` (case-insensitive), created with a red colour and a description when the repository lacks it. */
export async function ensureLabel(api: ForgeApi, flavor: Flavor, r: RepoRef, name: string): Promise<LabelRef> {
  const found = await findLabel(api, flavor, r, name);
  if (found) return found;
  try {
    const res = await api.request('POST /repos/{owner}/{repo}/labels', {
      owner: r.owner,
      repo: r.repo,
      name,
      color: flavor.labelColor(FAILURE_LABEL_COLOR),
      description: 'A hermes-handoff promotion failed on a target; closed by the next successful one.',
    });
    return LabelJson.parse(res.data);
  } catch (e) {
    // Another run created it meanwhile: read it back.
    if (e instanceof ForgeRequestError && e.status === 422) {
      const again = await findLabel(api, flavor, r, name);
      if (again) return again;
    }
    throw e;
  }
}
