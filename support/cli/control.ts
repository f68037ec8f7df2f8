// The control API of `cutover up`: a small JSON API on 127.0.0.1 over a
// running local platform, and the client the `cutover rollout` commands use.
// `cutover up` writes where it listens, and the token every request must
// carry, to .cutover/control.json in its working directory (readable by its
// owner only), so commands run beside it find it and nobody else on the
// machine can drive it. Every route is in CONTROL_ROUTES (docs/control-api.md
// is checked against it).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RolloutEvent, RolloutStatus } from '../rollout/controller.ts';
import type { RouterStats } from '../traffic/router.ts';
import { summarizeHealth } from '../platform/local/health.ts';
import type { LocalPlatform } from '../platform/local/platform.ts';

export const STATE_FILE = path.join('.cutover', 'control.json');

export interface ControlState {
  url: string;
  /** Bearer token of this run's control API. */
  token: string;
  pid: number;
  manifests: string[];
  startedAt: string;
}

export interface PlatformView {
  rollouts: RolloutStatus[];
  services: { name: string; url: string }[];
  routers: RouterStats[];
  prometheus?: string;
  timeScale: number;
}

export function platformView(platform: LocalPlatform): PlatformView {
  return {
    rollouts: platform.rolloutNames().map((n) => platform.rollout(n).status()),
    services: platform.serviceNames().map((n) => ({ name: n, url: platform.serviceUrl(n) })),
    routers: platform.routerStats(),
    ...(platform.prometheusUrl ? { prometheus: platform.prometheusUrl } : {}),
    timeScale: platform.timeScale,
  };
}

/** Every route of the control API, for its documentation and its tests. */
export const CONTROL_ROUTES: { method: 'GET' | 'POST'; path: string; does: string }[] = [
  { method: 'GET', path: '/api/status', does: 'every rollout\'s status, the Services\' URLs, the routers\' stats, Prometheus\' URL and the time scale' },
  { method: 'POST', path: '/api/apply', does: 'applies manifest files `{files: [paths]}` (as a saved change would be); 400 with file, line and field when one does not load' },
  { method: 'GET', path: '/api/pods', does: 'every pod: rollout, revision, role, state, restarts and what its readiness probe saw (counts, streak, last result with its time)' },
  { method: 'GET', path: '/api/health', does: 'pod health per rollout: Healthy, Degraded or Down, pods ready of all, restarts, and each pod not ready with its last probe; the worst of them as the whole' },
  { method: 'GET', path: '/api/rollouts/{name}', does: 'one rollout\'s status' },
  { method: 'GET', path: '/api/rollouts/{name}/events', does: 'its events, oldest first; `?since=<ISO time>` for the newer ones' },
  { method: 'POST', path: '/api/rollouts/{name}/set-image', does: '`{image, container?}`: a new revision with that image (`kubectl argo rollouts set image`)' },
  { method: 'POST', path: '/api/rollouts/{name}/promote', does: '`{full?: boolean}`: past the current pause or step; `full` skips every remaining step and analysis' },
  { method: 'POST', path: '/api/rollouts/{name}/abort', does: 'traffic back to stable at once; the update\'s pods go after abortScaleDownDelaySeconds' },
  { method: 'POST', path: '/api/rollouts/{name}/retry', does: 'runs an aborted update again from its first step' },
  { method: 'POST', path: '/api/rollouts/{name}/pause', does: 'holds the rollout at its next step boundary until promoted' },
  { method: 'POST', path: '/api/rollouts/{name}/undo', does: '`{toRevision?: integer}`: back to the previous revision, or the one given' },
];

/** An image reference: [registry/]repository[:tag][@sha256:digest]. */
const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Headers on every answer: JSON only, never cached, never framed or sniffed. */
const SECURITY_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new ApiError(413, 'request body over 1 MB');
    chunks.push(c as Buffer);
  }
  if (chunks.length === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString()) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ApiError(400, 'expected a JSON object body');
  }
}

