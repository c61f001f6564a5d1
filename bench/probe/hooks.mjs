// Timestamps of the handover's steps inside a gateway process, for bench/probe/handover.ts.
// Loaded with NODE_OPTIONS="--import <this file>" when HERMES_PROBE_DIR is set; without it, does nothing.
// Records (epoch ms, microsecond precision): fsync calls, GC pauses, getUpdates requests (created, TCP connected,
// sent, closed; through http.request or, as the grammY adapter sends them, Node's fetch) and handoff frames
// written or received; written to HERMES_PROBE_DIR/probe-<pid>.ndjson at exit.
// With HERMES_PROBE_WARM=1 in a green (HERMES_HANDOFF_ID set), it also simulates a proposed change: every
// keep-alive Agent the gateway creates sends one request to the platform (`--platform URL`) at once, so
// green's first getUpdates after HANDOFF_ACTIVE finds a connected socket and warm code paths.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import diagnostics from 'node:diagnostics_channel';
import { syncBuiltinESMExports } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const dir = process.env.HERMES_PROBE_DIR;
if (dir) install(dir);

function install(dir) {
  const now = () => performance.timeOrigin + performance.now();
  const events = [];
  const ev = (name, extra = {}) => events.push({ ev: name, t: now(), ...extra });
  const file = `${dir}/probe-${process.pid}.ndjson`;
  const flush = () => {
    if (events.length === 0) return;
    fs.appendFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    events.length = 0;
  };
  process.on('exit', flush);
  setInterval(flush, 2000).unref();

  const fsync = fs.fsyncSync;
  fs.fsyncSync = function probedFsync(fd) {
    const t0 = now();
    try {
      return fsync.call(this, fd);
    } finally {
      events.push({ ev: 'fsync', t: t0, dt: now() - t0 });
    }
  };

  const request = http.request;
  let seq = 0;
  http.request = function probedRequest(...args) {
    const req = request.apply(this, args);
    const url = args[0];
    const path = typeof url === 'string' ? url : url instanceof URL ? url.pathname : String(url?.path ?? '');
    if (path.endsWith('/getUpdates')) {
      const id = ++seq;
      ev('poll-req', { id });
      req.once('socket', (s) => {
        if (s.connecting) s.once('connect', () => ev('poll-connect', { id }));
      });
      req.once('finish', () => ev('poll-sent', { id }));
      req.once('response', () => ev('poll-resp', { id }));
      req.once('close', () => ev('poll-closed', { id }));
    }
    return req;
  };
  // The Telegram adapter polls through Node's fetch (undici), which publishes its requests on diagnostics channels.
  const polls = new WeakMap();
  diagnostics.subscribe('undici:request:create', ({ request: r }) => {
    if (!String(r.path).split('?')[0].endsWith('/getUpdates')) return;
    const id = ++seq;
    polls.set(r, id);
    ev('poll-req', { id });
  });
  diagnostics.subscribe('undici:client:sendHeaders', ({ request: r }) => polls.has(r) && ev('poll-sent', { id: polls.get(r) }));
  diagnostics.subscribe('undici:request:headers', ({ request: r }) => polls.has(r) && ev('poll-resp', { id: polls.get(r) }));
  diagnostics.subscribe('undici:request:trailers', ({ request: r }) => polls.has(r) && ev('poll-closed', { id: polls.get(r) }));
  diagnostics.subscribe('undici:request:error', ({ request: r }) => polls.has(r) && ev('poll-closed', { id: polls.get(r) }));
  if (process.env.HERMES_PROBE_WARM === '1' && process.env.HERMES_HANDOFF_ID) {
    const i = process.argv.indexOf('--platform');
    const base = i > 0 ? new URL(process.argv[i + 1]) : null;
    const Agent = http.Agent;
    http.Agent = class WarmingAgent extends Agent {
      constructor(o) {
        super(o);
        if (base && o?.keepAlive) {
          setImmediate(() => {
            ev('warm-req');
            const req = request({ host: base.hostname, port: base.port, path: '/stats', agent: this }, (res) => {
              res.resume();
              res.on('end', () => ev('warm-done'));
            });
            req.on('error', () => {});
            req.end();
          });
        }
      }
    };
  }
  syncBuiltinESMExports();

  const frameType = (chunk) => {
    const s = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8', 0, Math.min(chunk.length, 200)) : '';
    const m = /"type":"(HANDOFF_[A-Z]+)"/.exec(s);
    return m ? m[1] : null;
  };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function probedWrite(chunk, ...rest) {
    const type = frameType(chunk);
    if (type) ev('frame-out', { type });
    return write.call(this, chunk, ...rest);
  };
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function probedEmit(name, ...rest) {
    if (name === 'data') {
      const type = frameType(rest[0]);
      if (type) ev('frame-in', { type });
    }
    return emit.call(this, name, ...rest);
  };
  // Garbage collections, with their pause (a pause inside the dark window lengthens it).
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) events.push({ ev: 'gc', t: performance.timeOrigin + e.startTime, dt: e.duration });
  }).observe({ entryTypes: ['gc'] });
  ev('start', { argv: process.argv.slice(2, 3) });
}
