import { z } from 'zod';
import { budgetMs, drainFor, promotionBudget } from '../core/budget.ts';
import { Mode } from '../core/mode.ts';
import { ACTION_WORDS, type Words } from '../core/reasons.ts';
import { DEFAULT_DEADLINES, DEFAULT_THRESHOLDS } from '../protocol/deadlines.ts';
import { Launcher } from '../core/params.ts';
import { HandoffId } from '../protocol/ids.ts';
import {
  bool,
  command,
  field,
  hostPath,
  integer,
  issueNumber,
  line,
  matching,
  number,
  oneOf,
  rate,
  seconds,
  secretLine,
  valid,
  worded,
  type WordedIssue,
  type Wording,
} from './fields.ts';
import { greenEnv } from './green-env.ts';
import { InputError } from './input-error.ts';
import { INPUT_NAMES, PROTOCOL_INPUTS, SECRET_INPUTS, type InputName, type ProtocolInput } from './inputs.ts';
import { keyProblem, privateKey } from './private-key.ts';
import { SettingsShape, Transport, type Settings } from './settings.ts';
import { fingerprints, hostName, jumpAddress, knownHosts, knownHostsPortHint, userName } from './ssh-fields.ts';

export { InputError } from './input-error.ts';
export type { InputProblem } from './input-error.ts';
export type { Settings } from './settings.ts';

const seconds0 = seconds({ allowZero: true });
const seconds1 = seconds({ allowZero: false });

/** Every input, read field by field from its raw string; the keys are exactly INPUT_NAMES. */
const Inputs = z.object({
  mode: field('mode', oneOf(Mode.options)),
  transport: field('transport', oneOf(Transport.options)),
  host: field('host', hostName),
  port: field('port', integer(1, 65535)),
  username: field('username', userName),
  'private-key': field('private-key', privateKey),
  passphrase: field('passphrase', secretLine),
  'known-hosts': field('known-hosts', knownHosts('host-fingerprint')),
  'host-fingerprint': field('host-fingerprint', fingerprints('known-hosts')),
  'insecure-skip-host-key-check': field('insecure-skip-host-key-check', bool),
  'jump-host': field('jump-host', jumpAddress),
  'jump-private-key': field('jump-private-key', privateKey),
  'jump-passphrase': field('jump-passphrase', secretLine),
  'jump-known-hosts': field('jump-known-hosts', knownHosts('jump-host-fingerprint')),
  'jump-host-fingerprint': field('jump-host-fingerprint', fingerprints('jump-known-hosts')),
  'connect-timeout-seconds': field('connect-timeout-seconds', seconds1),
  'hermes-home': field('hermes-home', hostPath({ optional: false })),
  'socket-path': field('socket-path', hostPath({ optional: true })),
  'green-command': field('green-command', command),
  workdir: field('workdir', hostPath({ optional: true })),
  runtime: field('runtime', matching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '1-64 characters A-Z a-z 0-9 . _ - starting with a letter or digit')),
  release: field('release', (s) =>
    s === '' ? null : matching(/^[A-Za-z0-9][A-Za-z0-9._/+@-]{0,199}$/, 'a commit SHA or a tag: 1-200 characters A-Z a-z 0-9 . _ / + @ - starting with a letter or digit')(s),
  ),
  'green-env': field('green-env', greenEnv),
  'prepare-command': field('prepare-command', command),
  launcher: field('launcher', oneOf(Launcher.options)),
  'systemd-unit': field('systemd-unit', matching(/^[A-Za-z0-9:_.-]+@$/, 'a unit name prefix ending in "@", like hermes-green@')),
  'bake-seconds': field('bake-seconds', seconds0),
  'observe-seconds': field('observe-seconds', seconds0),
  'max-error-rate': field('max-error-rate', rate),
  'max-latency-factor': field('max-latency-factor', number(1, 1000)),
  'latency-floor-ms': field('latency-floor-ms', number(0, 3_600_000, ' of milliseconds')),
  'expected-latency-ms': field('expected-latency-ms', integer(1, 3_600_000)),
  'min-messages': field('min-messages', integer(0, 1_000_000)),
  'max-heartbeat-age-seconds': field('max-heartbeat-age-seconds', seconds1),
  'consecutive-breaches': field('consecutive-breaches', integer(1, 100)),
  'ack-timeout-seconds': field('ack-timeout-seconds', seconds1),
  'claim-timeout-seconds': field('claim-timeout-seconds', seconds1),
  'rollback-grace-seconds': field('rollback-grace-seconds', seconds1),
  'timeout-seconds': field('timeout-seconds', seconds1),
  'handoff-id': field('handoff-id', (s) => (s === '' ? null : valid(HandoffId, 'a handoff id')(s))),
  'target-name': field('target-name', matching(/^[A-Za-z0-9._ -]{1,64}$/, '1-64 characters A-Z a-z 0-9 . _ - or space')),
  'status-context': field('status-context', line(255, { optional: true })),
  'fail-on-rollback': field('fail-on-rollback', bool),
  'github-token': field('github-token', secretLine),
  issue: field('issue', issueNumber),
  'max-issues': field('max-issues', integer(1, 100)),
  'close-issue-on-success': field('close-issue-on-success', bool),
  'failure-label': field('failure-label', line(50, { optional: false })),
  'host-output-in-comments': field('host-output-in-comments', bool),
} satisfies Record<InputName, z.ZodType>);

