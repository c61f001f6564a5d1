// Where the run reports to: read once from the runner's environment and event payload.
import { z } from 'zod';
import { FlavorName, detectFlavor, flavorFor } from './flavor.ts';

export const ForgeContext = z.object({
  flavor: FlavorName,
  /** REST base, e.g. https://api.github.com or https://gitea.example/api/v1 (no trailing slash). */
  apiUrl: z.url(),
  serverUrl: z.url(),
  owner: z.string().min(1),
  repo: z.string().min(1),
  /** The commit being deployed (GITHUB_SHA). */
  sha: z.string().regex(/^[0-9a-f]{7,64}$/i),
  eventName: z.string(),
  /** The pull request of a pull_request event; null for other events. */
  pullRequest: z
    .object({ number: z.number().int().positive(), headSha: z.string().min(1), title: z.string(), body: z.string() })
    .nullable(),
  /** Commit messages a push brought (head commit first); they may reference issues. */
  commitMessages: z.array(z.string()),
  /** The run's page before the forge's version is known (Gitea: the runs list); the reporter refines it. Null when GITHUB_RUN_ID is unset. */
  runUrl: z.string().nullable(),
  /** GITHUB_RUN_ID and GITHUB_RUN_NUMBER: Gitea before 1.26 addresses a run's page by its number. */
  runId: z.string().nullable(),
  runNumber: z.string().nullable(),
  /** The branch the run is on (GITHUB_REF refs/heads/...), null for a tag or a pull request's merge ref. */
  branch: z.string().nullable(),
  /** GITHUB_RUN_ATTEMPT: 1 for the first attempt, more on a rerun. */
  runAttempt: z.number().int().positive(),
});
export type ForgeContext = z.infer<typeof ForgeContext>;

// Only the parts of the event payload we read; everything else is ignored.
const PullRequestPayload = z.object({
  pull_request: z.object({
    number: z.number().int().positive(),
    head: z.object({ sha: z.string().min(1) }),
    title: z.string().nullish(),
    body: z.string().nullish(),
  }),
});
// Commit messages only add issue references: a payload without them (or with odd ones) is not an error.
const PushPayload = z.object({
  head_commit: z.object({ message: z.string() }).nullish().catch(null),
  commits: z.array(z.object({ message: z.string() })).nullish().catch(null),
});

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

/** Reads the forge context from GITHUB_* / GITEA_ACTIONS and the parsed event payload; throws naming the bad variable or field. */
export function readForgeContext(env: NodeJS.ProcessEnv, eventJson: unknown): ForgeContext {
  const flavor = detectFlavor(env);
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').trim().replace(/\/+$/, '');
  const serverUrl = (env.GITHUB_SERVER_URL || (flavor === 'github' ? 'https://github.com' : apiUrl.replace(/\/api\/v1$/, ''))).trim().replace(/\/+$/, '');
  const repository = (env.GITHUB_REPOSITORY ?? '').trim();
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (!m) throw new Error(`GITHUB_REPOSITORY: expected "owner/repo", got ${JSON.stringify(repository)}`);
  const sha = (env.GITHUB_SHA ?? '').trim();
  const eventName = (env.GITHUB_EVENT_NAME ?? '').trim();

  let pr: z.infer<typeof PullRequestPayload>['pull_request'] | null = null;
  if (PR_EVENTS.has(eventName)) {
    const parsed = PullRequestPayload.safeParse(eventJson ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`event payload (GITHUB_EVENT_PATH) of a ${eventName} event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    pr = parsed.data.pull_request;
  }
  const push = PushPayload.safeParse(eventJson ?? {});
  const ev = push.success ? push.data : { head_commit: null, commits: null };
  const messages = [ev.head_commit?.message, ...(ev.commits ?? []).map((c) => c.message)].filter((x): x is string => typeof x === 'string');

  const runId = (env.GITHUB_RUN_ID ?? '').trim();
  const runNumber = (env.GITHUB_RUN_NUMBER ?? '').trim();
  const ref = (env.GITHUB_REF ?? '').trim();
  const run = { serverUrl, repository, runId: /^\d+$/.test(runId) ? runId : null, runNumber: /^\d+$/.test(runNumber) ? runNumber : null };
  const attempt = Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? '', 10);
  const ctx = {
    flavor,
    apiUrl,
    serverUrl,
    owner: m[1],
    repo: m[2],
    sha,
    eventName,
    pullRequest: pr ? { number: pr.number, headSha: pr.head.sha, title: pr.title ?? '', body: pr.body ?? '' } : null,
    commitMessages: [...new Set(messages)],
    runUrl: run.runId ? flavorFor(flavor).runUrl(run, null) : null,
    runId: run.runId,
    runNumber: run.runNumber,
    branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null,
    runAttempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
  };
  const checked = ForgeContext.safeParse(ctx);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const names: Record<string, string> = { apiUrl: 'GITHUB_API_URL', serverUrl: 'GITHUB_SERVER_URL', sha: 'GITHUB_SHA' };
    throw new Error(`${names[field] ?? field}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(ctx[field as keyof typeof ctx])})`);
  }
  return checked.data;
}
