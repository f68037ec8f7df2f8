// A Git server for GitOps scenarios: bare repositories in a folder of the
// run, served over Git's smart HTTP protocol by git's own `git http-backend`
// (a CGI program, one per request), so clones, fetches and pushes are the
// real protocol, from this machine or from pods (listen on an address they
// reach). After every push it POSTs a GitHub-style `push` webhook to the URLs
// registered (Argo CD's /api/webhook reads it), as a Git host would.
//
// `commit()` is how a scenario changes what is deployed: files written in a
// working clone, committed and pushed over HTTP like any user's push.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface PushEvent {
  repository: string;
  ref: string;
  before: string;
  after: string;
  at: number;
}

export interface WebhookDelivery {
  url: string;
  event: PushEvent;
  status: number | string;
  at: number;
}

export interface GitServerOptions {
  /** Address to listen on (default 127.0.0.1); pods need one they reach, e.g. the node's. */
  host?: string;
  /** Where the bare repositories and working clones go (default: a new temporary folder, removed at close). */
  dir?: string;
  log?: (line: string) => void;
}

const ZERO = '0000000000000000000000000000000000000000';
const GIT_TIMEOUT_MS = 30_000;

const GIT_ENV = {
  // A commit needs an author; the machine's git config is not ours to rely on.
  GIT_AUTHOR_NAME: 'cutover',
  GIT_AUTHOR_EMAIL: 'cutover@localhost',
  GIT_COMMITTER_NAME: 'cutover',
  GIT_COMMITTER_EMAIL: 'cutover@localhost',
  GIT_TERMINAL_PROMPT: '0',
};

/** git, bounded; asynchronous, since the server answering a clone or push may be this very process. */
async function git(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd, encoding: 'utf8', timeout: GIT_TIMEOUT_MS, env: { ...process.env, ...GIT_ENV } });
    return stdout.trim();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string; killed?: boolean; code?: string | number };
    if (e.code === 'ENOENT') throw new Error(`git ${args.join(' ')}: git is not installed`, { cause: err });
    const why = e.killed ? `no end within ${GIT_TIMEOUT_MS} ms` : `exited with ${e.code}: ${(e.stderr || e.stdout || e.message).trim()}`;
    throw new Error(`git ${args.join(' ')} (in ${cwd}) ${why}`, { cause: err });
  }
}

