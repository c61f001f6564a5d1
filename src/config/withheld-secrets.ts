// Pull requests from forks and bots run without the repository's secrets: say so plainly and skip,
// instead of failing with "a host key pin is required" although the secret is set.
import { z } from 'zod';

const Repo = z.object({ full_name: z.string() }).nullable().optional();
// The parts of a pull_request event this reads (GitHub's and Gitea's payloads share them).
const PullRequestEvent = z.object({
  pull_request: z.object({
    head: z.object({ repo: Repo }).optional(),
    base: z.object({ repo: Repo }).optional(),
    user: z.object({ login: z.string().optional(), type: z.string().optional() }).optional(),
  }),
});

/** Keeps text from the event to a short, plain name before it reaches the log. */
const plain = (s: string) => (/^[A-Za-z0-9_.\-/[\]]{1,100}$/.test(s) ? s : 'another repository');

/**
 * The one line to log when this run's secrets were withheld by the forge: a `pull_request` from a fork
 * or from a bot (Dependabot), with the inputs that come from secrets (the private key and the host key
 * pins) all empty. Null otherwise: then empty inputs are a mistake, reported as such.
 */
export function withheldSecrets(getInput: (name: string) => string, env: NodeJS.ProcessEnv, event: unknown): string | null {
  if (env.GITHUB_EVENT_NAME !== 'pull_request') return null;
  if (getInput('transport').trim() === 'local') return null;
  if (['private-key', 'host-fingerprint', 'known-hosts'].some((n) => getInput(n).trim() !== '')) return null;
  const e = PullRequestEvent.safeParse(event);
  if (!e.success) return null;
  const pr = e.data.pull_request;
  // null: the fork was deleted; undefined: the payload does not say.
  const head = pr.head?.repo === null ? null : pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name;
  const actor = env.GITHUB_ACTOR ?? '';
  const author = pr.user?.login ?? '';
  const bot = [actor, author].find((n) => n.endsWith('[bot]')) ?? (pr.user?.type === 'Bot' ? author : undefined);
  const fork = head === null || (head !== undefined && base !== undefined && head !== base);
  const tail =
    'so private-key and the host key pins are empty; nothing was checked or changed (no commit status is set). ' +
    'A required hermes-handoff/* status cannot be met by such a pull request: see "Pull requests from forks and bots" in the README';
  if (bot !== undefined) {
    return `skipped: this pull_request is from ${plain(bot)}, and the forge gives such runs no repository secrets (on GitHub, Dependabot gets only Dependabot secrets), ${tail}`;
  }
  if (fork) return `skipped: this pull_request comes from a fork (${head ? plain(head) : 'a deleted repository'}), and the forge gives such runs no secrets, ${tail}`;
  return null;
}
