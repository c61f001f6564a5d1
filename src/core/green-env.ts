/** The environment variables the action itself gives green (green-env may not set them): one name each. */
export const GREEN_ENV = {
  /** HERMES_HOME on the host, `~` expanded. */
  home: 'HERMES_HOME',
  /** The runtime input. */
  runtime: 'HERMES_RUNTIME',
  /** The release being promoted. */
  release: 'HERMES_RELEASE',
  /** The handoff socket on the host (always set, so a custom socket-path reaches green). */
  socket: 'HERMES_HANDOFF_SOCKET',
  /** The handoff green is started for: it connects as green for this id. */
  handoffId: 'HERMES_HANDOFF_ID',
} as const;
