// Runs `prism mock` on a forge's API description behind a small recording proxy (127.0.0.1 only).
// Prism validates every request against the description; the proxy records each exchange, collects
// every violation (sl-violations header or a validator error in Prism's log, whatever the status),
// and overlays the little state a reporting flow needs (comments, issues, labels, PRs of a commit).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRISM_JS = join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');

/** One request the client sent, as the proxy saw it, and what came back. */
export interface Recorded {
  method: string;
  /** Path below the API base (e.g. /repos/o/r/statuses/abc), without the query. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  response: unknown;
  /** Request-side violations Prism reported for this exchange. */
  violations: string[];
}

export interface PrismServer {
  /** API base URL for the client (GITHUB_API_URL): includes /api/v1 for a Gitea description. */
  url: string;
  requests(): Recorded[];
  /** Every request-side violation so far: sl-violations headers and validator errors in Prism's log. */
  violations(): string[];
  /** Mismatches between the description and its own examples (response side): not the client's doing. */
  specWarnings(): string[];
  /** Waits until Prism's log has been quiet briefly, so violations() has seen every line. */
  settle(): Promise<void>;
  /** Forgets recorded requests (state and violations are kept). */
  clearRequests(): void;
  state: ForgeState;
  log(): string;
  stop(): Promise<void>;
}

// ---- the stateful overlay ----

interface IssueRec {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  pull: boolean;
  author: string;
}
interface CommentRec {
  id: number;
  issue: number;
  body: string;
  author: string;
}
interface PullRec {
  number: number;
  title: string;
  body: string;
  sha: string;
}
/** A commit status as the forge keeps it. */
export interface StatusRec {
  sha: string;
  context: string;
  state: string;
  description: string;
  target_url: string | null;
  at: number;
}
/** A workflow run: the id the API and Gitea 1.26+ pages use, and the per-repository number older Gitea pages use. */
export interface RunRec {
  id: number;
  number: number;
}

/** How the forge behaves: which one, which version, how many items a page holds at most. */
export interface ForgeBehaviour {
  flavor: 'github' | 'gitea';
  /** Gitea's version (GET /version); ignored for GitHub. */
  version: string;
  /** The most items a page holds whatever the client asks (Gitea's MAX_RESPONSE_ITEMS, GitHub's 100). */
  maxPage: number;
}

/** The token's user on this forge, and whether the token may read GET /user (a job token may not). */
export interface TokenUser {
  login: string;
  readsUser: boolean;
}

/** What the overlay answers: status, JSON body and any headers (Link, X-Total-Count). */
export interface Answer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Just enough forge state for the reporter: comments and issues with their authors, labels, PRs of commits, commit statuses, branches, runs, the version. */
export class ForgeState {
  readonly issues = new Map<number, IssueRec>();
  readonly comments = new Map<number, CommentRec>();
  readonly labels: Array<{ id: number; name: string; color: string }> = [];
  readonly pulls = new Map<string, PullRec>();
  readonly statuses: StatusRec[] = [];
  /** Commits of each branch, newest first. */
  readonly branches = new Map<string, string[]>();
  readonly runs: RunRec[] = [];
  /** Users by token (the Authorization header's value after "token "). Unknown tokens are `hermes-bot`, allowed to read /user. */
  readonly tokens = new Map<string, TokenUser>();
  behaviour: ForgeBehaviour;
  /** The forge's clock (ms), for status times. */
  now: () => number = Date.now;
  private nextIssue = 500;
  private nextComment = 9000;
  private nextLabel = 70;

  constructor(behaviour: Partial<ForgeBehaviour> = {}) {
    this.behaviour = { flavor: 'github', version: '1.27.0', maxPage: 100, ...behaviour };
  }

  seedIssue(number: number, state: 'open' | 'closed', title = `issue ${number}`, body = '', labels: string[] = [], author = 'someone'): void {
    this.issues.set(number, { number, title, body, state, labels, pull: false, author });
  }
  seedPull(sha: string, number: number, title: string, body: string): void {
    this.pulls.set(sha, { number, title, body, sha });
    this.issues.set(number, { number, title, body, state: 'closed', labels: [], pull: true, author: 'someone' });
  }
  seedComment(issue: number, body: string, author: string): number {
    const c = { id: this.nextComment++, issue, body, author };
    this.comments.set(c.id, c);
    return c.id;
  }
  commentsOn(issue: number): CommentRec[] {
    return [...this.comments.values()].filter((c) => c.issue === issue);
  }
  openIssuesLabelled(label: string): IssueRec[] {
    return [...this.issues.values()].filter((i) => i.state === 'open' && i.labels.includes(label));
  }
  /** The latest status of `context` on `sha`, or undefined. */
  statusOf(sha: string, context: string): StatusRec | undefined {
    return this.statuses.filter((s) => s.sha === sha && s.context === context).at(-1);
  }

