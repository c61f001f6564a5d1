import type { Client, ClientChannel } from 'ssh2';

/**
 * Opens an OpenSSH `direct-streamlocal@openssh.com` channel to the Unix socket at `path` on the host.
 * Rejects with the server's reason when the channel is refused (sshd reports "open failed" both when
 * stream-local forwarding is forbidden and when nothing listens), or after timeoutMs.
 */
export function openStreamLocal(client: Client, path: string, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`no answer to the stream-local channel request within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      client.openssh_forwardOutStreamLocal(path, (err, ch) => {
        if (settled) {
          if (!err) ch.close(); // answered too late: nobody wants it now
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) reject(new Error(`stream-local channel refused: ${err.message}`));
        else resolve(ch);
      });
    } catch (err) {
      settled = true;
      clearTimeout(timer);
      reject(new Error(`stream-local channel not sent: ${(err as Error).message}`));
    }
  });
}
