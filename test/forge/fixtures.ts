// Outcomes and contexts shared by the forge tests.
import type { Mode } from '../../src/core/mode.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import type { ActionVerdict } from '../../src/core/verdict.ts';
import { readForgeContext, type ForgeContext } from '../../src/forge/context.ts';

export const T0 = 1_750_000_000_000;

/** A complete outcome for `verdict`, with a timeline and bake health; `over` replaces fields. */
export function outcome(verdict: ActionVerdict, over: Partial<Outcome> = {}): Outcome {
  const mode: Mode = verdict === 'ready' || verdict === 'not-ready' ? 'preflight' : 'promote';
  const handoff = mode === 'promote';
  return {
    mode,
    verdict,
    reason: verdict === 'rolled-back' ? 'error rate 7.2% > 5% in 3 consecutive samples' : verdict === 'promoted' ? 'green healthy through the bake' : `${verdict} reason`,
    target_name: 'prod',
    handoff_id: handoff ? 'hh-20260101-abc' : null,
    release: '0123456789abcdef0123456789abcdef01234567',
    runtime: 'claw',
    blue_pid: handoff ? 4100 : null,
    green_pid: handoff ? 4200 : null,
    dark_window_ms: handoff ? 4.2 : null,
    bake_ms: handoff ? 60_000 : null,
    started_at: T0,
    duration_ms: 75_000,
    timeline: handoff
      ? [
          { phase: 'reserved', at: T0 + 100 },
          { phase: 'init', at: T0 + 3_200 },
          { phase: 'active', at: T0 + 3_900, note: 'cursors handed over' },
          { phase: 'baking', at: T0 + 4_000 },
          { phase: verdict === 'rolled-back' ? 'rolling-back' : 'complete', at: T0 + 64_000 },
        ]
      : [],
    health: handoff
      ? [
          { seq: 1, at: T0 + 14_000, handled: 40, errors: 0, latency_p50_ms: 12, latency_p99_ms: 40 },
          { seq: 2, at: T0 + 24_000, handled: 42, errors: verdict === 'rolled-back' ? 4 : 0, latency_p50_ms: 13, latency_p99_ms: 44 },
        ]
      : [],
    checks:
      mode === 'preflight'
        ? [
            { name: 'ssh', ok: true, detail: 'connected, host key pinned' },
            { name: 'socket', ok: verdict === 'ready', detail: verdict === 'ready' ? 'blue answers' : 'no listener on handoff.sock' },
          ]
        : [],
    green_log_tail: verdict === 'rolled-back' ? 'starting\nTELEGRAM_TOKEN=tg-secret-value-99\nerror burst\n' : null,
    ...over,
  };
}

/** A ForgeContext for a push (or a pull_request when `pr` is given) against `apiUrl`. */
export function context(
  apiUrl: string,
  sha: string,
  opts: { gitea?: boolean; pr?: { number: number; headSha: string; body?: string }; messages?: string[]; serverUrl?: string; event?: string; runId?: string; runNumber?: string } = {},
): ForgeContext {
  const env: NodeJS.ProcessEnv = {
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: opts.serverUrl ?? 'https://forge.example',
    GITHUB_REPOSITORY: 'acme/gateway',
    GITHUB_SHA: sha,
    GITHUB_EVENT_NAME: opts.event ?? (opts.pr ? 'pull_request' : 'push'),
    GITHUB_REF: opts.pr ? `refs/pull/${opts.pr.number}/merge` : 'refs/heads/main',
    GITHUB_RUN_ID: opts.runId ?? '4242',
    GITHUB_RUN_NUMBER: opts.runNumber ?? '17',
    GITHUB_RUN_ATTEMPT: '1',
    ...(opts.gitea ? { GITEA_ACTIONS: 'true' } : {}),
  };
  const event = opts.pr
    ? { pull_request: { number: opts.pr.number, head: { sha: opts.pr.headSha }, title: 'A change', body: opts.pr.body ?? '' } }
    : { head_commit: { message: (opts.messages ?? ['deploy'])[0] }, commits: (opts.messages ?? ['deploy']).map((message) => ({ message })) };
  return readForgeContext(env, event);
}

/** A log that keeps every line, for assertions. */
export function memoryLog(): { info(m: string): void; warn(m: string): void; infos: string[]; warns: string[] } {
  const infos: string[] = [];
  const warns: string[] = [];
  return { info: (m) => infos.push(m), warn: (m) => warns.push(m), infos, warns };
}
