// The cutover router: one reverse-proxy listener per Service, sending each
// request to a backend group (stable, canary, active, preview...) by weight.
//
// - Exact proportions: smooth weighted round-robin between groups (nginx's
//   algorithm), so weights 10/90 give exactly 10 and 90 of every 100 requests;
//   round-robin among a group's replicas.
// - A switch loses no request: new requests go to the new groups at once,
//   requests in flight on a removed backend finish there (up to the drain
//   timeout, then they are cut), and only then are its connections closed.
// - Keep-alive pools to backends; X-Forwarded-For/Proto/Host; W3C traceparent
//   (the caller's trace kept, or one started); WebSocket upgrades.
// - A request whose connection was refused is tried once on another backend;
//   an idempotent request whose kept-alive connection was reset before any
//   answer is retried the same way (the backend closed an idle connection).
// - Outlier detection when asked (support/traffic/outlier-detection.ts): a
//   backend failing again and again is ejected for a while, then tried once.
// - Per-backend metrics in Prometheus format and as JSON; fault hooks for chaos.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
// The same even spread as the services' fault knobs, so a share means the same thing in both.
import { EvenShare } from '../../services/common/faults.ts';
import { CircuitBreaker, ejectionCap, type BreakerStats, type OutlierDetection } from './outlier-detection.ts';

export interface Backend {
  /** Unique within the router, e.g. the replica's name. */
  id: string;
  /** http://127.0.0.1:port */
  url: string;
  /** The version it serves, for metrics and evidence. */
  version?: string;
}

export interface BackendGroup {
  name: string;
  /** Relative weight; 0 sends nothing. */
  weight: number;
  backends: Backend[];
}

export interface RouterFaults {
  /** Share of requests (0..1) delayed by delayMs before being proxied. */
  delayShare?: number;
  delayMs?: number;
  /** Share of requests (0..1) answered by the router itself with abortStatus. */
  abortShare?: number;
  abortStatus?: number;
  /** Only requests to this group; all when unset. */
  group?: string;
}

export interface RouterOptions {
  /** The Service name, for metrics and error messages. */
  service: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How long a removed backend may finish its in-flight requests. */
  drainTimeoutMs?: number;
  /** Registry for the router's metrics; several routers may share one. */
  registry?: Registry;
  /** Per-request timeout towards a backend. */
  upstreamTimeoutMs?: number;
  /**
   * Keep connections to backends open between requests (default true). Off
   * when a backend is a Kubernetes Service: kube-proxy picks a pod per
   * connection, so a kept connection would stay on its pod through a switch.
   */
  upstreamKeepAlive?: boolean;
  /**
   * How many times a refused (or, idempotent, reset) request is tried again
   * (default 2). More in front of a Kubernetes Service: kube-proxy picks a pod
   * per connection, and may pick again the one that just went away.
   */
  retries?: number;
  /**
   * A connection to a backend not made within this is dropped and the request
   * tried again like a refused one (nothing was sent). Unset: the OS decides.
   * In front of a Kubernetes Service, kube-proxy may still send a connection
   * to a pod that is gone, whose address then answers nothing at all.
   */
  connectTimeoutMs?: number;
  /** Eject backends that fail in a row (a circuit breaker per backend); off when unset. */
  outlierDetection?: OutlierDetection;
  /**
   * An Ingress with TLS (ingress-nginx's ssl-redirect): the port HTTPS is
   * served on, to which a plain HTTP request is redirected (308); undefined
   * while there is none.
   */
  httpsRedirectPort?: () => number | undefined;
  /** The Strict-Transport-Security value added to answers given over TLS (ingress-nginx's hsts, on by default); unset: none. */
  hsts?: string;
}

export interface BackendStats {
  id: string;
  group: string;
  version: string;
  url: string;
  state: 'active' | 'draining' | 'closed';
  inFlight: number;
  /** Upgraded connections (WebSockets) open through it: a drain waits for them too. */
  openUpgrades?: number;
  requests: number;
  byClass: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error', number>;
  /** Body bytes passed on to the backend (requests) and from it (responses), WebSocket frames included. */
  bytesToBackend: number;
  bytesFromBackend: number;
  /** The circuit breaker, when outlier detection is on. */
  breaker?: BreakerStats;
}

