// An in-process forge for the forge and report tests (127.0.0.1): the same stateful overlay the contract
// tests put behind Prism (test/support/prism.ts), plus the forge's web pages for run links, and a hook to
// answer chosen requests with an error (403, 404...). Its behaviour follows a forge and version.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ForgeState, type ForgeBehaviour } from '../support/prism.ts';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export interface FakeForge {
  /** The API base (GITHUB_API_URL). */
  url: string;
  /** The web base (GITHUB_SERVER_URL): run pages answer here. */
  serverUrl: string;
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

/** Starts a fake forge: `basePath` '' for GitHub-style URLs or '/api/v1' for Gitea-style ones; `behaviour` sets the forge, version and page cap. */
export async function startFakeForge(basePath = '', behaviour: Partial<ForgeBehaviour> = {}): Promise<FakeForge> {
  const state = new ForgeState({ flavor: basePath === '/api/v1' ? 'gitea' : 'github', ...behaviour });
  const requests: FakeRequest[] = [];
  const failures: Array<{ match: (r: FakeRequest) => boolean; status: number; message: string }> = [];
  const server: Server = createServer((req, res) => {
    void body(req).then((b) => {
      const u = new URL(req.url ?? '/', 'http://fake.test');
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        const out = JSON.stringify(json);
        res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      };
      if (basePath !== '' && !u.pathname.startsWith(`${basePath}/`)) {
        // A web page: a run link resolves to the run it names on this version, or 404.
        const run = state.runPage(u.pathname);
        return run === null ? send(404, { message: 'page not found' }) : send(200, run === 'list' ? { page: 'runs' } : { page: 'run', ...run });
      }
      const path = basePath !== '' ? u.pathname.slice(basePath.length) : u.pathname;
      if (basePath === '' && !path.startsWith('/repos/') && path !== '/user' && path !== '/version') {
        const run = state.runPage(path);
        if (run !== null) return send(200, run === 'list' ? { page: 'runs' } : { page: 'run', ...run });
      }
      const r: FakeRequest = { method: req.method ?? 'GET', path, query: Object.fromEntries(u.searchParams), body: b, authorization: req.headers.authorization };
      requests.push(r);
      const f = failures.find((x) => x.match(r));
      if (f) return send(f.status, { message: f.message });
      // GitHub has no /version.
      if (path === '/version' && state.behaviour.flavor === 'github') return send(404, { message: 'Not Found' });
      const o = state.handle(r.method, path, r.query, b, r.authorization);
      if (o) return send(o.status ?? (r.method === 'POST' ? 201 : 200), o.body, o.headers);
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    serverUrl: `http://127.0.0.1:${port}`,
    state,
    requests,
    fail: (match, status, message = 'Resource not accessible by integration') => failures.push({ match, status, message }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