type Inputs = z.output<typeof Inputs>;

/** The value of a field the rules have proved present. */
function must<T>(v: T | null | undefined, input: InputName): T {
  if (v === null || v === undefined) throw new Error(`internal: input "${input}" should have been checked as required`);
  return v;
}

/** The rules between inputs. Runs even when some fields are bad, and skips a rule whose inputs are bad, so one run reports every problem. */
function crossCheck(v: Inputs, ctx: z.RefinementCtx<Inputs>): void {
  const bad = new Set(ctx.issues.map((i) => i.path?.[0]));
  const ok = (...names: InputName[]) => names.every((n) => !bad.has(n));
  const add = (input: InputName, wording: Wording) => {
    const params: WordedIssue = { wording, suffix: '' };
    ctx.addIssue({ code: 'custom', path: [input], message: worded(wording, ACTION_WORDS), params });
  };

  if (ok('mode') && v.mode === 'promote') {
    if (ok('green-command') && v['green-command'] === null) {
      add('green-command', 'required to promote: the shell command that starts green on the host, like "uv run hermes gateway"');
    }
    if (ok('release') && v.release === null) add('release', 'required to promote: set it, or run where GITHUB_SHA is set');
    if (ok('timeout-seconds', 'bake-seconds', ...(Object.keys(PROTOCOL_INPUTS) as InputName[]))) checkBudget(v, add);
  }
  if (!ok('transport')) return;

  const jumpInputs = ['jump-private-key', 'jump-passphrase', 'jump-known-hosts', 'jump-host-fingerprint'] as const;
  if (v.transport === 'local') {
    for (const n of ['host', 'jump-host'] as const) {
      if (ok(n) && v[n] !== null) add(n, (w) => `not used with ${w.set('transport', 'local')} (the gateway runs on this machine); remove it, or set ${w.set('transport', 'ssh')}`);
    }
    return;
  }

  for (const n of ['host', 'username', 'private-key'] as const) {
    if (ok(n) && v[n] === null) add(n, (w) => `required with ${w.set('transport', 'ssh')} (the default)`);
  }
  const insecure = v['insecure-skip-host-key-check'];
  if (ok('known-hosts', 'host-fingerprint', 'insecure-skip-host-key-check', 'host', 'port')) {
    const pinned = v['known-hosts'].length + v['host-fingerprint'].length > 0;
    const keyscan = `ssh-keyscan -p ${v.port} -t ed25519 ${v.host ?? 'HOST'}`;
    if (!pinned && !insecure) {
      add(
        'host-fingerprint',
        (w) =>
          `a host key pin is required with ${w.set('transport', 'ssh')} (the default): set ${w.input('host-fingerprint')} or ${w.input('known-hosts')}. Get the fingerprint with: ${keyscan} | ssh-keygen -lf - (or the known_hosts line with: ${keyscan}). ${w.set('insecure-skip-host-key-check', 'true')} skips the check (not recommended)`,
      );
    }
    if (pinned && insecure) add('insecure-skip-host-key-check', (w) => `expected false when ${w.input('host-fingerprint')} or ${w.input('known-hosts')} pins the host key; remove one or the other`);
    const hint = v.host === null || v['host-fingerprint'].length > 0 ? null : knownHostsPortHint(v['known-hosts'], v.host, v.port);
    if (hint !== null) add('known-hosts', `no line can match the host: ${hint}`);
  }
  if (ok('private-key', 'passphrase') && v['private-key'] !== null) {
    const p = keyProblem(v['private-key'], v.passphrase ?? undefined);
    if (p) add(p.input === 'key' ? 'private-key' : 'passphrase', p.message);
  }

  if (!ok('jump-host')) return;
  const jump = v['jump-host'];
  if (jump === null) {
    for (const n of jumpInputs) {
      const set = n === 'jump-known-hosts' || n === 'jump-host-fingerprint' ? v[n].length > 0 : v[n] !== null;
      if (ok(n) && set) add(n, (w) => `used only with ${w.input('jump-host')}; set ${w.input('jump-host')} or remove it`);
    }
    return;
  }
  if (ok('jump-known-hosts', 'jump-host-fingerprint', 'insecure-skip-host-key-check')) {
    const pinned = v['jump-known-hosts'].length + v['jump-host-fingerprint'].length > 0;
    if (!pinned && !insecure) {
      add(
        'jump-host-fingerprint',
        (w) =>
          `a host key pin for the jump host is required: set ${w.input('jump-host-fingerprint')} or ${w.input('jump-known-hosts')}. Get the fingerprint with: ssh-keyscan -p ${jump.port} -t ed25519 ${jump.host} | ssh-keygen -lf -`,
      );
    }
    const hint = v['jump-host-fingerprint'].length > 0 ? null : knownHostsPortHint(v['jump-known-hosts'], jump.host, jump.port);
    if (hint !== null) add('jump-known-hosts', `no line can match the jump host: ${hint}`);
  }
  if (ok('jump-private-key', 'jump-passphrase')) {
    const key = v['jump-private-key'];
    if (key === null && v['jump-passphrase'] !== null) {
      add('jump-passphrase', (w) => `used only with ${w.input('jump-private-key')} (without it, the jump host gets ${w.input('private-key')} and ${w.input('passphrase')})`);
    }
    if (key !== null) {
      const p = keyProblem(key, v['jump-passphrase'] ?? undefined);
      if (p) add(p.input === 'key' ? 'jump-private-key' : 'jump-passphrase', p.message);
    }
  }
  if (ok('username') && jump.username === null && v.username === null) add('jump-host', (w) => `expected user@host[:port]: no ${w.input('username')} is set`);
}