  private user(auth: string | undefined): TokenUser {
    const token = (auth ?? '').replace(/^(token|bearer)\s+/i, '');
    return this.tokens.get(token) ?? { login: 'hermes-bot', readsUser: true };
  }
  private issueJson(i: IssueRec): Record<string, unknown> {
    return {
      id: i.number * 10,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      user: { login: i.author, id: 1 },
      labels: i.labels.map((n) => ({ id: this.labels.find((l) => l.name === n)?.id ?? 0, name: n })),
      ...(i.pull ? { pull_request: { url: `https://forge.test/pulls/${i.number}` } } : {}),
    };
  }
  private commentJson(c: CommentRec): Record<string, unknown> {
    return { id: c.id, body: c.body, user: { login: c.author, id: 1 }, html_url: `https://forge.test/comments/${c.id}` };
  }
  private statusJson(st: StatusRec): Record<string, unknown> {
    const when = new Date(st.at).toISOString();
    const state = this.behaviour.flavor === 'gitea' ? { status: st.state } : { state: st.state };
    return { id: 1, context: st.context, description: st.description, target_url: st.target_url, created_at: when, updated_at: when, ...state };
  }
  /** One page as the forge pages: the size asked, capped at maxPage, with Link and X-Total-Count; everything when no paging was asked. */
  private page<T>(xs: T[], q: Record<string, string>, path: string): Answer & { body: T[] } {
    if (q.per_page === undefined && q.limit === undefined) return { body: xs };
    const size = Math.min(Number(q.per_page ?? q.limit), this.behaviour.maxPage);
    const page = Number(q.page ?? 1);
    const last = Math.max(1, Math.ceil(xs.length / size));
    const url = (n: number) => `<https://forge.test${path}?page=${n}>`;
    const links = [...(page < last ? [`${url(page + 1)}; rel="next"`] : []), `${url(last)}; rel="last"`];
    return { body: xs.slice((page - 1) * size, page * size), headers: { link: links.join(', '), 'x-total-count': String(xs.length) } };
  }

