import { z } from 'zod';

/** `SHA256:` + unpadded base64 of 32 bytes, as `ssh-keygen -lf` prints it (a trailing `=` is tolerated). */
export const Sha256Fingerprint = z
  .string()
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected a host key fingerprint like SHA256:abc... (43 base64 characters), as `ssh-keygen -lf` prints it');

/** The host keys a connection accepts. Several entries allow key rotation. */
export const HostPins = z.object({
  /** OpenSSH known_hosts lines (plain, `[host]:port`, hashed `|1|...`, `@revoked`). */
  knownHosts: z.array(z.string()).default([]),
  /** `SHA256:...` fingerprints. */
  fingerprints: z.array(Sha256Fingerprint).default([]),
});
export type HostPins = z.infer<typeof HostPins>;

const Port = z.number().int().min(1).max(65535);
const Secret = z.string().min(1, 'expected a non-empty private key (OpenSSH or PEM text)');

/** The jump (bastion) host: its own credentials and its own pins. */
export const JumpOptions = z.object({
  host: z.string().min(1),
  port: Port.default(22),
  username: z.string().min(1),
  privateKey: Secret,
  passphrase: z.string().optional(),
  pins: HostPins.default({ knownHosts: [], fingerprints: [] }),
  /** When absent, the target's `insecureSkipHostKeyCheck` applies. */
  insecureSkipHostKeyCheck: z.boolean().optional(),
});
export type JumpOptions = z.infer<typeof JumpOptions>;

/** Everything the SSH host needs; the config layer maps action inputs / CLI flags to this. */
export const SshOptions = z.object({
  host: z.string().min(1),
  port: Port.default(22),
  username: z.string().min(1),
  privateKey: Secret,
  passphrase: z.string().optional(),
  pins: HostPins.default({ knownHosts: [], fingerprints: [] }),
  /** Accept any host key (with a loud warning). Ignored, with a warning, when pins are given. */
  insecureSkipHostKeyCheck: z.boolean().default(false),
  jump: JumpOptions.optional(),
  /** `auto`: ask the host once, at connect time, whether it runs hermes-handoff-agent (SshHost.agent); `off`: do not. */
  agent: z.enum(['auto', 'off']).default('auto'),
  readyTimeoutMs: z.number().int().positive().default(20_000),
  keepaliveIntervalMs: z.number().int().nonnegative().default(10_000),
  keepaliveCountMax: z.number().int().positive().default(3),
  reconnect: z
    .object({
      attempts: z.number().int().nonnegative().default(6),
      baseDelayMs: z.number().int().nonnegative().default(500),
      maxDelayMs: z.number().int().nonnegative().default(8000),
    })
    .default({ attempts: 6, baseDelayMs: 500, maxDelayMs: 8000 }),
});
/** Parsed options (defaults filled in). */
export type SshOptions = z.infer<typeof SshOptions>;
/** Options as a caller writes them (defaults optional). */
export type SshOptionsInput = z.input<typeof SshOptions>;