export class GitServer {
  readonly pushes: PushEvent[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  private readonly webhooks: { url: string; ca?: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly server: http.Server,
    readonly dir: string,
    private readonly ownDir: boolean,
    readonly url: string,
    private readonly log: (line: string) => void,
  ) {}

  static async start(options: GitServerOptions = {}): Promise<GitServer> {
    const ownDir = options.dir === undefined;
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-git-'));
    fs.mkdirSync(path.join(dir, 'repos'), { recursive: true });
    let self: GitServer | undefined;
    const server = http.createServer((req, res) => {
      if (self === undefined) return void res.writeHead(503).end();
      self.serve(req, res);
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`the Git server cannot listen on ${host}: ${e.message}`)));
      server.listen(0, host, resolve);
    });
    self = new GitServer(server, dir, ownDir, `http://${host}:${(server.address() as AddressInfo).port}`, options.log ?? (() => {}));
    return self;
  }

  /** A new bare repository whose default branch is `branch`; its clone URL. */
  async create(name: string, branch = 'main'): Promise<string> {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`repository name "${name}": expected lower-case letters, digits, ".", "_" or "-"`);
    const bare = this.barePath(name);
    if (fs.existsSync(bare)) throw new Error(`repository ${name} exists already`);
    await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare], this.dir);
    // Pushes over HTTP are refused unless the server authenticated the user or the repository allows them.
    await git(['config', 'http.receivepack', 'true'], bare);
    return this.repoUrl(name);
  }

  repoUrl(name: string): string {
    return `${this.url}/${name}.git`;
  }

  /** The commit a branch points at, or undefined before its first push. */
  head(name: string, branch = 'main'): string | undefined {
    const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: this.barePath(name), encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  }

  /** A file as a branch has it. */
  async read(name: string, file: string, branch = 'main'): Promise<string> {
    return `${await git(['show', `refs/heads/${branch}:${file}`], this.barePath(name))}\n`;
  }

  /** Registers a URL told of every push, as a Git host's webhook; `ca` is a PEM certificate to trust for an https URL. */
  addWebhook(url: string, ca?: string): void {
    this.webhooks.push({ url, ...(ca !== undefined ? { ca } : {}) });
  }

  /**
   * Commits files to a branch and pushes the commit over HTTP: `files` maps
   * paths in the repository to their new content (null removes the file).
   * Returns the new commit.
   */
  async commit(name: string, files: Record<string, string | null>, message: string, branch = 'main'): Promise<string> {
    const work = path.join(this.dir, 'work', name);
    if (!fs.existsSync(work)) {
      fs.mkdirSync(path.dirname(work), { recursive: true });
      await git(['clone', '--quiet', this.repoUrl(name), work], this.dir);
    }
    if ((await git(['ls-remote', '--heads', 'origin', branch], work)) !== '') {
      await git(['fetch', '--quiet', 'origin', branch], work);
      await git(['checkout', '--quiet', '-B', branch, `origin/${branch}`], work);
    } else {
      await git(['checkout', '--quiet', '--orphan', branch], work);
    }
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(work, file);
      if (!target.startsWith(work + path.sep)) throw new Error(`path ${file} is outside the repository`);
      if (content === null) fs.rmSync(target, { force: true });
      else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
      }
    }
    await git(['add', '--all'], work);
    await git(['commit', '--quiet', '--allow-empty', '-m', message], work);
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
    return git(['rev-parse', 'HEAD'], work);
  }

  /** Waits for webhook deliveries under way (each is bounded). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.settled();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    if (this.ownDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private barePath(name: string): string {
    return path.join(this.dir, 'repos', `${name}.git`);
  }

  private refs(repo: string): Map<string, string> {
    const r = spawnSync('git', ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'], { cwd: this.barePath(repo), encoding: 'utf8' });
    return new Map((r.stdout ?? '').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  }

  /** One request, handed to git http-backend as CGI; a push's ref changes become webhooks once it has ended. */
  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://git');
    const m = /^\/([a-z0-9][a-z0-9._-]*)\.git(\/.*)$/.exec(url.pathname);
    if (m === null || !fs.existsSync(this.barePath(m[1] as string))) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no such repository\n');
    const repo = m[1] as string;
    const isPush = url.pathname.endsWith('/git-receive-pack');
    const before = isPush ? this.refs(repo) : undefined;
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: path.join(this.dir, 'repos'),
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] !== undefined ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        // http-backend inflates a gzipped request body itself.
        ...(req.headers['content-encoding'] !== undefined ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] !== undefined ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        REMOTE_USER: 'cutover',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    req.pipe(child.stdin);
    child.stdin.on('error', () => {});
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    // CGI output: headers ("Status: 200 OK", "Content-Type: ..."), a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const sep = head[end] === 13 ? 4 : 2;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else res.setHeader(key, value);
      }
      res.writeHead(status);
      headersSent = true;
      res.write(head.subarray(end + sep));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!headersSent) {
        this.log(`git http-backend ${req.method} ${url.pathname} failed (${code}): ${stderr.trim()}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        return void res.end(`git http-backend failed: ${stderr.trim()}\n`);
      }
      res.end();
      if (before !== undefined) this.announce(repo, before);
    });
  }

  /** The refs a push changed, each a push event told to every webhook. */
  private announce(repo: string, before: Map<string, string>): void {
    const after = this.refs(repo);
    for (const ref of new Set([...before.keys(), ...after.keys()])) {
      const was = before.get(ref) ?? ZERO;
      const now = after.get(ref) ?? ZERO;
      if (was === now) continue;
      const event: PushEvent = { repository: repo, ref, before: was, after: now, at: Date.now() };
      this.pushes.push(event);
      this.log(`push to ${repo} ${ref}: ${was.slice(0, 7)} → ${now.slice(0, 7)}`);
      for (const hook of this.webhooks) {
        const delivery = this.deliver(hook, event).finally(() => this.inFlight.delete(delivery));
        this.inFlight.add(delivery);
      }
    }
  }

  /** GitHub's push payload (the fields Argo CD reads: ref, before, after, repository's URLs and default branch, commits' files). */
  private async deliver(hook: { url: string; ca?: string }, event: PushEvent): Promise<void> {
    const bare = this.barePath(event.repository);
    const files = async (kind: 'A' | 'M' | 'D') =>
      event.before === ZERO ? [] : (await git(['diff', '--name-only', `--diff-filter=${kind}`, event.before, event.after], bare)).split('\n').filter(Boolean);
    const payload = JSON.stringify({
      ref: event.ref,
      before: event.before,
      after: event.after,
      repository: { name: event.repository, html_url: this.repoUrl(event.repository), clone_url: this.repoUrl(event.repository), default_branch: 'main' },
      commits: [{ id: event.after, added: await files('A'), modified: await files('M'), removed: await files('D') }],
      head_commit: { id: event.after },
    });
    const target = new URL(hook.url);
    const status = await new Promise<number | string>((resolve) => {
      const req = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `${event.after}-${Date.now()}`, 'content-length': Buffer.byteLength(payload) },
          timeout: 10_000,
          // The CA given is the server's own self-signed certificate (Argo CD's): trusting exactly it
          // pins the server, whatever address its names omit.
          ...(hook.ca !== undefined ? { ca: hook.ca, checkServerIdentity: () => undefined } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (e) => resolve(e.message));
      req.end(payload);
    });
    this.deliveries.push({ url: hook.url, event, status, at: Date.now() });
    this.log(`webhook ${hook.url} told of ${event.repository} ${event.ref} ${event.after.slice(0, 7)}: ${status}`);
  }
}
