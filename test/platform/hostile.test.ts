import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startFakePlatform } from '../../examples/gateway/platform/server.ts';
import { TG_TOKEN, bot, ids, until } from './helpers.ts';

/** Writes `bytes` on a fresh connection, reads whatever comes back, and closes after a short while. */
function sendRaw(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 30);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.write(bytes);
  });
}

const methods = ['GET', 'POST', 'PUT', 'BREW', ''];
const paths = [
  `/bot${TG_TOKEN}/getUpdates`,
  `/bot${TG_TOKEN}/sendMessage`,
  `/bot${TG_TOKEN}/deleteWebhook`,
  '/botX/getUpdates',
  '/stats',
  '/stats/reset',
  '/control/rate',
  '/control/produce',
  '/control/telegram/throttle',
  '/control/discord/storm',
  '/api/v10/gateway/bot',
  '/api/v10/channels/1/messages',
  '/discord/gateway',
  '/',
  '/bot%00/x',
  '/bot%E0%A4%A/x',
];

test('arbitrary bytes and malformed requests never crash the server or leave a poll in flight', async (t) => {
  const p = await startFakePlatform({ rate: 0, kinds: ['telegram', 'discord'] });
  t.after(() => p.close());
  const port = Number(new URL(p.url).port);
  p.produce(3, 'telegram');
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc
          .record({ m: fc.constantFrom(...methods), path: fc.constantFrom(...paths), body: fc.string({ maxLength: 200 }), ct: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', '') })
          .map(({ m, path, body, ct }) => {
            const head = `${m} ${path} HTTP/1.1\r\nHost: x\r\n${ct ? `Content-Type: ${ct}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
            return new Uint8Array(Buffer.from(head + body));
          }),
      ),
      async (bytes) => {
        await sendRaw(port, bytes);
      },
    ),
    { numRuns: 300 },
  );
  await until(() => p.stats().in_flight === 0, 'every hostile poll to end');
  // Still serving, with the same updates (a hostile getUpdates may have confirmed some; none was lost to a crash).
  const r = await bot(p.url, 'getUpdates', {});
  assert.equal(r.status, 200);
  assert.ok(ids(r).every((id) => id >= 1 && id <= 3));
  p.produce(1, 'telegram');
  assert.ok(ids(await bot(p.url, 'getUpdates', {})).includes(4));
  assert.equal((await fetch(`${p.url}/api/v10/gateway`)).status, 200);
});
