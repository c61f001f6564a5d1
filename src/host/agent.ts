// The host agent (host-agent/hermes-handoff-agent) as the action sees it: how to find out whether a host runs it,
// what its hello says, and the argv of each operation. Which operation the engine uses for what is the engine's
// business; this module only names them.
import { z } from 'zod';
import type { ExecResult, Host } from './host.ts';

/** The agent's program name: the first word of every command sent to it (a forced command strips it). */
export const AGENT_PROGRAM = 'hermes-handoff-agent';

/** The version of the agent's command interface this action speaks (hello's `protocol`). */
export const AGENT_PROTOCOL = 1;

/** Every operation of the agent (docs/host-setup.md has the table). */
export const AGENT_OPS = ['hello', 'preflight', 'status', 'verdict', 'verdicts', 'token', 'socket', 'prepare', 'launch', 'pid-runs', 'stop-green', 'tail'] as const;
/** One operation of the agent. */
export type AgentOp = (typeof AGENT_OPS)[number];

/** The operations a read-only key may use. */
export const AGENT_READ_ONLY_OPS: readonly AgentOp[] = ['hello', 'preflight', 'status', 'verdict', 'verdicts'];

/** The agent's exit statuses (sysexits.h where one fits); anything else is the operation's own. */
export const AGENT_EXIT = {
  ok: 0,
  /** The operation answered no: pid-runs (not running), preflight (a check failed), prepare (its command failed). */
  no: 1,
  /** Nothing exists for that id (verdict, log, launched green). */
  notFound: 3,
  /** The command is not accepted (unknown operation, bad argument, shell syntax) or a policy refuses it. */
  refused: 64,
  /** Input or a file on the host is not what it must be. */
  badInput: 65,
  /** The handoff socket does not answer, or blue refused the agent. */
  unavailable: 69,
  internal: 70,
  /** A read-only key asked for a full-key operation. */
  readOnly: 77,
  /** The agent's config file is missing or invalid. */
  config: 78,
  /** The prepare command timed out and was killed. */
  timeout: 124,
} as const;

const HelloLine = z.object({
  agent: z.literal(AGENT_PROGRAM),
  version: z.string().max(64),
  protocol: z.number().int().positive(),
  mode: z.enum(['full', 'read-only']),
  forced: z.boolean(),
  config: z.string().max(4096),
  config_error: z.string().max(4096).nullable(),
  hermes_home: z.string().max(4096).nullable(),
  socket: z.string().max(4096).nullable(),
  launcher: z.enum(['process', 'systemd']).nullable(),
  prepare: z.boolean(),
  ops: z.array(z.string().max(64)).max(64),
});

/** What the agent on a host said in its hello: who it is and what this key may do there. */
export interface HostAgent {
  version: string;
  /** The agent's command-interface version (AGENT_PROTOCOL when compatible). */
  protocol: number;
  /** `read-only`: the key may use AGENT_READ_ONLY_OPS only (no token, no socket, no launch). */
  mode: 'full' | 'read-only';
  /** True when authorized_keys forces the agent (the key can run nothing else). */
  forced: boolean;
  /** The agent's config file on the host. */
  config: string;
  /** Why that config cannot be used (every operation but hello then fails), or null. */
  configError: string | null;
  /** HERMES_HOME and the handoff socket, from the host's config (null when the config is unusable). */
  hermesHome: string | null;
  socket: string | null;
  launcher: 'process' | 'systemd' | null;
  /** True when the host's config has a prepare command. */
  prepare: boolean;
  /** The operations this key may use. */
  ops: AgentOp[];
}

/** The argv that runs agent operation `op` with `args` (sent as words; the agent splits them without a shell). */
export function agentArgv(op: AgentOp, ...args: Array<string | number>): string[] {
  return [AGENT_PROGRAM, op, ...args.map(String)];
}

/** Parses hello's stdout; null when it is not the agent's hello (then the host does not run the agent). */
export function parseAgentHello(stdout: string): HostAgent | null {
  const line = stdout.split('\n', 1)[0] ?? '';
  if (line.length > 65_536) return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const r = HelloLine.safeParse(json);
  if (!r.success) return null;
  const h = r.data;
  return {
    version: h.version,
    protocol: h.protocol,
    mode: h.mode,
    forced: h.forced,
    config: h.config,
    configError: h.config_error,
    hermesHome: h.hermes_home,
    socket: h.socket,
    launcher: h.launcher,
    prepare: h.prepare,
    ops: h.ops.filter((o): o is AgentOp => (AGENT_OPS as readonly string[]).includes(o)),
  };
}

/** The agent's one-line message from a failed operation's stderr (its last line, without the program prefix), as data. */
export function agentMessage(r: Pick<ExecResult, 'stderr' | 'code' | 'signal'>): string {
  const last = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1) ?? '';
  const text = last.startsWith(`${AGENT_PROGRAM}: `) ? last.slice(AGENT_PROGRAM.length + 2) : last;
  const shown = escapeControls(text.slice(0, 500));
  return shown || `${AGENT_PROGRAM} exited ${r.code ?? r.signal} without a message`;
}

/** Host text as one line of data: control characters (newlines, escapes, C1, line separators) as \\uXXXX. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Where detection reports what it found. */
export interface AgentLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * Runs `hermes-handoff-agent hello` once on the host. A host whose authorized_keys forces the agent answers with its
 * hello whatever was sent; a host with the agent on PATH answers the same way (not forced); a plain host answers 127
 * (command not found): null. Anything else is logged and taken as "no agent".
 */
export async function detectAgent(host: Pick<Host, 'exec'>, log: AgentLog, timeoutMs = 15_000): Promise<HostAgent | null> {
  const r = await host.exec(agentArgv('hello'), { timeoutMs, stdin: '' });
  const agent = r.code === 0 ? parseAgentHello(r.stdout) : null;
  if (agent) {
    log.info(
      `the host runs ${AGENT_PROGRAM} ${agent.version} (${agent.mode} key${agent.forced ? ', forced by authorized_keys' : ', not forced'}; config ${agent.config})`,
    );
    if (agent.protocol !== AGENT_PROTOCOL) {
      log.warn(`${AGENT_PROGRAM} on the host speaks interface ${agent.protocol}; this action speaks ${AGENT_PROTOCOL}: install the agent from this action's release`);
    }
    if (agent.configError) log.warn(`${AGENT_PROGRAM} on the host cannot use its config: ${escapeControls(agent.configError)}`);
    return agent;
  }
  if (r.code !== 127) {
    log.warn(`${AGENT_PROGRAM} hello answered exit ${r.code ?? r.signal} (${agentMessage(r)}); taking the host as one without the agent`);
  }
  return null;
}
