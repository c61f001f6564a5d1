// Keeps forge failures out of the engine: every call is caught, and a missing permission is named once.
import { ForgeRequestError } from './api.ts';
import type { Flavor, PermissionArea } from './flavor.ts';
import { errorMessage } from '../core/errors.ts';

export interface ReporterLog {
  info(m: string): void;
  warn(m: string): void;
}

/** Runs forge calls for one reporter; a call that fails yields null after a scrubbed warning. */
export class Guard {
  private readonly warned = new Set<PermissionArea>();
  private readonly denied = new Set<PermissionArea>();
  private unreachable = false;

  constructor(
    private readonly flavor: Flavor,
    private readonly log: ReporterLog,
    private readonly scrub: (t: string) => string,
  ) {}

  /**
   * `fn`'s result, or null when it failed. A 401/403 also skips later calls in `area`, and an unreachable
   * forge skips every later call: they would fail the same way, each after octokit's retries.
   */
  async run<T>(area: PermissionArea, what: string, fn: () => Promise<T>): Promise<T | null> {
    if (this.unreachable || this.denied.has(area)) return null;
    try {
      return await fn();
    } catch (e) {
      this.report(area, what, e);
      return null;
    }
  }

  private report(area: PermissionArea, what: string, e: unknown): void {
    const need = this.flavor.permission(area);
    const tail = 'The handoff result is unaffected.';
    if (e instanceof ForgeRequestError && (e.status === 401 || e.status === 403)) {
      this.denied.add(area);
      if (this.warned.has(area)) return;
      this.warned.add(area);
      const why = e.status === 401 ? 'the token was rejected' : 'the token lacks a permission';
      this.log.warn(this.scrub(`hermes-handoff could not ${what} (HTTP ${e.status}: ${why}). The token needs ${need}. ${tail}`));
      return;
    }
    if (e instanceof ForgeRequestError && e.status === 404) {
      this.log.warn(this.scrub(`hermes-handoff could not ${what} (HTTP 404: not found, or the token cannot see it; it needs ${need}). ${tail}`));
      return;
    }
    if (e instanceof ForgeRequestError && e.status === 0) {
      this.unreachable = true;
      this.log.warn(this.scrub(`hermes-handoff could not ${what}: the forge did not answer (${e.message}); the rest of the report is skipped. ${tail}`));
      return;
    }
    const msg = errorMessage(e);
    this.log.warn(this.scrub(`hermes-handoff could not ${what}: ${msg}. ${tail}`));
  }
}