const str = (body: Record<string, unknown>, field: string, required = true): string | undefined => {
  const v = body[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw new ApiError(400, `expected "${field}" to be a non-empty string`);
  return v;
};

function imageField(body: Record<string, unknown>): string {
  const image = str(body, 'image') as string;
  if (image.length > 512 || !IMAGE_REFERENCE.test(image)) throw new ApiError(400, `"image": ${JSON.stringify(image.slice(0, 80))} is not an image reference such as cutover/tinyurl:v2`);
  return image;
}

function revisionField(body: Record<string, unknown>): number | undefined {
  const v = body.toRevision;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ApiError(400, `"toRevision": expected a revision number (an integer from 1), got ${JSON.stringify(v)}`);
  return v;
}

function booleanField(body: Record<string, unknown>, field: string): boolean {
  const v = body[field];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ApiError(400, `"${field}": expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A token bucket: `perMinute` requests a minute on average, up to a minute's
 * worth at once, refilled continuously. take() says whether one may go now,
 * and if not, in how many whole seconds one may.
 */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perMinute;
    this.last = now();
  }

  take(): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((t - this.last) * this.perMinute) / 60_000);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute / 1000)) };
  }
}

/** The control API's limits: every request (so a wrong token costs budget too), and the changing ones (POST) on their own. */
export const CONTROL_RATE_LIMITS = { requestsPerMinute: 600, changesPerMinute: 60 };

function authorized(req: http.IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Serves the control API; resolves with its URL. With a token, every request must carry it (`Authorization: Bearer <token>`). */
export async function startControlServer(
  platform: LocalPlatform,
  options: {
    port?: number;
    token?: string;
    apply?: (files: string[]) => Promise<void>;
    limits?: { requestsPerMinute: number; changesPerMinute: number };
    /** Where an unexpected failure is told in full (the client gets only its id); default stderr. */
    log?: (line: string) => void;
  } = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const limits = options.limits ?? CONTROL_RATE_LIMITS;
  // The API listens on loopback only: every caller is this machine, so one budget for all.
  const requests = new RateLimit(limits.requestsPerMinute);
  const changes = new RateLimit(limits.changesPerMinute);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        // A body left unread (over the limit) would be taken for the next request on this connection.
        res.writeHead(status, { ...SECURITY_HEADERS, ...headers, ...(status === 413 || status === 429 ? { connection: 'close' } : {}) });
        res.end(JSON.stringify(body));
      };
      try {
        const over = (limit: RateLimit, what: string) => {
          const r = limit.take();
          return r.ok ? undefined : { what: `${limit.perMinute} ${what}`, seconds: r.retryAfterSeconds };
        };
        const refused = over(requests, 'requests') ?? (req.method === 'GET' ? undefined : over(changes, 'changes'));
        if (refused) return send(429, { error: `too many requests: the control API takes ${refused.what} a minute; try again in ${refused.seconds} s` }, { 'retry-after': String(refused.seconds) });
        if (!authorized(req, options.token)) throw new ApiError(401, 'the control API takes "Authorization: Bearer <token>", the token of .cutover/control.json beside the running `cutover up`');
        if (req.method === 'GET' && url.pathname === '/api/status') return send(200, platformView(platform));
        if (req.method === 'GET' && url.pathname === '/api/pods') return send(200, platform.podHealth());
        if (req.method === 'GET' && url.pathname === '/api/health') return send(200, summarizeHealth(platform.podHealth()));
        if (req.method === 'POST' && url.pathname === '/api/apply') {
          const body = await readJson(req);
          const files = body.files;
          if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw new ApiError(400, 'expected "files": a list of manifest paths');
          if (options.apply === undefined) throw new ApiError(404, 'apply is not available');
          try {
            await options.apply(files as string[]);
          } catch (err) {
            throw new ApiError(400, (err as Error).message);
          }
          return send(200, platformView(platform));
        }
        if (parts[0] === 'api' && parts[1] === 'rollouts' && parts[2] !== undefined) {
          let rollout;
          try {
            rollout = platform.rollout(decodeURIComponent(parts[2]));
          } catch (err) {
            throw new ApiError(404, (err as Error).message);
          }
          const action = parts[3];
          if (req.method === 'GET' && action === undefined) return send(200, rollout.status());
          if (req.method === 'GET' && action === 'events') {
            const since = url.searchParams.get('since') ?? '';
            return send(200, rollout.events.filter((e: RolloutEvent) => e.at > since));
          }
          if (req.method === 'POST') {
            const body = await readJson(req);
            try {
              if (action === 'set-image') await rollout.setImage(imageField(body), str(body, 'container', false));
              else if (action === 'promote') rollout.promote(booleanField(body, 'full'));
              else if (action === 'abort') await rollout.abort();
              else if (action === 'retry') await rollout.retry();
              else if (action === 'pause') rollout.pause();
              else if (action === 'undo') await rollout.undo(revisionField(body));
              else throw new ApiError(404, `unknown action "${action}": set-image, promote, abort, retry, pause or undo`);
            } catch (err) {
              if (err instanceof ApiError) throw err;
              throw new ApiError(409, (err as Error).message);
            }
            return send(200, rollout.status());
          }
        }
        throw new ApiError(404, `no such endpoint: ${req.method} ${url.pathname}`);
      } catch (err) {
        if (err instanceof ApiError) return send(err.status, { error: err.message });
        // Not the caller's doing: the details (paths, internals) go to the log, the caller gets an id to find them by.
        const id = randomBytes(6).toString('hex');
        log(`control API: ${req.method} ${url.pathname} failed (error id ${id}): ${(err as Error).stack ?? String(err)}`);
        send(500, { error: `internal error (id ${id}: the details are in the log of cutover up)` });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes this directory for one `cutover up` (its state and data are here):
 * refused while another runs; the control file of one that died is taken
 * over and returned, so the caller can say so. Creation is exclusive, so two
 * starting at once cannot both win.
 */
export function claimDirectory(cwd = process.cwd()): ControlState | undefined {
  const file = path.join(cwd, STATE_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let stale: ControlState | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Owner only: it will hold the control API's token.
      fs.writeFileSync(file, JSON.stringify({ url: '', token: '', pid: process.pid, manifests: [], startedAt: new Date().toISOString() }), { flag: 'wx', mode: 0o600 });
      return stale;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let other: ControlState | undefined;
    try {
      other = JSON.parse(fs.readFileSync(file, 'utf8')) as ControlState;
    } catch {
      other = undefined;
    }
    if (other !== undefined && other.pid !== process.pid && alive(other.pid)) {
      throw new Error(`another \`cutover up\` (pid ${other.pid}, started ${other.startedAt}) runs in this directory: stop it first (Ctrl-C there, or \`kill ${other.pid}\`), or run in another directory`);
    }
    stale = other;
    fs.rmSync(file, { force: true });
  }
  throw new Error(`cannot take ${file}: another \`cutover up\` is starting in this directory`);
}

