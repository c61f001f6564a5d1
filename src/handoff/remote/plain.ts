// The remote operations as plain argv over the Host: a login shell on the host runs them (the SSH host quotes
// each word; the local host runs argv without a shell). Scripts are constant (scripts.ts); values are words.
import type { Check } from '../../core/outcome.ts';
import type { EngineParams } from '../../core/params.ts';
import { greenEnvFile, greenLogFile, verdictFile } from '../../core/layout.ts';
import { hostToken } from '../../core/token.ts';
import { errorMessage } from '../../core/errors.ts';
import type { ExecResult, Host } from '../../host/host.ts';
import type { StateFrame } from '../../peer/observer.ts';
import { VerdictRecord } from '../../protocol/frames.ts';
import { HandoffId } from '../../protocol/ids.ts';
import { DEFAULT_DEADLINES } from '../../protocol/deadlines.ts';
import { openObserver } from '../observe.ts';
import type { EngineClock } from '../params.ts';
import { expandHome, hostPaths, needsHome, type HostPaths } from '../paths.ts';
import type { GreenEnv, HostChecks, PrepareResult, Remote, SocketState, VerdictSummary } from './remote.ts';
import { envFileText, LAUNCH_SCRIPT, LIST_NEWEST, PID_RUNS, PREPARE, PRINT_HOME, RESOLVE_COMMAND, SOCKET_STATE, STOP_GREEN, unitName } from './scripts.ts';

/** Free space below which a handoff is not started (logs, verdict files, green's store writes). */
const MIN_FREE_KIB = 100 * 1024;
/** How long a short command may take. */
const SHORT_MS = 15_000;

/** The last non-empty line of a command's stderr (host text, as data), or its exit. */
function why(r: ExecResult): string {
  return r.stderr.trim().split('\n').at(-1)?.slice(0, 500) || `exit ${r.code ?? r.signal}`;
}

/** The Remote of a host without the agent: every operation is argv of standard tools or a constant script. */
export class PlainRemote implements Remote {
  readonly via = 'shell' as const;
  readonly readOnly = null;
  readonly hostDecidesGreen = false;
  private resolved: Promise<HostPaths> | null = null;

  /** Operations on `host` for the run `p`; observer connections (state()) run on `clock`. */
  constructor(
    private readonly host: Host,
    private readonly p: EngineParams,
    private readonly clock: EngineClock,
  ) {}

  promoteProblem(): string | null {
    return this.p.greenCommand ? null : 'no green-command: nothing to start';
  }

  paths(): Promise<HostPaths> {
    this.resolved ??= this.resolve();
    return this.resolved;
  }

  /** hermes-home, socket-path and workdir, a leading `~/` expanded with the host's $HOME. */
  private async resolve(): Promise<HostPaths> {
    const raw = [this.p.hermesHome, this.p.socketPath, this.p.workdir];
    let homeDir = '';
    if (raw.some((x) => x !== null && needsHome(x))) {
      const r = await this.host.exec(['sh', '-c', PRINT_HOME], { timeoutMs: SHORT_MS });
      homeDir = r.stdout.trim();
      if (r.code !== 0 || !homeDir.startsWith('/')) throw new Error('could not read $HOME on the host to expand ~');
    }
    const x = (v: string | null) => (v === null ? null : expandHome(v, homeDir));
    return hostPaths(expandHome(this.p.hermesHome, homeDir), x(this.p.socketPath), x(this.p.workdir));
  }

  async token(): Promise<string> {
    const { token } = await this.paths();
    const r = await this.host.exec(['cat', '--', token], { timeoutMs: SHORT_MS });
    if (r.code !== 0) throw new Error(`cannot read the handoff token ${token}: ${why(r)}`);
    return hostToken(r.stdout, token);
  }

  async verdict(id: string): Promise<VerdictRecord | null> {
    const r = await this.host.exec(['cat', '--', verdictFile(await this.paths(), id)], { timeoutMs: SHORT_MS });
    if (r.code !== 0) return null;
    try {
      const v = VerdictRecord.safeParse(JSON.parse(r.stdout));
      return v.success && v.data.handoff_id === id ? v.data : null;
    } catch {
      return null;
    }
  }

  async recentVerdicts(count: number): Promise<VerdictSummary[]> {
    const { verdicts } = await this.paths();
    const r = await this.host.exec(['sh', '-c', LIST_NEWEST, 'hermes-verdicts', verdicts], { timeoutMs: SHORT_MS });
    if (r.code !== 0) return [];
    const ids = r.stdout
      .split('\n')
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((id) => HandoffId.safeParse(id).success)
      .slice(0, count);
    const out: VerdictSummary[] = [];
    for (const id of ids) {
      const rec = await this.verdict(id).catch(() => null);
      out.push({ handoff_id: id, verdict: rec?.verdict ?? null, release: rec?.release ?? null, decided_at: rec?.decided_at ?? null });
    }
    return out;
  }

  async state(): Promise<StateFrame> {
    const paths = await this.paths();
    const obs = await openObserver(this.host, paths.socket, await this.token(), this.clock);
    try {
      return await obs.status(10_000);
    } finally {
      obs.close();
    }
  }

  async socketState(): Promise<SocketState> {
    const { socket } = await this.paths();
    const r = await this.host.exec(['sh', '-c', SOCKET_STATE, 'hermes-socket-state', socket], { timeoutMs: SHORT_MS }).catch(() => null);
    return r?.code === 0 ? 'stale' : r?.code === 1 ? 'missing' : 'unknown';
  }

