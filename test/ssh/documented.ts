// The host set-up of docs/host-setup.md, read out of the document itself, and a world (real sshd, fake platform,
// reference gateway as blue) set up with it: the sshd_config block and the authorized_keys lines verbatim except
// for the user, the paths and the key material, which this machine decides.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { userInfo } from 'node:os';
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import { shellJoin } from '../../src/host/quote.ts';
import type { SshOptionsInput } from '../../src/host/ssh/options.ts';
import type { Sshd } from '../support/sshd.ts';
import { sshWorld, type SshWorld } from '../support/ssh-world.ts';
import { optionsFor } from './fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The agent script in this checkout. */
export const AGENT_PATH = join(ROOT, 'host-agent', 'hermes-handoff-agent');

/** The three set-up blocks of docs/host-setup.md, as written there. */
export interface DocumentedSetup {
  sshdConfig: string;
  authorizedKeys: string;
  agentConfig: string;
}

/** Reads the fenced block after each `<!-- hermes-handoff:NAME -->` marker of docs/host-setup.md. */
export function readDocumentedSetup(): DocumentedSetup {
  const text = readFileSync(join(ROOT, 'docs', 'host-setup.md'), 'utf8');
  const block = (name: string): string => {
    const m = new RegExp(`<!-- hermes-handoff:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
    if (!m) throw new Error(`docs/host-setup.md has no fenced block after <!-- hermes-handoff:${name} -->`);
    return m[1]!;
  };
  return { sshdConfig: block('sshd-config'), authorizedKeys: block('authorized-keys'), agentConfig: block('agent-config') };
}

/** Replaces every `from` in `text` (which must occur) with `to`. */
function substitute(text: string, pairs: Array<[string, string]>, what: string): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`the documented ${what} no longer contains ${JSON.stringify(from)}; update test/ssh/documented.ts`);
    out = out.split(from).join(to);
  }
  return out;
}

/** Where this machine's set-up differs from the document's example: user, HERMES_HOME, agent, config, keys. */
export interface Layout {
  user: string;
  home: string;
  agentPath: string;
  configPath: string;
  fullKey: string;
  readOnlyKey: string;
}

/** The documented sshd_config block for this layout (only `hermes` and `/home/hermes/.hermes` replaced). */
export function sshdConfigFor(doc: DocumentedSetup, l: Pick<Layout, 'user' | 'home'>): string {
  return substitute(doc.sshdConfig, [['Match User hermes', `Match User ${l.user}`], ['/home/hermes/.hermes', l.home]], 'sshd_config block');
}

/** The documented authorized_keys lines for this layout (paths and key material replaced). */
export function authorizedKeysFor(doc: DocumentedSetup, l: Layout): string {
  return (
    substitute(
      doc.authorizedKeys,
      [
        ['/usr/local/bin/hermes-handoff-agent', l.agentPath],
        ['/etc/hermes-handoff/agent.json', l.configPath],
        ['/home/hermes/.hermes', l.home],
        ['ssh-ed25519 AAAA... hermes-handoff deploy', l.fullKey],
        ['ssh-ed25519 AAAA... hermes-handoff preflight', l.readOnlyKey],
      ],
      'authorized_keys lines',
    ) + '\n'
  );
}

export interface AgentWorld {
  w: SshWorld;
  /** The agent's config file (written by agentWorld, 0644). */
  configPath: string;
  /** SSH options with the full deploy key. */
  full(extra?: Partial<SshOptionsInput>): SshOptionsInput;
  /** SSH options with the read-only key. */
  readOnly(extra?: Partial<SshOptionsInput>): SshOptionsInput;
  /** The handoff socket. */
  socket: string;
}

export interface AgentWorldOptions {
  /** `documented` (default): the sshd block and key lines of the document; `restrict-only`: the full key without
   * port-forwarding (what the document says to do when sshd_config cannot be changed), no sshd block. */
  keys?: 'documented' | 'restrict-only';
  /** Seconds stop-green waits after SIGTERM (default 1). */
  stopGraceSeconds?: number;
}

/**
 * A world whose sshd and authorized_keys are the documented ones, with an agent config whose green is the reference
 * gateway (or, with TEST_GREEN_MODE=sleeper in green-env, a process group that ignores SIGTERM), and whose prepare
 * command records what it was given (release `bad` fails, `slow` sleeps past its 3 s timeout).
 */
export async function agentWorld(t: TestContext, opts: AgentWorldOptions = {}): Promise<AgentWorld | null> {
  const doc = readDocumentedSetup();
  let configPath = '';
  const w = await sshWorld(t, {
    sshd: ({ dir, home }) => {
      configPath = join(dir, 'agent.json');
      const layout = (k: { full: string; readOnly: string }): Layout => ({
        user: userInfo().username,
        home,
        agentPath: AGENT_PATH,
        configPath,
        fullKey: k.full,
        readOnlyKey: k.readOnly,
      });
      if (opts.keys === 'restrict-only') {
        return {
          authorizedKeys: (k) =>
            `command="${AGENT_PATH} --config ${configPath}",restrict ${k.full}\ncommand="${AGENT_PATH} --config ${configPath} --read-only",restrict ${k.readOnly}\n`,
        };
      }
      return { extraConfig: sshdConfigFor(doc, layout({ full: '', readOnly: '' })), authorizedKeys: (k) => authorizedKeysFor(doc, layout(k)) };
    },
  });
  if (!w) return null;
  const green = join(w.dir, 'green.sh');
  const gateway = shellJoin(w.gatewayArgv());
  writeFileSync(
    green,
    [
      '#!/bin/sh',
      '# a stand-in for the operator\'s start-gateway: the reference gateway, or (TEST_GREEN_MODE=sleeper) a group deaf to SIGTERM',
      'if [ "${TEST_GREEN_MODE:-}" = sleeper ]; then',
      '  trap "" TERM',
      '  sleep 300 & sleep 300 &',
      '  wait',
      '  exit 0',
      'fi',
      `exec ${gateway}`,
      '',
    ].join('\n'),
  );
  const prepare = join(w.dir, 'prepare.sh');
  writeFileSync(
    prepare,
    [
      '#!/bin/sh',
      'echo "preparing $HERMES_RELEASE for $HERMES_HANDOFF_ID"',
      'echo $$ > "$HERMES_HOME/prepare.pid"',
      'printf "%s %s %s %s\\n" "$HERMES_RELEASE" "$HERMES_RUNTIME" "$HERMES_HANDOFF_ID" "$(pwd)" > "$HERMES_HOME/prepared"',
      '[ "$HERMES_RELEASE" = slow ] && sleep 60',
      '[ "$HERMES_RELEASE" = bad ] && { echo "cannot build bad" >&2; exit 7; }',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(green, 0o755);
  chmodSync(prepare, 0o755);
  writeFileSync(
    configPath,
    JSON.stringify({
      hermes_home: w.home,
      green: { command: [green], workdir: w.dir, stop_grace_seconds: opts.stopGraceSeconds ?? 1 },
      prepare: { command: [prepare], timeout_seconds: 3 },
    }),
  );
  chmodSync(configPath, 0o644);
  const sshd = (): Sshd => w.sshd;
  return {
    w,
    configPath,
    socket: join(w.home, 'run', 'handoff.sock'),
    full: (extra = {}) => optionsFor(sshd(), extra),
    readOnly: (extra = {}) => optionsFor(sshd(), { privateKey: sshd().readOnlyKey, ...extra }),
  };
}

/** What a raw exec returned. */
export interface RawResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A bare ssh2 client to the world's sshd with `privateKey`, for requests the SSH host never makes (closed after the test). */
export async function rawClient(t: TestContext, s: Sshd, privateKey: string): Promise<Client> {
  const c = new ssh2.Client();
  await new Promise<void>((res, rej) => {
    c.once('ready', () => res());
    c.once('error', rej);
    c.connect({ host: '127.0.0.1', port: s.port, username: s.username, privateKey, hostVerifier: () => true, readyTimeout: 10_000 });
  });
  c.on('error', () => {});
  t.after(() => c.end());
  return c;
}

/** Sends `command` exactly as given (no quoting) and collects the result. */
export function rawExec(c: Client, command: string, stdin = ''): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | null = null;
      ch.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
      ch.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      ch.on('exit', (c2: number | null, s?: string) => {
        code = c2;
        signal = s ?? null;
      });
      ch.on('close', () => resolve({ code, signal, stdout, stderr }));
      ch.end(stdin);
    });
  });
}

/** A frame on the handoff socket (tests read fields by name). */
export type Frame = Record<string, unknown> & { type: string };

/** Minimal NDJSON frames over a socket, independent of the peer code under test elsewhere. */
export class Frames {
  private buf = '';
  private readonly queue: Frame[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  constructor(private readonly sock: Duplex) {
    sock.on('data', (c: Buffer) => {
      this.buf += c.toString('utf8');
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.queue.push(JSON.parse(line) as Frame);
      }
      this.waiter?.();
    });
    sock.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    sock.on('error', () => {});
  }

  /** Sends a frame (v: 1 added). */
  send(frame: Record<string, unknown>): void {
    this.sock.write(`${JSON.stringify({ v: 1, ...frame })}\n`);
  }

  /** The next frame of type `type` (others are skipped); an ERROR frame or the end rejects. */
  async next(type: string, ms = 10_000): Promise<Frame> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.queue.shift();
      if (f) {
        if (f.type === type) return f;
        if (f.type === 'ERROR') throw new Error(`ERROR ${String(f.code)}: ${String(f.message)}`);
        continue;
      }
      if (this.ended) throw new Error(`the socket closed before ${type}`);
      if (Date.now() > end) throw new Error(`no ${type} within ${ms} ms`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, Math.max(1, end - Date.now()));
      });
      this.waiter = null;
    }
  }

  /** HELLO as an observer; resolves with WELCOME. */
  hello(token: string): Promise<Frame> {
    this.send({ type: 'HELLO', role: 'observer', token, pid: process.pid, client: 'hermes-handoff-test' });
    return this.next('WELCOME');
  }

  /** Ends the connection. */
  close(): void {
    this.sock.destroy();
  }
}