/** Where the control API of a running `cutover up` is and its token: --control (with CUTOVER_CONTROL_TOKEN), CUTOVER_CONTROL_URL, or .cutover/control.json. */
export function findControl(explicit?: string, cwd = process.cwd()): { url: string; token?: string } {
  const given = explicit ?? process.env.CUTOVER_CONTROL_URL;
  if (given) return { url: given, ...(process.env.CUTOVER_CONTROL_TOKEN ? { token: process.env.CUTOVER_CONTROL_TOKEN } : {}) };
  const file = path.join(cwd, STATE_FILE);
  let state: ControlState;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as ControlState;
  } catch {
    throw new Error(`no running \`cutover up\` found: ${file} does not exist. Start one with \`npx cutover up <manifests...>\` in this directory, or pass --control <url>`);
  }
  if (state.url === '') throw new Error(`\`cutover up\` (pid ${state.pid}) is still starting: its control API is not listening yet`);
  return { url: state.url, ...(state.token ? { token: state.token } : {}) };
}

export async function callControl<T>(control: { url: string; token?: string }, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const base = control.url;
  let res: Response;
  try {
    res = await fetch(`${base}${route}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(control.token ? { authorization: `Bearer ${control.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(`cannot reach \`cutover up\` at ${base}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message} (is it still running?)`, { cause: err });
  }
  const data = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(data.error ?? `${method} ${route} answered ${res.status}`);
  return data;
}
