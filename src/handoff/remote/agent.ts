// The remote operations as the host agent's operations (host-agent/hermes-handoff-agent, src/host/agent.ts): no
// shell line is ever sent, green's command, workdir, launcher and prepare command are the host's own config, and
// everything the agent prints is parsed as data (bounded JSON, one-line messages).
import { z } from 'zod';
import type { Check } from '../../core/outcome.ts';
import type { EngineParams } from '../../core/params.ts';
import { hostToken } from '../../core/token.ts';
import { AGENT_EXIT, AGENT_PROGRAM, AGENT_PROTOCOL, agentArgv, agentMessage, type AgentOp, type HostAgent } from '../../host/agent.ts';
import type { ExecResult, Host } from '../../host/host.ts';
import type { StateFrame } from '../../peer/observer.ts';
import { State, VerdictRecord } from '../../protocol/frames.ts';
import { hostPaths, needsHome, type HostPaths } from '../paths.ts';
import type { GreenEnv, HostChecks, PrepareResult, Remote, SocketState, VerdictSummary } from './remote.ts';

const SHORT_MS = 15_000;

const PreflightReport = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string().max(200), ok: z.boolean(), detail: z.string().max(4096) })).max(64),
});

const Summary = z.object({
  handoff_id: z.string().max(64),
  verdict: z.string().max(64).optional(),
  release: z.string().max(200).optional(),
  decided_at: z.number().optional(),
});

const StopReport = z.object({ stopped: z.boolean(), detail: z.string().max(500).optional(), signal: z.string().max(16).optional(), unit: z.string().max(300).optional(), pid: z.number().optional() });