/** Seconds as an input writes them: `900`, `1.5`. */
const secs = (ms: number) => String(Math.round(ms) / 1000);

/**
 * A promotion must fit in timeout-seconds: the bake and every deadline around it (the protocol's
 * defaults where no input sets one) plus the engine's own waits. When it does not, says what to set.
 */
function checkBudget(v: Inputs, add: (input: InputName, wording: Wording) => void): void {
  const set = protocolValues(v, 'deadlines');
  const deadlines = { ...DEFAULT_DEADLINES, drain_ms: drainFor(set.rollback_grace_ms), ...set };
  const thresholds = { ...DEFAULT_THRESHOLDS, ...protocolValues(v, 'thresholds') };
  const parts = promotionBudget(v['bake-seconds'], deadlines, thresholds);
  const total = budgetMs(parts);
  const timeout = v['timeout-seconds'];
  if (timeout >= total) return;
  const need = String(Math.ceil(total / 1000));
  const maxBake = Math.floor((timeout - (total - v['bake-seconds'])) / 1000);
  add('timeout-seconds', (w) => {
    const list = parts.map((p) => `${p.what} ${secs(p.ms)} s${p.input === null ? '' : ` (${w.input(p.input)})`}`).join(', ');
    const job = w.kind === 'action' ? " (and the job's timeout-minutes above it)" : '';
    const orBake = maxBake >= 0 ? `, or lower ${w.set('bake-seconds', String(maxBake))} or less` : '';
    return `expected at least ${need} s for a bake of ${secs(v['bake-seconds'])} s: once green has connected, a promotion may take up to ${secs(total)} s (${list}), plus ${w.input('prepare-command')} and green's launch. Set ${w.set('timeout-seconds', need)} or more${job}${orBake}`;
  });
}

/** The thresholds or deadlines the inputs set, by the protocol's key (the parsers already gave milliseconds). */
function protocolValues(v: Inputs, group: ProtocolInput['group']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [input, p] of Object.entries(PROTOCOL_INPUTS)) if (p.group === group) out[p.key] = v[input as keyof typeof PROTOCOL_INPUTS];
  return out;
}

