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
  'max-error-rate',
  'max-latency-factor',
  'latency-floor-ms',
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
  'close-issue-on-success',
  'failure-label',
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

/**
 * The literal default of each input that has one, exactly as action.yml writes it.
 * An empty input takes this default, so the CLI (which has no action.yml) behaves as the action.
 * Inputs with a computed default (release, socket-path, status-context, jump-*, github-token) are absent.
 */
export const INPUT_DEFAULTS: Readonly<Partial<Record<InputName, string>>> = {
  mode: 'promote',
  transport: 'ssh',
  port: '22',
  'insecure-skip-host-key-check': 'false',
  'connect-timeout-seconds': '20',
  'hermes-home': '~/.hermes',
  runtime: 'claw',
  launcher: 'process',
  'systemd-unit': 'hermes-green@',
  'bake-seconds': '300',
  'max-error-rate': '0.05',
  'max-latency-factor': '3',
  'latency-floor-ms': '250',
  'max-heartbeat-age-seconds': '5',
  'consecutive-breaches': '3',
  'ack-timeout-seconds': '120',
  'claim-timeout-seconds': '600',
  'rollback-grace-seconds': '10',
  'timeout-seconds': '900',
  'target-name': 'production',
  'fail-on-rollback': 'true',
  'close-issue-on-success': 'true',
  'failure-label': 'handoff-failed',
};

/** Environment variables the action sets for green itself; green-env may not set them. */
export const RESERVED_GREEN_ENV: ReadonlySet<string> = new Set([
  'HERMES_RUNTIME',
  'HERMES_RELEASE',
  'HERMES_HANDOFF_ID',
  'HERMES_HOME',
]);