/** One JSON line of the agent's stdout (its first line), or null when it is not JSON. */
function jsonLine(stdout: string): unknown {
  const line = stdout.split('\n', 1)[0] ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/** The Remote of a host whose SSH key is forced through the host agent. */
export class AgentRemote implements Remote {
  readonly via = 'agent' as const;
  readonly readOnly: string | null;
  readonly hostDecidesGreen = true;
  private readonly fixed: HostPaths | null;

  /** Operations through `agent` (its hello) on `host` for the run `p`; `warn` hears where the inputs and the agent's config disagree. */
  constructor(
    private readonly host: Host,
    private readonly agent: HostAgent,
    private readonly p: EngineParams,
    warn: (msg: string) => void,
  ) {
    this.readOnly = agent.mode === 'read-only' ? `${AGENT_PROGRAM} serves this key read-only` : null;
    this.fixed = agent.hermesHome && agent.socket ? hostPaths(agent.hermesHome, agent.socket, null) : null;
    if (this.fixed) {
      const given = (v: string | null) => v !== null && !needsHome(v);
      if (given(p.hermesHome) && p.hermesHome.replace(/\/+$/, '') !== this.fixed.home) {
        warn(`hermes-home ${p.hermesHome} differs from hermes_home ${this.fixed.home} in the host agent's config ${agent.config}; the agent's is used`);
      }
      if (p.socketPath !== null && given(p.socketPath) && p.socketPath !== this.fixed.socket) {
        warn(`socket-path ${p.socketPath} differs from the socket ${this.fixed.socket} in the host agent's config ${agent.config}; the agent's is used`);
      }
    }
  }

  /** Why a promotion cannot use this agent as the run is set up, or null. */
  promoteProblem(): string | null {
    if (this.p.prepareCommand && !this.agent.prepare) {
      return `prepare-command is set, but the host agent runs only the prepare command of its config ${this.agent.config}, which has none: set prepare.command there (docs/host-setup.md#the-agents-config) or remove prepare-command`;
    }
    return null;
  }

  async paths(): Promise<HostPaths> {
    if (this.agent.protocol !== AGENT_PROTOCOL) {
      throw new Error(`${AGENT_PROGRAM} on the host speaks interface ${this.agent.protocol}; this action speaks ${AGENT_PROTOCOL}: install the agent from this action's release (docs/host-setup.md#install-the-agent)`);
    }
    if (!this.fixed) throw new Error(`${AGENT_PROGRAM} on the host cannot use its config: ${this.agent.configError ?? `${this.agent.config} names no hermes_home`}`);
    return this.fixed;
  }

  /** Runs agent operation `op`; the agent splits the words itself, without a shell. */
  private run(op: AgentOp, args: Array<string | number>, timeoutMs: number, stdin = ''): Promise<ExecResult> {
    return this.host.exec(agentArgv(op, ...args), { timeoutMs, stdin });
  }

  async token(): Promise<string> {
    const paths = await this.paths();
    if (this.readOnly) throw new Error(`cannot read the handoff token: ${this.readOnly} (no token, no socket)`);
    const r = await this.run('token', [], SHORT_MS);
    if (r.code !== 0) throw new Error(`cannot read the handoff token through ${AGENT_PROGRAM}: ${agentMessage(r)}`);
    return hostToken(r.stdout, paths.token);
  }

  async verdict(id: string): Promise<VerdictRecord | null> {
    await this.paths();
    const r = await this.run('verdict', [id], SHORT_MS);
    if (r.code !== 0) return null;
    const v = VerdictRecord.safeParse(jsonLine(r.stdout));
    return v.success && v.data.handoff_id === id ? v.data : null;
  }

  async recentVerdicts(count: number): Promise<VerdictSummary[]> {
    await this.paths();
    const r = await this.run('verdicts', [Math.max(1, Math.min(50, count))], SHORT_MS);
    if (r.code !== 0) return [];
    const out: VerdictSummary[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line.trim()) continue;
      const s = Summary.safeParse(jsonLine(line));
      if (s.success) out.push({ handoff_id: s.data.handoff_id, verdict: s.data.verdict ?? null, release: s.data.release ?? null, decided_at: s.data.decided_at ?? null });
    }
    return out.slice(0, count);
  }

  async state(): Promise<StateFrame> {
    await this.paths();
    const r = await this.run('status', [], SHORT_MS);
    if (r.code !== 0) throw new Error(agentMessage(r));
    const s = State.safeParse(jsonLine(r.stdout));
    if (!s.success) throw new Error(`${AGENT_PROGRAM} status printed something that is not a STATE frame`);
    return s.data;
  }

  async socketState(): Promise<SocketState> {
    const r = await this.run('status', [], SHORT_MS).catch(() => null);
    if (!r) return 'unknown';
    if (r.code === 0) return 'listening';
    // The agent names the operating system's answer: a refused connection on a socket file, or no file.
    const m = agentMessage(r);
    if (r.code === AGENT_EXIT.unavailable && /Connection refused/.test(m)) return 'stale';
    if (r.code === AGENT_EXIT.unavailable && /No such file or directory/.test(m)) return 'missing';
    return 'unknown';
  }

  async prepare(id: string, budgetMs: number): Promise<PrepareResult | null> {
    if (!this.agent.prepare) return null;
    const r = await this.run('prepare', [id], budgetMs + 10_000);
    if (r.code === 0) return { ok: true };
    const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim() || null;
    const what = r.code === AGENT_EXIT.timeout ? 'ran past prepare.timeout_seconds and was killed' : r.code === AGENT_EXIT.no ? 'failed' : `was not run (${agentMessage(r)})`;
    return { ok: false, reason: `the host's prepare command (${AGENT_PROGRAM} prepare) ${what}; its output is in the job summary and the run log`, output };
  }

  async launch(id: string, env: GreenEnv): Promise<number> {
    // The agent sets HERMES_* itself from the reservation and its config; only green-env travels, as JSON on stdin.
    const r = await this.run('launch', [id], 60_000, JSON.stringify(env.user));
    const pid = Number.parseInt(r.stdout.trim().split('\n').pop() ?? '', 10);
    if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`could not start green through ${AGENT_PROGRAM} (exit ${r.code ?? r.signal}): ${agentMessage(r)}`);
    return pid;
  }

  async pidRuns(pid: number): Promise<boolean | null> {
    const r = await this.run('pid-runs', [pid], 10_000).catch(() => null);
    return r?.code === AGENT_EXIT.ok ? true : r?.code === AGENT_EXIT.no ? false : null;
  }

  async stopGreen(id: string): Promise<string> {
    const r = await this.run('stop-green', [id], 120_000);
    if (r.code === AGENT_EXIT.ok) {
      const s = StopReport.safeParse(jsonLine(r.stdout));
      if (!s.success) return `${AGENT_PROGRAM} stop-green ${id}: done`;
      return s.data.stopped ? `stopped green ${s.data.unit ? `unit ${s.data.unit}` : `(pid ${s.data.pid})`}${s.data.signal ? ` with ${s.data.signal}` : ''}` : (s.data.detail ?? 'green had already exited');
    }
    if (r.code === AGENT_EXIT.refused || r.code === AGENT_EXIT.notFound) return agentMessage(r);
    throw new Error(`could not stop green through ${AGENT_PROGRAM}: ${agentMessage(r)}`);
  }

  async tail(id: string, lines: number): Promise<string | null> {
    const r = await this.run('tail', [id, lines], 10_000).catch(() => null);
    return r && r.code === 0 ? r.stdout : null;
  }

  async hostChecks(): Promise<HostChecks> {
    await this.paths();
    const r = await this.run('preflight', [], 30_000);
    const report = PreflightReport.safeParse(jsonLine(r.stdout));
    if ((r.code !== AGENT_EXIT.ok && r.code !== AGENT_EXIT.no) || !report.success) {
      return { before: [{ name: 'host agent preflight', ok: false, detail: agentMessage(r) }], after: [], socketChecked: true };
    }
    const checks: Check[] = report.data.checks;
    return { before: checks, after: [], socketChecked: true };
  }
}