/** The settings built from inputs that passed every check. */
function toSettings(v: Inputs): z.input<typeof SettingsShape> {
  const pins = (knownHosts: string[], fingerprints: string[]) => ({ knownHosts, fingerprints });
  const passphrase = (p: string | null) => (p === null ? {} : { passphrase: p });
  const jumpHost = v['jump-host'];
  const ssh =
    v.transport === 'local'
      ? null
      : {
          host: must(v.host, 'host'),
          port: v.port,
          username: must(v.username, 'username'),
          privateKey: must(v['private-key'], 'private-key'),
          ...passphrase(v.passphrase),
          pins: pins(v['known-hosts'], v['host-fingerprint']),
          insecureSkipHostKeyCheck: v['insecure-skip-host-key-check'],
          ...(jumpHost === null
            ? {}
            : {
                jump: {
                  host: jumpHost.host,
                  port: jumpHost.port,
                  username: jumpHost.username ?? must(v.username, 'username'),
                  privateKey: v['jump-private-key'] ?? must(v['private-key'], 'private-key'),
                  ...passphrase(v['jump-private-key'] === null ? v.passphrase : v['jump-passphrase']),
                  pins: pins(v['jump-known-hosts'], v['jump-host-fingerprint']),
                },
              }),
          readyTimeoutMs: v['connect-timeout-seconds'],
        };
  return {
    mode: v.mode,
    words: ACTION_WORDS,
    transport: v.transport,
    handoffId: v['handoff-id'],
    ssh,
    gateway: {
      hermesHome: must(v['hermes-home'], 'hermes-home'),
      socketPath: v['socket-path'],
      greenCommand: v['green-command'],
      workdir: v.workdir,
      runtime: v.runtime,
      release: v.release ?? '',
      greenEnv: v['green-env'],
      prepareCommand: v['prepare-command'],
      launcher: v.launcher,
      systemdUnit: v['systemd-unit'],
    },
    bake: {
      bakeMs: v['bake-seconds'],
      observeMs: v['observe-seconds'],
      timeoutMs: v['timeout-seconds'],
      thresholds: protocolValues(v, 'thresholds'),
      deadlines: protocolValues(v, 'deadlines'),
    },
    report: {
      targetName: v['target-name'],
      statusContext: v['status-context'] ?? `hermes-handoff/${v['target-name']}`,
      failOnRollback: v['fail-on-rollback'],
      githubToken: v['github-token'],
      issue: v.issue,
      closeIssueOnSuccess: v['close-issue-on-success'],
      failureLabel: must(v['failure-label'], 'failure-label'),
      maxIssues: v['max-issues'],
      hostOutputInComments: v['host-output-in-comments'],
    },
  };
}

/** The one schema: raw input strings (keyed by input name) in, typed Settings out. */
export const SettingsSchema = Inputs.superRefine(crossCheck, { when: () => true })
  .transform(toSettings)
  .pipe(SettingsShape);

/** The input names the schema reads, in order (the same list as INPUT_NAMES). */
export const SCHEMA_INPUTS = Object.keys(Inputs.shape) as InputName[];

/**
 * Reads and checks every input (`getInput(name)` gives its raw string, '' when unset) into Settings.
 * `release` defaults to env.GITHUB_SHA. Throws InputError listing every bad input at once, each named
 * in `words` (the action's or the CLI's); no message quotes a secret.
 */
export function readSettings(getInput: (name: string) => string, env: NodeJS.ProcessEnv, words: Words = ACTION_WORDS): Settings {
  const raw: Record<string, string> = {};
  for (const name of INPUT_NAMES) raw[name] = getInput(name) ?? '';
  if ((raw.release ?? '').trim() === '') raw.release = env.GITHUB_SHA ?? '';
  const r = SettingsSchema.safeParse(raw);
  if (r.success) return { ...r.data, words };
  const order = (input: string) => INPUT_NAMES.indexOf(input as InputName);
  const message = (i: z.core.$ZodIssue): string => {
    const p = i.code === 'custom' ? (i.params as Partial<WordedIssue> | undefined) : undefined;
    return p?.wording === undefined ? i.message : worded(p.wording, words) + (p.suffix ?? '');
  };
  const problems = r.error.issues
    .map((i) => ({ input: String(i.path[0] ?? '(inputs)'), message: message(i) }))
    .sort((a, b) => order(a.input) - order(b.input));
  const secrets = INPUT_NAMES.filter((n) => SECRET_INPUTS.has(n)).map((n) => raw[n] ?? '');
  throw new InputError(problems, secrets, words);
}