export interface RouterStats {
  service: string;
  url: string;
  groups: { name: string; weight: number; backends: string[] }[];
  backends: BackendStats[];
  noBackend: number;
  injectedAborts: number;
  injectedDelays: number;
  retries: number;
  /** Drains ended because the backend was listed again before it had drained. */
  drainsCancelled: number;
  /** Backends ejected by outlier detection, counted each time. */
  ejections: number;
  /** The outlier detection policy in force, if any. */
  outlierDetection?: OutlierDetection;
}

interface BackendState {
  backend: Backend;
  group: string;
  agent: http.Agent;
  target: URL;
  state: 'active' | 'draining' | 'closed';
  inFlight: Set<http.ClientRequest>;
  sockets: Set<Duplex>;
  stats: BackendStats;
  breaker?: CircuitBreaker;
  /** Metric children per status class, labelled once instead of on every request. */
  recorders: Map<StatusClass, { requests: { inc(): void }; duration: { observe(v: number): void } }>;
  drained?: () => void;
  /** Ends a drain because the backend is listed again: it stays, with its connections. */
  cancelDrain?: () => void;
}

interface GroupState {
  name: string;
  weight: number;
  current: number;
  next: number;
  /** Always active: setGroups drains every backend it no longer lists. */
  backends: BackendState[];
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'];

type StatusClass = keyof BackendStats['byClass'];
const classOf = (status: number) => `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as StatusClass;

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/**
 * W3C Trace Context through the router, as a proxy that takes part in the
 * trace: the caller's trace id is kept with the router as the new parent (a
 * span id of its own), or a trace is started when the caller sent none or an
 * invalid one (all-zero ids are invalid).
 */
export function nextTraceparent(incoming: string | string[] | undefined): string {
  const m = typeof incoming === 'string' ? TRACEPARENT.exec(incoming.trim()) : null;
  const valid = m !== null && !/^0+$/.test(m[1] as string);
  const traceId = valid ? (m[1] as string) : randomHex(16);
  const flags = valid ? (m[2] as string) : '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

// Ids for every proxied request: random bytes drawn from a pool filled 4 KiB at a time, off the per-request path.
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = crypto.randomBytes(4096);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString('hex', randomOffset - bytes, randomOffset);
}

/** A response's status line and headers as raw HTTP, for a socket taken over by an upgrade. */
function rawHead(res: http.IncomingMessage): string {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const ROUTERS_BY_REGISTRY = new WeakMap<Registry, Set<ServiceRouter>>();

export class ServiceRouter {
  readonly service: string;
  private readonly server: http.Server;
  private readonly backends = new Map<string, BackendState>();
  private groups: GroupState[] = [];
  private faults: RouterFaults = {};
  private delayPicker = new EvenShare(0);
  private abortPicker = new EvenShare(0);
  private readonly drainTimeoutMs: number;
  private readonly upstreamTimeoutMs: number;
  private counters = { noBackend: 0, injectedAborts: 0, injectedDelays: 0, retries: 0, drainsCancelled: 0, ejections: 0 };
  private outlierDetection: OutlierDetection | undefined;
  private readonly metrics;
  private address = '';

  constructor(private readonly options: RouterOptions) {
    this.service = options.service;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
    this.outlierDetection = options.outlierDetection;
    const registry = options.registry ?? new Registry();
    const labelNames = ['service', 'group', 'backend', 'version', 'code_class'] as const;
    // Routers sharing a registry share its metrics, told apart by the service label.
    const shared = <M>(name: string, create: () => M) => (registry.getSingleMetric(name) as M | undefined) ?? create();
    this.metrics = {
      registry,
      requests: shared('cutover_router_requests_total', () =>
        new Counter({ name: 'cutover_router_requests_total', help: 'Requests proxied by the cutover router, by backend and status class', labelNames, registers: [registry] })),
      duration: shared('cutover_router_request_duration_seconds', () =>
        new Histogram({
          name: 'cutover_router_request_duration_seconds',
          help: 'Time from receiving a request to the end of its response, by backend',
          labelNames,
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5],
          registers: [registry],
        })),
      weight: shared('cutover_router_group_weight', () =>
        new Gauge({ name: 'cutover_router_group_weight', help: 'Traffic weight of each backend group', labelNames: ['service', 'group'], registers: [registry] })),
    };
    // Read at scrape time from every router on this registry: nothing is added to the request path.
    const routers = ROUTERS_BY_REGISTRY.get(registry) ?? new Set<ServiceRouter>();
    ROUTERS_BY_REGISTRY.set(registry, routers);
    routers.add(this);
    const backendLabels = ['service', 'group', 'backend', 'version'] as const;
    const perBackend = (name: string, help: string, extra: string[], values: (b: BackendState) => [Record<string, string>, number][]) =>
      shared(name, () =>
        new Gauge({
          name,
          help,
          labelNames: [...backendLabels, ...extra],
          registers: [registry],
          collect() {
            this.reset();
            for (const router of routers) {
              for (const b of router.backends.values()) {
                if (b.state === 'closed') continue;
                const base = { service: router.service, group: b.group, backend: b.backend.id, version: b.backend.version ?? 'unknown' };
                for (const [labels, v] of values(b)) this.set({ ...base, ...labels }, v);
              }
            }
          },
        }));
    perBackend('cutover_router_in_flight_requests', 'Requests passed to a backend and not answered yet, open WebSockets included (its active connections through the router)', [], (b) => [[{}, b.inFlight.size + b.sockets.size]]);
    perBackend('cutover_router_backend_bytes_total', 'Body bytes the router passed to a backend (direction="sent") and from it (direction="received")', ['direction'], (b) => [
      [{ direction: 'sent' }, b.stats.bytesToBackend],
      [{ direction: 'received' }, b.stats.bytesFromBackend],
    ]);
    perBackend('cutover_router_backend_ejected', 'Whether outlier detection keeps a backend out of rotation now (1) or not (0); only with outlier detection on', [], (b) => (b.breaker ? [[{}, b.breaker.state() === 'open' ? 1 : 0]] : []));
    perBackend('cutover_router_backend_ejections', 'Times outlier detection ejected a backend since it was listed', [], (b) => (b.breaker ? [[{}, b.breaker.stats().ejections]] : []));
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const { address, port } = this.server.address() as AddressInfo;
    this.address = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    return this.address;
  }

  get url(): string {
    return this.address;
  }

  /** Serves a connection accepted elsewhere (a TLS socket, once its handshake is done) like one of its own. */
  acceptConnection(socket: Duplex): void {
    this.server.emit('connection', socket);
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  /**
   * Replaces the routing table at once. Backends no longer listed drain:
   * resolves when they have (`drained: true`) or the drain timeout cut them.
   */
  async setGroups(groups: BackendGroup[]): Promise<{ drained: boolean }> {
    const listed = new Set<string>();
    const next: GroupState[] = [];
    for (const g of groups) {
      if (!(g.weight >= 0)) throw new Error(`router ${this.service}: weight of group "${g.name}" must be 0 or more, got ${g.weight}`);
      const previous = this.groups.find((p) => p.name === g.name);
      const states = g.backends.map((b) => {
        listed.add(b.id);
        return this.backendState(b, g.name);
      });
      next.push({ name: g.name, weight: g.weight, current: previous?.current ?? 0, next: previous?.next ?? 0, backends: states });
      this.metrics.weight.set({ service: this.service, group: g.name }, g.weight);
    }
    this.groups = next;
    const removed = [...this.backends.values()].filter((b) => !listed.has(b.backend.id) && b.state === 'active');
    const results = await Promise.all(removed.map((b) => this.drain(b)));
    return { drained: results.every(Boolean) };
  }

  /** Turns outlier detection on, changes its policy, or (undefined) turns it off: every backend back in rotation. */
  setOutlierDetection(policy: OutlierDetection | undefined): void {
    this.outlierDetection = policy;
    for (const b of this.backends.values()) {
      if (policy === undefined) b.breaker = undefined;
      else if (b.breaker) b.breaker.setPolicy(policy);
      else b.breaker = new CircuitBreaker(policy, this.upstreamTimeoutMs);
    }
  }

  setFaults(faults: RouterFaults): void {
    this.faults = faults;
    this.delayPicker = new EvenShare(faults.delayMs ? (faults.delayShare ?? 1) : 0);
    this.abortPicker = new EvenShare(faults.abortShare ?? 0);
  }

  stats(): RouterStats {
    return {
      service: this.service,
      url: this.address,
      groups: this.groups.map((g) => ({ name: g.name, weight: g.weight, backends: g.backends.map((b) => b.backend.id) })),
      backends: [...this.backends.values()].map((b) => ({ ...b.stats, state: b.state, inFlight: b.inFlight.size, openUpgrades: b.sockets.size, byClass: { ...b.stats.byClass }, ...(b.breaker ? { breaker: b.breaker.stats() } : {}) })),
      ...this.counters,
      ...(this.outlierDetection ? { outlierDetection: { ...this.outlierDetection } } : {}),
    };
  }

  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  /** Stops listening, drains every backend (bounded by the drain timeout) and closes all connections. */
  async close(): Promise<void> {
    ROUTERS_BY_REGISTRY.get(this.metrics.registry)?.delete(this);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    await Promise.all([...this.backends.values()].filter((b) => b.state === 'active').map((b) => this.drain(b)));
    this.server.closeAllConnections();
  }

  private backendState(backend: Backend, group: string): BackendState {
    const existing = this.backends.get(backend.id);
    if (existing && existing.state === 'draining' && existing.cancelDrain) {
      // Listed again while draining (a rollback within the drain): the drain is cancelled, nothing is cut.
      existing.cancelDrain();
      this.counters.drainsCancelled++;
    }
    if (existing && existing.state === 'active') {
      if (existing.group !== group) {
        existing.group = group;
        existing.stats.group = group;
        existing.recorders.clear();
      }
      if (existing.backend.url !== backend.url) {
        // Same pod, new address (a fault proxy put in front of it): new requests go there; the agent pools per address.
        existing.backend = backend;
        existing.target = new URL(backend.url);
        existing.stats.url = backend.url;
      }
      return existing;
    }
    const state: BackendState = {
      backend,
      group,
      agent: new http.Agent({ keepAlive: this.options.upstreamKeepAlive ?? true, maxSockets: 512, keepAliveMsecs: 1000 }),
      target: new URL(backend.url),
      state: 'active',
      inFlight: new Set(),
      sockets: new Set(),
      stats: {
        id: backend.id,
        group,
        version: backend.version ?? 'unknown',
        url: backend.url,
        state: 'active',
        inFlight: 0,
        requests: 0,
        byClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, error: 0 },
        bytesToBackend: 0,
        bytesFromBackend: 0,
      },
      recorders: new Map(),
      ...(this.outlierDetection ? { breaker: new CircuitBreaker(this.outlierDetection, this.upstreamTimeoutMs) } : {}),
    };
    this.backends.set(backend.id, state);
    return state;
  }

  private drain(b: BackendState): Promise<boolean> {
    b.state = 'draining';
    const finish = (drained: boolean) => {
      b.state = 'closed';
      b.agent.destroy();
      for (const s of b.sockets) s.destroy();
      if (this.backends.get(b.backend.id) === b) this.backends.delete(b.backend.id);
      return drained;
    };
    if (b.inFlight.size === 0 && b.sockets.size === 0) return Promise.resolve(finish(true));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        for (const r of b.inFlight) r.destroy(new Error('drain timeout: request cut'));
        resolve(finish(false));
      }, this.drainTimeoutMs);
      b.drained = () => {
        clearTimeout(timer);
        resolve(finish(true));
      };
      b.cancelDrain = () => {
        clearTimeout(timer);
        b.drained = undefined;
        b.cancelDrain = undefined;
        b.state = 'active';
        resolve(true);
      };
    });
  }

  private settle(b: BackendState): void {
    if (b.state === 'draining' && b.inFlight.size === 0 && b.sockets.size === 0) b.drained?.();
  }

  /**
   * Smooth weighted round-robin over groups with a usable backend; round-robin
   * inside the group. Usable: not `exclude` (a backend that just refused, only
   * set on a retry) and not ejected by outlier detection. When outlier
   * detection leaves no group usable, it is ignored (Envoy's panic routing):
   * a failing backend still answers better than none.
   */
  private pick(exclude?: BackendState): BackendState | undefined {
    const now = Date.now();
    const chosen = this.pickWhere((b) => b !== exclude && (b.breaker === undefined || b.breaker.available(now))) ?? (this.outlierDetection ? this.pickWhere((b) => b !== exclude) : undefined);
    chosen?.breaker?.sent(now);
    return chosen;
  }

  private pickWhere(usable: (b: BackendState) => boolean): BackendState | undefined {
    let total = 0;
    let best: GroupState | undefined;
    for (const g of this.groups) {
      if (g.weight === 0 || !g.backends.some(usable)) continue;
      g.current += g.weight;
      total += g.weight;
      if (best === undefined || g.current > best.current) best = g;
    }
    if (best === undefined) return undefined;
    best.current -= total;
    const candidates = best.backends.filter(usable);
    const chosen = candidates[best.next % candidates.length] as BackendState;
    best.next = (best.next + 1) % candidates.length;
    return chosen;
  }

  /** Tells a backend's breaker how an attempt ended; ejects it when the Service's cap leaves room. */
  private outcome(b: BackendState, failed: boolean): void {
    const breaker = b.breaker;
    if (breaker === undefined || this.outlierDetection === undefined) return;
    if (!failed) {
      breaker.succeeded();
      return;
    }
    const active = [...this.backends.values()].filter((x) => x.state === 'active');
    const ejected = active.filter((x) => x.breaker?.state() === 'open').length;
    if (breaker.failed(ejected < ejectionCap(this.outlierDetection, active.length))) this.counters.ejections++;
  }

  /** Counts a finished request (and its duration, when it got an answer) for a backend. */
  private record(b: BackendState, cls: StatusClass, startedAt?: number): void {
    b.stats.byClass[cls]++;
    let recorder = b.recorders.get(cls);
    if (recorder === undefined) {
      const labels = { service: this.service, group: b.group, backend: b.backend.id, version: b.backend.version ?? 'unknown', code_class: cls };
      recorder = { requests: this.metrics.requests.labels(labels), duration: this.metrics.duration.labels(labels) };
      b.recorders.set(cls, recorder);
    }
    recorder.requests.inc();
    if (startedAt !== undefined) recorder.duration.observe((performance.now() - startedAt) / 1000);
  }

  private forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const peer = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
    headers['x-forwarded-proto'] ??= (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    if (req.headers.host) headers['x-forwarded-host'] ??= req.headers.host;
    headers.traceparent = nextTraceparent(req.headers.traceparent);
    return headers;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const httpsPort = (req.socket as { encrypted?: boolean }).encrypted ? undefined : this.options.httpsRedirectPort?.();
    if (httpsPort !== undefined) {
      const hostname = (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
      res.writeHead(308, { location: `https://${hostname}:${httpsPort}${req.url ?? '/'}`, 'x-cutover-router': this.service });
      res.end();
      return;
    }
    const backend = this.pick();
    if (backend === undefined) {
      this.counters.noBackend++;
      res.writeHead(503, { 'content-type': 'application/json', 'x-cutover-router': this.service });
      res.end(JSON.stringify({ error: `no ready backend for service "${this.service}"` }));
      return;
    }
    const faulted = this.faults.group === undefined || this.faults.group === backend.group;
    if (faulted && this.faults.delayMs && this.delayPicker.next()) {
      this.counters.injectedDelays++;
      await new Promise((r) => setTimeout(r, this.faults.delayMs));
    }
    if (faulted && this.abortPicker.next()) {
      this.counters.injectedAborts++;
      res.writeHead(this.faults.abortStatus ?? 503, { 'content-type': 'application/json', 'x-cutover-router': this.service });
      res.end(JSON.stringify({ error: 'fault injected by the cutover router' }));
      return;
    }
    // Buffer nothing: the body streams once, so a retry is only possible before it was sent.
    const retryable = IDEMPOTENT.has(req.method ?? 'GET') && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') && req.headers['transfer-encoding'] === undefined;
    const headers = this.forwardedHeaders(req);
    let current: http.ClientRequest | undefined;
    // The client went away: stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) current?.destroy();
    });
    const attempt = (b: BackendState, retriesLeft: number) => {
      b.stats.requests++;
      const upstream = http.request({
        agent: b.agent,
        hostname: b.target.hostname,
        port: b.target.port,
        method: req.method,
        path: req.url,
        headers,
        timeout: this.upstreamTimeoutMs,
      });
      current = upstream;
      b.inFlight.add(upstream);
      let answered = false;
      const done = () => {
        b.inFlight.delete(upstream);
        this.settle(b);
      };
      upstream.on('response', (upstreamRes) => {
        answered = true;
        const status = upstreamRes.statusCode ?? 502;
        this.outcome(b, status >= 500);
        const headers = { ...upstreamRes.headers };
        for (const h of HOP_BY_HOP) delete headers[h];
        if (this.options.hsts !== undefined && (req.socket as { encrypted?: boolean }).encrypted) headers['strict-transport-security'] ??= this.options.hsts;
        res.writeHead(status, headers);
        upstreamRes.on('data', (chunk: Buffer) => (b.stats.bytesFromBackend += chunk.length));
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => {
          this.record(b, classOf(status), started);
          done();
        });
        upstreamRes.on('error', () => {
          res.destroy();
          done();
        });
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`no answer from ${b.backend.id} within ${this.upstreamTimeoutMs} ms`)));
      const connectMs = this.options.connectTimeoutMs;
      if (connectMs !== undefined) {
        upstream.once('socket', (socket: Socket) => {
          if (!socket.connecting) return;
          const timer = setTimeout(() => upstream.destroy(Object.assign(new Error(`no connection to ${b.backend.id} within ${connectMs} ms`), { code: 'ECONNTIMEOUT' })), connectMs);
          socket.once('connect', () => clearTimeout(timer));
          socket.once('close', () => clearTimeout(timer));
        });
      }
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        done();
        if (answered) {
          res.destroy();
          return;
        }
        // The client went away first: nothing is known of the backend.
        if (res.destroyed) b.breaker?.abandoned();
        else this.outcome(b, true);
        const refused = err.code === 'ECONNREFUSED' || err.code === 'ECONNTIMEOUT';
        // Closed before any answer: a stale keep-alive socket, or a backend that
        // is gone behind something still accepting for it (Docker's port proxy
        // in front of a killed container). Only idempotent requests are sent again,
        // as Envoy's retry_on "reset" does.
        const reset = err.code === 'ECONNRESET' || err.message === 'socket hang up';
        if (retriesLeft > 0 && (refused || (reset && retryable))) {
          const other = this.pick(b) ?? (b.state === 'active' ? b : undefined);
          if (other) {
            this.counters.retries++;
            attempt(other, retriesLeft - 1);
            return;
          }
        }
        this.record(b, 'error');
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json', 'x-cutover-router': this.service });
          res.end(JSON.stringify({ error: `backend ${b.backend.id} of service "${this.service}" failed: ${err.message}` }));
        } else {
          res.destroy();
        }
      });
      if (retryable) upstream.end();
      else {
        // Only requests without a body are retried, so the bytes go to this one backend.
        req.on('data', (chunk: Buffer) => (b.stats.bytesToBackend += chunk.length));
        req.pipe(upstream);
      }
    };
    attempt(backend, this.options.retries ?? 2);
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const b = this.pick();
    if (b === undefined) {
      this.counters.noBackend++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const headers = this.forwardedHeaders(req);
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade;
    const upstream = http.request({ hostname: b.target.hostname, port: b.target.port, method: req.method, path: req.url, headers });
    b.stats.requests++;
    // Until the backend answers the upgrade, it has as long as any request; after it, the connection lives as long as the WebSocket.
    const answerTimer = setTimeout(() => upstream.destroy(new Error(`no answer to the upgrade from ${b.backend.id} within ${this.upstreamTimeoutMs} ms`)), this.upstreamTimeoutMs);
    socket.on('error', () => upstream.destroy());
    upstream.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
      clearTimeout(answerTimer);
      this.outcome(b, false);
      this.record(b, '1xx');
      socket.write(rawHead(upstreamRes));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      // A WebSocket holds its backend until it closes, or the drain timeout cuts it.
      b.sockets.add(upstreamSocket);
      const close = () => {
        socket.destroy();
        upstreamSocket.destroy();
        if (b.sockets.delete(upstreamSocket)) this.settle(b);
      };
      upstreamSocket.on('close', close);
      socket.on('close', close);
      upstreamSocket.on('error', close);
      socket.on('error', close);
      upstreamSocket.on('data', (chunk: Buffer) => (b.stats.bytesFromBackend += chunk.length));
      socket.on('data', (chunk: Buffer) => (b.stats.bytesToBackend += chunk.length));
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });
    upstream.on('response', (upstreamRes) => {
      clearTimeout(answerTimer);
      // The backend refused to upgrade: pass its answer on.
      this.outcome(b, (upstreamRes.statusCode ?? 502) >= 500);
      this.record(b, classOf(upstreamRes.statusCode ?? 502));
      socket.write(rawHead(upstreamRes));
      upstreamRes.pipe(socket);
    });
    upstream.on('error', () => {
      clearTimeout(answerTimer);
      this.outcome(b, true);
      this.record(b, 'error');
      if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
    upstream.end();
  }
}

/** An HTTP endpoint on loopback serving a registry's metrics (every router sharing it) for Prometheus; address is host:port. */
export async function serveMetrics(registry: Registry): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}
