// The fallback when sshd forbids stream-local forwarding: a relay process on the host, run over an exec channel,
// that joins its stdin/stdout to the Unix socket. The path only ever travels as a quoted argv word.
import type { Client } from 'ssh2';
import { agentArgv } from '../agent.ts';
import { shellJoin } from '../quote.ts';
import { ChannelSocket } from './channel-socket.ts';

/** A small relay for hosts without socat: connects to argv[1], copies bytes both ways, and exits when the socket ends or 1 s after stdin ends. */
export const PYTHON_RELAY = `import os, socket, sys, threading, time
path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    sock.connect(path)
except OSError as e:
    sys.stderr.write("hermes-relay: cannot connect to %s: %s\\n" % (path, e.strerror or e))
    sys.exit(2)
sys.stderr.write("hermes-relay: ready\\n")
sys.stderr.flush()
def upstream():
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    # like socat's -t: once our side has ended, give the far side a moment, then go
    time.sleep(1)
    os._exit(0)
threading.Thread(target=upstream, daemon=True).start()
while True:
    try:
        data = sock.recv(65536)
    except OSError:
        break
    if not data:
        break
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
os._exit(0)
`;

// $1 socket path, $2 python program, $3 whether the path is safe in a socat address. Constant text: no value is
// ever pasted into it.
const RELAY_SCRIPT = [
  'if [ "$3" = socat-ok ] && command -v socat >/dev/null 2>&1; then',
  '  echo "hermes-relay: using socat" >&2',
  '  exec socat -d -d - "UNIX-CONNECT:$1"',
  'fi',
  'if command -v python3 >/dev/null 2>&1; then',
  '  echo "hermes-relay: using python3" >&2',
  '  exec python3 -c "$2" "$1"',
  'fi',
  'echo "hermes-relay: neither socat nor python3 is installed on the host" >&2',
  'exit 127',
].join('\n');

/** True when `path` can be written in a socat address as is (socat gives `:`, `,`, `!` and quotes a meaning). */
export function socatSafe(path: string): boolean {
  return /^[A-Za-z0-9_./@+=%~-]+$/.test(path);
}

/** The argv that runs the relay for `path` on the host (sh -c with a constant script; the path is an argument). */
export function relayArgv(path: string): string[] {
  return ['sh', '-c', RELAY_SCRIPT, 'hermes-relay', path, PYTHON_RELAY, socatSafe(path) ? 'socat-ok' : 'python-only'];
}

/** The argv that relays the handoff socket through the host agent (its `socket` operation: the path is its own). */
export function agentRelayArgv(): string[] {
  return agentArgv('socket');
}

const READY = /starting data transfer loop|hermes-relay: ready/;

/** The most useful line of a failed relay's stderr (socat's error line, or our own message). */
export function relayFailure(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const socatError = lines.map((l) => /socat\[\d+\] E (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  if (socatError) return `socat: ${socatError}`;
  const ours = [...lines].reverse().find((l) => l.startsWith('hermes-relay:') && !l.startsWith('hermes-relay: using'));
  return ours ?? lines.at(-1) ?? 'the relay exited without a message';
}

/**
 * Starts the relay for `path` on an exec channel and resolves, once it is connected to the socket, with the socket
 * and the tool used. Rejects (naming the path) when the relay exits first, or after timeoutMs.
 * `onGone` runs once when the relay's channel closes. `argv` replaces the shell relay (the agent's `socket`).
 */
export function openRelay(
  client: Client,
  path: string,
  timeoutMs: number,
  onGone: () => void,
  argv: readonly string[] = relayArgv(path),
): Promise<{ socket: ChannelSocket; tool: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: ChannelSocket | null = null;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      reject(new Error(`relay to the Unix socket ${path} failed: ${why}`));
    };
    const timer = setTimeout(() => fail(`not connected after ${timeoutMs} ms`), timeoutMs);
    try {
      client.exec(shellJoin(argv), (err, ch) => {
        if (err) {
          onGone();
          fail(`the server refused a session channel (${err.message})`);
          return;
        }
        socket = new ChannelSocket(ch, onGone);
        if (settled) {
          socket.destroy();
          return;
        }
        let stderr = '';
        let tool = 'unknown';
        ch.stderr.on('data', (c: Buffer) => {
          if (settled) return; // keep draining so the channel window stays open
          stderr = (stderr + c.toString('utf8')).slice(-8192);
          tool = /hermes-relay: using (\w+)/.exec(stderr)?.[1] ?? tool;
          if (READY.test(stderr)) {
            settled = true;
            clearTimeout(timer);
            resolve({ socket: socket!, tool });
          }
        });
        // The exit status can arrive before the last stderr bytes: judge on close, with 'exit' as a bounded fallback.
        ch.on('exit', () => setTimeout(() => fail(relayFailure(stderr)), 250).unref());
        ch.on('close', () => fail(relayFailure(stderr)));
      });
    } catch (err) {
      onGone();
      fail(`the SSH connection is not open (${(err as Error).message})`);
    }
  });
}
