import type { Launcher } from '../core/params.ts';
import type { Host } from '../host/host.ts';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment file green reads: `KEY=VALUE` per variable, a value's further lines each as a
 * line starting with `+`. The launch script reads it line by line and exports each variable as one
 * word (`export "$k=$v"`), never evaluating it, so no value needs quoting. It travels on stdin into a
 * 0600 file on the host, never on a command line. A name must be an identifier; a value cannot hold NUL.
 */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!ENV_KEY.test(k)) throw new Error(`environment variable name ${JSON.stringify(k)} is not a valid identifier`);
      if (v.includes('\0')) throw new Error(`the value of environment variable ${k} contains a NUL byte`);
      return `${k}=${v.split('\n').join('\n+')}\n`;
    })
    .join('');
}

/** Shell text that exports the variables of the env file at "$1" (see envFileText). Constant: no value is pasted into it. */
const LOAD_ENV = `k=
while IFS= read -r l; do
  case $l in
    +*) v="$v
\${l#+}" ;;
    *) if [ -n "$k" ]; then export "$k=$v"; fi; k=\${l%%=*}; v=\${l#*=} ;;
  esac
done < "$1"
if [ -n "$k" ]; then export "$k=$v"; fi`;

/**
 * Starts green detached. $1 log file, $2 workdir ('' = stay), $3 green command (the user's
 * own shell line), $4 launcher (process|systemd), $5 unit name, $6 the env file a systemd unit
 * keeps (0600, for its restarts). Stdin is the env file. Prints the pid. Constant text: no value
 * is ever pasted into it (`$load` is this script's own text).
 */
export const LAUNCH_SCRIPT = `set -eu
log=$1; wd=$2; cmd=$3; launcher=$4; unit=$5; keep=$6
umask 077
mkdir -p "$(dirname "$log")"
if [ -n "$wd" ]; then cd "$wd"; fi
load='${LOAD_ENV}'
if [ "$launcher" = systemd ]; then
  mkdir -p "$(dirname "$keep")"
  cat > "$keep"
  systemd-run --user --quiet --collect --unit="$unit" -p Restart=on-failure -p RestartSec=1 -p KillMode=mixed \\
    -p "StandardOutput=append:$log" -p "StandardError=append:$log" --working-directory="$(pwd)" \\
    sh -c "$load"'; exec sh -c "$2"' hermes-green "$keep" "$cmd"
  systemctl --user show -p MainPID --value "$unit"
else
  envf=$(mktemp "\${TMPDIR:-/tmp}/hermes-green-env.XXXXXX")
  cat > "$envf"
  setsid sh -c "$load"'; rm -f "$1"; exec sh -c "$2"' hermes-green "$envf" "$cmd" </dev/null >>"$log" 2>&1 &
  echo $!
fi
`;

export interface LaunchSpec {
  logPath: string;
  /** Where a systemd green's env file lives for the unit's lifetime (restarts read it again). */
  envPath: string;
  workdir: string | null;
  greenCommand: string;
  launcher: Launcher;
  /** systemd unit name for this green (from the template and the handoff id). */
  unit: string;
  env: Record<string, string>;
}

/** The argv that starts green on the host; the env goes to stdin (see envFileText). */
export function launchArgv(spec: LaunchSpec): string[] {
  return ['sh', '-c', LAUNCH_SCRIPT, 'hermes-launch', spec.logPath, spec.workdir ?? '', spec.greenCommand, spec.launcher, spec.unit, spec.envPath];
}

/** The systemd unit name of green for a handoff: `<template><id>.service`, e.g. hermes-gateway@<id>.service. */
export function unitName(template: string, handoffId: string): string {
  const base = template.endsWith('.service') ? template.slice(0, -'.service'.length) : template;
  return base.endsWith('@') ? `${base}${handoffId}.service` : `${base}-${handoffId}.service`;
}

/** Starts green detached on the host; resolves with the launcher's pid (green reports its own in HANDOFF_ACK). */
export async function launchGreen(host: Host, spec: LaunchSpec): Promise<number> {
  const r = await host.exec(launchArgv(spec), { stdin: envFileText(spec.env), timeoutMs: 30_000 });
  const pid = Number.parseInt(r.stdout.trim().split('\n').pop() ?? '', 10);
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`could not start green (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500) || 'no output'}`);
  }
  return pid;
}
