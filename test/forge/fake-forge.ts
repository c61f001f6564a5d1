// A tiny in-process forge for unit tests (127.0.0.1): the same state overlay the contract tests use,
// without Prism, plus a hook to answer chosen requests with an error (403, 404...).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ForgeState } from '../support/prism.ts';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export interface FakeForge {
  url: string;
  state: ForgeState;
  requests: FakeRequest[];
  /** Answer matching requests with this status instead (e.g. 403 for statuses). */
  fail(match: (r: FakeRequest) => boolean, status: number, message?: string): void;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<unknown> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        res(text ? JSON.parse(text) : undefined);
      } catch {
        res(text);
      }
    });
    req.on('error', rej);
  });
}

/** Starts the fake forge; `basePath` is '' for GitHub-style URLs or '/api/v1' for Gitea-style ones. */
export async function startFakeForge(basePath = ''): Promise<FakeForge> {
  const state = new ForgeState();
  const requests: FakeRequest[] = [];
  const failures: Array<{ match: (r: FakeRequest) => boolean; status: number; message: string }> = [];
  const server: Server = createServer((req, res) => {
    void body(req).then((b) => {
      const u = new URL(req.url ?? '/', 'http://fake.test');
      const path = u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : u.pathname;
      const r: FakeRequest = { method: req.method ?? 'GET', path, query: Object.fromEntries(u.searchParams), body: b, authorization: req.headers.authorization };
      requests.push(r);
      const send = (status: number, json: unknown) => {
        const out = JSON.stringify(json);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      };
      const f = failures.find((x) => x.match(r));
      if (f) return send(f.status, { message: f.message });
      if (r.method === 'POST' && /\/statuses\/[^/]+$/.test(path)) return send(201, { id: 1, ...(b as object) });
      const o = state.handle(r.method, path, r.query, b);
      if (o) return send(o.status ?? (r.method === 'POST' ? 201 : 200), o.body);
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    state,
    requests,
    fail: (match, status, message = 'Resource not accessible by integration') => failures.push({ match, status, message }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
