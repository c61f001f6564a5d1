// The shell text plain.ts runs on a host without the agent. Every script is constant: values reach it only as
// positional parameters ("$1", "$2", ...), never pasted in, so nothing here needs quoting. A value that becomes
// a command or an operand that could start with `-` is passed after `--`.

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment file green reads: `KEY=VALUE` per variable, a value's further lines each as a
 * line starting with `+`. The launch script reads it line by line and exports each variable as one
 * word (`export "$k=$v"`), never evaluating it, so no value needs quoting. It travels on stdin into a
 * 0600 file on the host, never on a command line, and green's shell removes it before green starts.
 * A name must be an identifier; a value cannot hold NUL.
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
 * Starts green detached. $1 log file, $2 workdir ('' = stay), $3 green command (the user's own shell line),
 * $4 launcher (process|systemd), $5 unit name, $6 where a systemd green's env file is written (0600), then
 * `KEY=VALUE` words the systemd unit keeps in its own environment (the engine's non-secret HERMES_* variables, so
 * a restart knows its handoff). Stdin is the env file (green-env and HERMES_*). Prints the pid.
 *
 * The env file never outlives green's start: green's shell reads it and removes it before it runs green's command
 * (both launchers); the systemd branch waits up to 10 s for that and removes it itself after, so a unit that never
 * started leaves nothing behind. A restart of the unit (Restart=on-failure) therefore gets the HERMES_* variables
 * from the unit's environment, not green-env: a credential that must survive restarts belongs in the gateway's own
 * configuration on the host (or in the agent's set-up, docs/host-setup.md).
 */
export const LAUNCH_SCRIPT = `set -eu
log=$1; wd=$2; cmd=$3; launcher=$4; unit=$5; keep=$6
shift 6
umask 077
mkdir -p "$(dirname "$log")"
if [ -n "$wd" ]; then cd "$wd"; fi
load='${LOAD_ENV}'
if [ "$launcher" = systemd ]; then
  mkdir -p "$(dirname "$keep")"
  cat > "$keep"
  n=$#; i=0
  while [ "$i" -lt "$n" ]; do set -- "$@" "--setenv=$1"; shift; i=$((i+1)); done
  if ! systemd-run --user --quiet --collect --unit="$unit" -p Restart=on-failure -p RestartSec=1 -p KillMode=mixed \\
    -p "StandardOutput=append:$log" -p "StandardError=append:$log" --working-directory="$(pwd)" "$@" \\
    -- sh -c "$load"'; rm -f "$1"; exec sh -c -- "$2"' hermes-green "$keep" "$cmd"; then
    rm -f "$keep"
    exit 1
  fi
  i=0
  while [ -e "$keep" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  rm -f "$keep"
  systemctl --user show -p MainPID --value -- "$unit"
else
  envf=$(mktemp "\${TMPDIR:-/tmp}/hermes-green-env.XXXXXX")
  cat > "$envf"
  setsid sh -c "$load"'; rm -f "$1"; exec sh -c -- "$2"' hermes-green "$envf" "$cmd" </dev/null >>"$log" 2>&1 &
  echo $!
fi
`;

/**
 * Exits 0 while pid $1 runs. An exited but unreaped process (a zombie: green is orphaned by its
 * launcher, and some container inits reap slowly) still passes `kill -0`, so ps is asked too.
 */
export const PID_RUNS = 'kill -0 "$1" 2>/dev/null || exit 1; case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) exit 1;; esac; exit 0';

/**
 * Stops green. $1 launcher, $2 the pid the launcher printed (process: the leader of green's own process group),
 * $3 unit, $4 handoff id, $5 seconds between SIGTERM and SIGKILL, $6 the systemd env file, $7 gateway.pid.
 * Process launcher: signals only the members of that group that carry HERMES_HANDOFF_ID=<id> (where /proc
 * shows it), never the one gateway.pid names (it serves: exit 3); SIGTERM, then SIGKILL. Prints one line.
 */
export const STOP_GREEN = `launcher=$1; pg=$2; unit=$3; id=$4; grace=$5; envf=$6; gw=$7
if [ "$launcher" = systemd ]; then
  rm -f "$envf"
  systemctl --user stop -- "$unit" || exit 1
  echo "stopped unit $unit"
  exit 0
fi
members() {
  ps -eo pid=,pgid=,stat= 2>/dev/null | while read -r p g s; do
    [ "$g" = "$pg" ] || continue
    case $s in Z*) continue ;; esac
    if [ -r "/proc/$p/environ" ]; then
      tr '\\0' '\\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF "HERMES_HANDOFF_ID=$id" || continue
    fi
    echo "$p"
  done
}
m=$(members)
if [ -z "$m" ]; then echo "green (process group $pg) had already exited"; exit 0; fi
serving=$(cat "$gw" 2>/dev/null || true)
for p in $m; do
  if [ "$p" = "$serving" ]; then echo "green (pid $p) serves now (gateway.pid): not stopped" >&2; exit 3; fi
done
kill -s TERM -- "-$pg" 2>/dev/null || true
i=0
while [ -n "$(members)" ] && [ "$i" -lt $((grace * 10)) ]; do sleep 0.1; i=$((i+1)); done
sig=SIGTERM
if [ -n "$(members)" ]; then
  sig=SIGKILL
  kill -s KILL -- "-$pg" 2>/dev/null || true
  i=0
  while [ -n "$(members)" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done
fi
if [ -n "$(members)" ]; then echo "green (process group $pg) survived SIGKILL" >&2; exit 1; fi
echo "stopped green (process group $pg) with $sig"
`;

/** Runs prepare-command: $1 workdir ('' = stay), $2 the user's command line. */
export const PREPARE = 'if [ -n "$1" ]; then cd "$1" || exit 125; fi; exec sh -c -- "$2"';

/** Prints where the first word of green's command resolves: $1 workdir ('' = stay), $2 the word. */
export const RESOLVE_COMMAND = 'if [ -n "$1" ]; then cd "$1" || exit 3; fi; command -v -- "$2"';

/** Prints the login's $HOME. */
export const PRINT_HOME = 'printf %s "$HOME"';

/** Lists the files of directory $1, newest first (nothing when it does not exist). */
export const LIST_NEWEST = 'cd "$1" 2>/dev/null || exit 0; ls -1t';

/** Exit 0 when $1 is a socket, 2 when something else is there, 1 when nothing is. */
export const SOCKET_STATE = 'if [ -S "$1" ]; then exit 0; elif [ -e "$1" ] || [ -L "$1" ]; then exit 2; else exit 1; fi';

/** The systemd unit name of green for a handoff: `<template><id>.service`, e.g. hermes-green@<id>.service. */
export function unitName(template: string, handoffId: string): string {
  const base = template.endsWith('.service') ? template.slice(0, -'.service'.length) : template;
  return base.endsWith('@') ? `${base}${handoffId}.service` : `${base}-${handoffId}.service`;
}
