import { GREEN_ENV } from '../core/green-env.ts';
import { DEFAULT_DEADLINES, DEFAULT_THRESHOLDS, type Deadlines, type Thresholds } from '../protocol/deadlines.ts';
import { SshOptions } from '../host/ssh/options.ts';

/** Every input the settings schema reads, in action.yml's order. action.yml declares exactly these (a test holds it). */
export const INPUT_NAMES = [
  'mode',
  'transport',
  // connection
  'host',
  'port',
  'username',
  'private-key',
  'passphrase',
  'known-hosts',
  'host-fingerprint',
  'insecure-skip-host-key-check',
  'jump-host',
  'jump-private-key',
  'jump-passphrase',
  'jump-known-hosts',
  'jump-host-fingerprint',
  'connect-timeout-seconds',
  // gateway
  'hermes-home',
  'socket-path',
  'green-command',
  'workdir',
  'runtime',
  'release',
  'green-env',
  'prepare-command',
  'launcher',
  'systemd-unit',
  // bake and deadlines
  'bake-seconds',
  'observe-seconds',
  'max-error-rate',
  'max-latency-factor',
  'latency-floor-ms',
  'expected-latency-ms',
  'min-messages',
  'max-heartbeat-age-seconds',
  'consecutive-breaches',
  'ack-timeout-seconds',
  'claim-timeout-seconds',
  'rollback-grace-seconds',
  'timeout-seconds',
  'handoff-id',
  // reporting
  'target-name',
  'status-context',
  'fail-on-rollback',
  'github-token',
  'issue',
  'max-issues',
  'close-issue-on-success',
  'failure-label',
  'host-output-in-comments',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];

/** Inputs whose values are secrets: an error never echoes them and they are masked before anything is logged. */
export const SECRET_INPUTS: ReadonlySet<InputName> = new Set<InputName>([
  'private-key',
  'passphrase',
  'jump-private-key',
  'jump-passphrase',
  'green-env',
  'github-token',
]);

/** An input that sets one of the protocol's thresholds or deadlines: where its value goes, and in what unit the input is written. */
export interface ProtocolInput {
  group: 'thresholds' | 'deadlines';
  key: keyof Thresholds | keyof Deadlines;
  /** `seconds`: the input is in seconds, the protocol in milliseconds; `same`: the same number. */
  unit: 'seconds' | 'same';
}

/**
 * The inputs whose values are the protocol's: their defaults are the protocol's defaults
 * (src/protocol/deadlines.ts), written in the input's unit. A threshold or deadline without an
 * input still reaches the host with the protocol's default.
 */
export const PROTOCOL_INPUTS = {
  'max-error-rate': { group: 'thresholds', key: 'max_error_rate', unit: 'same' },
  'max-latency-factor': { group: 'thresholds', key: 'max_latency_factor', unit: 'same' },
  'latency-floor-ms': { group: 'thresholds', key: 'latency_floor_ms', unit: 'same' },
  'expected-latency-ms': { group: 'thresholds', key: 'expected_latency_ms', unit: 'same' },
  'min-messages': { group: 'thresholds', key: 'min_messages', unit: 'same' },
  'max-heartbeat-age-seconds': { group: 'thresholds', key: 'max_heartbeat_age_ms', unit: 'seconds' },
  'consecutive-breaches': { group: 'thresholds', key: 'consecutive', unit: 'same' },
  'ack-timeout-seconds': { group: 'deadlines', key: 'ack_ms', unit: 'seconds' },
  'claim-timeout-seconds': { group: 'deadlines', key: 'claim_ms', unit: 'seconds' },
  'rollback-grace-seconds': { group: 'deadlines', key: 'rollback_grace_ms', unit: 'seconds' },
} as const satisfies Partial<Record<InputName, ProtocolInput>>;

/** The protocol's default of a ProtocolInput, as the input writes it. */
function protocolDefault(p: ProtocolInput): string {
  const all: Record<string, number> = p.group === 'thresholds' ? DEFAULT_THRESHOLDS : DEFAULT_DEADLINES;
  const value = all[p.key];
  if (value === undefined) throw new Error(`internal: the protocol has no default ${p.group}.${p.key}`);
  return String(p.unit === 'seconds' ? value / 1000 : value);
}

// The SSH host's own defaults (port, host key check, connect timeout): any valid options show them.
const SSH_DEFAULTS = SshOptions.parse({ host: 'h', username: 'u', privateKey: 'k' });

/**
 * The default of each input that has one, exactly as action.yml writes it (a test holds the two
 * equal). An empty input takes this default, so the CLI (which has no action.yml) behaves as the
 * action. Values the protocol or the SSH host define come from there; the rest are the action's own.
 * Inputs with a computed default (release, socket-path, status-context, jump-*, github-token) are absent.
 */
export const INPUT_DEFAULTS: Readonly<Partial<Record<InputName, string>>> = {
  mode: 'promote',
  transport: 'ssh',
  port: String(SSH_DEFAULTS.port),
  'insecure-skip-host-key-check': String(SSH_DEFAULTS.insecureSkipHostKeyCheck),
  'connect-timeout-seconds': String(SSH_DEFAULTS.readyTimeoutMs / 1000),
  'hermes-home': '~/.hermes',
  runtime: 'claw',
  launcher: 'process',
  'systemd-unit': 'hermes-green@',
  'bake-seconds': '300',
  'observe-seconds': '86400',
  ...Object.fromEntries(Object.entries(PROTOCOL_INPUTS).map(([name, p]) => [name, protocolDefault(p)])),
  'timeout-seconds': '900',
  'target-name': 'production',
  'fail-on-rollback': 'true',
  'close-issue-on-success': 'true',
  'failure-label': 'handoff-failed',
  'max-issues': '10',
  'host-output-in-comments': 'false',
};

/** Environment variables the action sets for green itself; green-env may not set them. */
export const RESERVED_GREEN_ENV: ReadonlySet<string> = new Set(Object.values(GREEN_ENV));