  /** The overlay's answer for a request Prism accepted, or undefined to pass Prism's example through. */
  handle(method: string, path: string, q: Record<string, string>, body: unknown, auth?: string): Answer | undefined {
    const b = (body ?? {}) as Record<string, unknown>;
    const me = this.user(auth);
    let m: RegExpExecArray | null;
    if (path === '/version' && method === 'GET') return { body: { version: this.behaviour.version } };
    if (path === '/user' && method === 'GET') return me.readsUser ? { body: { login: me.login, id: 7 } } : { status: 403, body: { message: 'Resource not accessible by integration' } };
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(path))) {
      const n = Number(m[1]);
      // Gitea lists an issue's comments unpaged.
      if (method === 'GET') {
        const list = this.commentsOn(n).map((c) => this.commentJson(c));
        return this.behaviour.flavor === 'gitea' ? { body: list } : this.page(list, q, path);
      }
      if (method === 'POST') {
        const c = { id: this.nextComment++, issue: n, body: String(b.body ?? ''), author: me.login };
        this.comments.set(c.id, c);
        return { body: this.commentJson(c) };
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path))) {
      const c = this.comments.get(Number(m[1]));
      if (!c) return { status: 404, body: { message: 'Not Found' } };
      if (method === 'PATCH') {
        if (c.author !== me.login) return { status: 403, body: { message: 'not your comment' } };
        c.body = String(b.body ?? '');
      }
      return { body: this.commentJson(c) };
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/.exec(path))) {
      const i = this.issues.get(Number(m[1]));
      if (!i) return { status: 404, body: { message: 'Not Found' } };
      if (method === 'PATCH') {
        if (b.state === 'open' || b.state === 'closed') i.state = b.state;
        if (typeof b.body === 'string') i.body = b.body;
      }
      return { body: this.issueJson(i) };
    }
    if (/^\/repos\/[^/]+\/[^/]+\/issues$/.test(path)) {
      if (method === 'GET') {
        const wanted = (q.labels ?? '').split(',').filter(Boolean);
        const list = [...this.issues.values()]
          .filter((i) => (q.state === 'all' || i.state === (q.state ?? 'open')) && wanted.every((w) => i.labels.includes(w)) && (q.type !== 'issues' || !i.pull))
          .sort((x, y) => y.number - x.number);
        return this.page(list.map((i) => this.issueJson(i)), q, path);
      }
      if (method === 'POST') {
        const labels = (Array.isArray(b.labels) ? b.labels : []).map((l) => (typeof l === 'number' ? this.labels.find((x) => x.id === l)?.name ?? `#${l}` : String(l)));
        const i: IssueRec = { number: this.nextIssue++, title: String(b.title ?? ''), body: String(b.body ?? ''), state: 'open', labels, pull: false, author: me.login };
        this.issues.set(i.number, i);
        return { body: this.issueJson(i) };
      }
    }
    if (/^\/repos\/[^/]+\/[^/]+\/labels$/.test(path)) {
      if (method === 'GET') return this.page(this.labels, q, path);
      if (method === 'POST') {
        const l = { id: this.nextLabel++, name: String(b.name ?? ''), color: String(b.color ?? '') };
        this.labels.push(l);
        return { body: l };
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/statuses\/([^/]+)$/.exec(path)) && method === 'POST') {
      const st: StatusRec = { sha: m[1] ?? '', context: String(b.context ?? 'default'), state: String(b.state ?? ''), description: String(b.description ?? ''), target_url: typeof b.target_url === 'string' ? b.target_url : null, at: this.now() };
      this.statuses.push(st);
      return { status: 201, body: this.statusJson(st) };
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/status$/.exec(path)) && method === 'GET') {
      const sha = m[1] ?? '';
      const latest = new Map<string, StatusRec>();
      for (const st of this.statuses) if (st.sha === sha) latest.set(st.context, st);
      const list = [...latest.values()].map((st) => this.statusJson(st));
      return { body: { sha, state: 'pending', total_count: list.length, statuses: this.page(list, q, path).body } };
    }
    if (/^\/repos\/[^/]+\/[^/]+\/commits$/.test(path) && method === 'GET') {
      const list = (this.branches.get(q.sha ?? 'main') ?? []).map((sha) => ({ sha, commit: { message: 'a commit' } }));
      return this.page(list, q, path);
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/(pulls?)$/.exec(path)) && method === 'GET') {
      const pr = this.pulls.get(m[1] ?? '');
      const json = pr ? { number: pr.number, title: pr.title, body: pr.body, merged: true, merged_at: '2026-01-01T00:00:00Z', merge_commit_sha: pr.sha } : null;
      if (m[2] === 'pulls') return { body: json ? [json] : [] };
      return json ? { body: json } : { status: 404, body: { message: 'Not Found' } };
    }
    return undefined;
  }

  /**
   * A web page of the forge (not the API): `/{owner}/{repo}/actions/runs/{x}` names a run by its id on
   * GitHub and Gitea 1.26+ (go-gitea/gitea#36842), by its number before; `/actions` is the runs list.
   */
  runPage(path: string): RunRec | 'list' | null {
    if (/^\/[^/]+\/[^/]+\/actions\/?$/.test(path)) return 'list';
    const m = /^\/[^/]+\/[^/]+\/actions\/runs\/(\d+)$/.exec(path);
    if (!m) return null;
    const x = Number(m[1]);
    // Forgejo says "9.0.3+gitea-1.22.0": the Gitea it follows decides.
    const v = /\+gitea-(.*)$/.exec(this.behaviour.version)?.[1] ?? this.behaviour.version;
    const [major = 0, minor = 0] = v.split('.').map(Number);
    const byId = this.behaviour.flavor === 'github' || major > 1 || (major === 1 && minor >= 26);
    return this.runs.find((r) => (byId ? r.id : r.number) === x) ?? null;
  }
}

// ---- process and proxy ----

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

/** The path prefix the description puts before every route (Swagger basePath or the first server's path). */
function basePathOf(specFile: string): string {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { basePath?: string; servers?: Array<{ url?: string }> };
  const raw = spec.basePath ?? spec.servers?.[0]?.url ?? '';
  const path = /^https?:\/\//.test(raw) ? new URL(raw).pathname : raw;
  return path.replace(/\/+$/, '');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks)));
    req.on('error', rej);
  });
}

function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return buf.toString('utf8');
  }
}