  async prepare(_id: string, budgetMs: number): Promise<PrepareResult | null> {
    if (!this.p.prepareCommand) return null;
    const paths = await this.paths();
    // timeout(1) on the host ends it there too: closing an SSH channel does not stop a root session's command.
    const argv = ['timeout', '-k', '5', `${Math.ceil(budgetMs / 1000)}s`, 'sh', '-c', PREPARE, 'hermes-prepare', paths.workdir ?? '', this.p.prepareCommand];
    const r = await this.host.exec(argv, { timeoutMs: budgetMs + 10_000, stdin: '' });
    if (r.code === 0) return { ok: true };
    // Its output is host text: it goes to the job summary and the log, not into the reason (statuses, comments).
    const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim() || null;
    const timedOut = r.code === 124 ? ' (it ran past the time left and was stopped)' : '';
    return { ok: false, reason: `prepare-command failed (exit ${r.code ?? r.signal})${timedOut}; its output is in the job summary and the run log`, output };
  }

  async launch(id: string, env: GreenEnv): Promise<number> {
    if (!this.p.greenCommand) throw new Error('no green-command: nothing to start');
    const paths = await this.paths();
    const keep = this.p.launcher === 'systemd' ? Object.entries(env.own).map(([k, v]) => `${k}=${v}`) : [];
    const argv = [
      'sh', '-c', LAUNCH_SCRIPT, 'hermes-launch',
      greenLogFile(paths, id), paths.workdir ?? '', this.p.greenCommand, this.p.launcher, unitName(this.p.systemdUnit, id), greenEnvFile(paths, id),
      ...keep,
    ];
    const r = await this.host.exec(argv, { stdin: envFileText({ ...env.user, ...env.own }), timeoutMs: 30_000 });
    const pid = Number.parseInt(r.stdout.trim().split('\n').pop() ?? '', 10);
    if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
      throw new Error(`could not start green (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500) || 'no output'}`);
    }
    return pid;
  }

  async pidRuns(pid: number): Promise<boolean | null> {
    const r = await this.host.exec(['sh', '-c', PID_RUNS, 'hermes-pid-runs', String(pid)], { timeoutMs: 10_000 }).catch(() => null);
    return r === null || r.code === null ? null : r.code === 0;
  }

  async stopGreen(id: string, pid: number): Promise<string> {
    const paths = await this.paths();
    const grace = Math.min(60, Math.max(1, Math.ceil((this.p.deadlines.rollback_grace_ms ?? DEFAULT_DEADLINES.rollback_grace_ms) / 1000)));
    const argv = ['sh', '-c', STOP_GREEN, 'hermes-stop-green', this.p.launcher, String(pid), unitName(this.p.systemdUnit, id), id, String(grace), greenEnvFile(paths, id), `${paths.home}/gateway.pid`];
    const r = await this.host.exec(argv, { timeoutMs: (grace + 20) * 1000 });
    if (r.code === 0) return r.stdout.trim().split('\n').at(-1) ?? 'stopped';
    if (r.code === 3) return why(r);
    throw new Error(`could not stop green: ${why(r)}`);
  }

  async tail(id: string, lines: number): Promise<string | null> {
    const r = await this.host.exec(['tail', '-n', String(lines), '--', greenLogFile(await this.paths(), id)], { timeoutMs: 10_000 }).catch(() => null);
    return r && r.code === 0 ? r.stdout : null;
  }

  async hostChecks(): Promise<HostChecks> {
    const before: Check[] = [];
    const after: Check[] = [];
    let paths: HostPaths | null = null;
    try {
      paths = await this.paths();
      const r = await this.host.exec(['test', '-d', paths.home], { timeoutMs: 10_000 });
      before.push({ name: 'hermes-home exists', ok: r.code === 0, detail: r.code === 0 ? paths.home : `${paths.home} is not a directory` });
    } catch (e) {
      before.push({ name: 'hermes-home exists', ok: false, detail: errorMessage(e) });
    }
    if (paths) {
      const df = await this.host.exec(['df', '-Pk', '--', paths.home], { timeoutMs: 10_000 }).catch(() => null);
      const avail = df && df.code === 0 ? Number.parseInt(df.stdout.trim().split('\n').pop()?.split(/\s+/)[3] ?? '', 10) : NaN;
      after.push({ name: 'free disk', ok: avail >= MIN_FREE_KIB, detail: Number.isFinite(avail) ? `${Math.round(avail / 1024)} MiB free under ${paths.home}` : 'could not read free space' });
    }
    const wd = paths?.workdir ?? this.p.workdir;
    if (this.p.greenCommand) {
      const word = this.p.greenCommand.trim().split(/\s+/)[0] ?? '';
      const r = await this.host
        .exec(['sh', '-c', RESOLVE_COMMAND, 'hermes-preflight', wd ?? '', word], { timeoutMs: 10_000 })
        .catch((e: unknown) => ({ code: 1, stdout: '', stderr: errorMessage(e), signal: null }));
      after.push({
        name: 'green command resolves',
        ok: r.code === 0,
        detail: r.code === 0 ? `${word} -> ${r.stdout.trim()}` : `${word} not found on the host's PATH${wd ? ` in ${wd}` : ''} (non-interactive shells may have a shorter PATH)`,
      });
    } else if (this.p.mode === 'promote') {
      after.push({ name: 'green command resolves', ok: false, detail: 'no green-command given' });
    }
    return { before, after, socketChecked: false };
  }
}