/** Splits an sl-violations header into request-side and response-side messages. */
function splitViolations(header: string | undefined): { request: string[]; response: string[] } {
  const out = { request: [] as string[], response: [] as string[] };
  if (!header) return out;
  let list: Array<{ location?: unknown[]; message?: string }> = [];
  try {
    list = JSON.parse(header) as typeof list;
  } catch {
    out.request.push(`unparseable sl-violations header: ${header}`);
    return out;
  }
  for (const v of list) {
    const where = (v.location ?? []).map(String).join('.');
    (v.location?.[0] === 'response' ? out.response : out.request).push(`${where}: ${v.message ?? ''}`);
  }
  return out;
}

/** Starts Prism on `specFile` (Node running this test) and the proxy in front of it; rejects if Prism does not listen within 60 s. */
export async function startPrism(specFile: string, behaviour: Partial<ForgeBehaviour> = {}): Promise<PrismServer> {
  const base = basePathOf(specFile);
  const prismPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, [PRISM_JS, 'mock', '-h', '127.0.0.1', '-p', String(prismPort), specFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  let log = '';
  let lastLogAt = Date.now();
  const logViolations: string[] = [];
  const specWarnings: string[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    lastLogAt = Date.now();
    const text = d.toString('utf8');
    log += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!/\[VALIDATOR\]/.test(line) || !/✖|\berror\b/.test(line)) continue;
      (/Violation: response/.test(line) ? specWarnings : logViolations).push(line.replace(/^.*\[VALIDATOR\]\s*/, '').trim());
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`prism did not start within 60 s on ${specFile}:\n${log.slice(-2000)}`)), 60_000);
    const check = setInterval(() => {
      if (/Prism is listening on/.test(log)) {
        clearTimeout(timer);
        clearInterval(check);
        res();
      }
    }, 50);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      rej(new Error(`prism exited (code ${code}) before listening on ${specFile}:\n${log.slice(-2000)}`));
    });
  });

  const state = new ForgeState(behaviour);
  let recorded: Recorded[] = [];
  const headerViolations: string[] = [];

  const proxy: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const u = new URL(req.url ?? '/', 'http://proxy.test');
      const path = base && u.pathname.startsWith(base) ? u.pathname.slice(base.length) || '/' : u.pathname;
      const query = Object.fromEntries(u.searchParams);
      const headers = { ...req.headers };
      delete headers.host;
      delete headers['content-length'];
      if (raw.length > 0) headers['content-length'] = String(raw.length);
      const upstream = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((ok, fail) => {
        const r = httpRequest({ host: '127.0.0.1', port: prismPort, method: req.method, path: path + u.search, headers }, (pr) => {
          void readBody(pr).then((body) => ok({ status: pr.statusCode ?? 0, headers: pr.headers, body }), fail);
        });
        r.on('error', fail);
        r.end(raw);
      });
      const sl = splitViolations(upstream.headers['sl-violations'] as string | undefined);
      headerViolations.push(...sl.request.map((v) => `${req.method} ${path}: ${v}`));
      specWarnings.push(...sl.response.map((v) => `${req.method} ${path}: ${v}`));
      const body = parseJson(raw);
      let status = upstream.status;
      let out: Buffer = upstream.body;
      let contentType = String(upstream.headers['content-type'] ?? 'application/json');
      let extra: Record<string, string> = {};
      // Overlay state only on answers Prism accepted: an invalid request keeps Prism's error.
      if (status >= 200 && status < 300) {
        const o = state.handle(req.method ?? 'GET', path, query, body, req.headers.authorization);
        if (o) {
          status = o.status ?? status;
          out = Buffer.from(JSON.stringify(o.body));
          contentType = 'application/json';
          extra = o.headers ?? {};
        }
      }
      recorded.push({ method: req.method ?? '', path, query, body, status, response: parseJson(out), violations: sl.request });
      res.writeHead(status, { ...extra, 'content-type': contentType, 'content-length': String(out.length) });
      res.end(out);
    })().catch((e: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${String(e)}`);
    });
  });
  await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', () => res()));
  const proxyPort = (proxy.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${proxyPort}${base}`,
    requests: () => [...recorded],
    violations: () => [...headerViolations, ...logViolations],
    specWarnings: () => [...specWarnings],
    async settle() {
      const deadline = Date.now() + 3000;
      while (Date.now() - lastLogAt < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    },
    clearRequests() {
      recorded = [];
    },
    state,
    log: () => log,
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((res) => proxy.close(() => res()));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
