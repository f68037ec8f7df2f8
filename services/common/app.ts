// The parts every service shares: identity headers, health and readiness,
// Prometheus metrics, fault knobs, security headers, rate limiting, input
// errors without stack traces, and a drain mode for graceful shutdown.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import path from 'node:path';
import type { ServiceConfig } from './config.ts';
import { migrationsApplied, openDatabase, type Db, type Migration } from './database.ts';
import { FaultInjector } from './faults.ts';
import { createServiceMetrics, type ServiceMetrics } from './metrics.ts';
import { traceIdOf } from './trace.ts';
import { HttpError, ValidationError } from './validation.ts';

export interface ServiceAppOptions {
  service: string;
  config: ServiceConfig;
  /** Readiness beyond "not draining": storage open, migrations applied. */
  isReady: () => boolean;
  /** Extra CSP sources a page of the service needs (e.g. 'ws:' for live pages). */
  connectSrc?: string[];
  /** Which routes the fault knobs act on; default: every route but /health, /ready, /metrics. */
  faultsApplyTo?: (request: FastifyRequest) => boolean;
}

export interface ServiceRoute {
  method: string;
  /** As declared, with :params. */
  url: string;
}

export interface ServiceApp {
  app: FastifyInstance;
  /** Every route the service serves, filled in as they are declared. */
  routes: ServiceRoute[];
  metrics: ServiceMetrics;
  faults: FaultInjector;
  /** Set once SIGTERM arrives: /ready fails and responses close their connection. */
  startDraining(): void;
  isDraining(): boolean;
}

/** Routes that describe the process rather than serve users: never faulted or rate limited. */
const OPERATIONAL = new Set(['/health', '/ready', '/metrics']);

export function isOperational(request: FastifyRequest): boolean {
  return OPERATIONAL.has(request.routeOptions.url ?? '');
}

export async function createServiceApp(opts: ServiceAppOptions): Promise<ServiceApp> {
  const { config } = opts;
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For is believed only when the peer is a configured proxy.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // Requests on kept-alive connections are still served while draining (with
    // Connection: close) instead of being answered 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Every log line of a request carries its W3C trace id (reqId), so a trace leads to its logs.
    genReqId: (req) => traceIdOf(req.headers.traceparent),
  });
  // Every route as it is declared, for the API documentation check (HEAD twins of GET left out).
  const routes: ServiceRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  const metrics = createServiceMetrics(opts.service, config.version, app.server);
  const faults = new FaultInjector(config.faults);
  let draining = false;

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'", ...(opts.connectSrc ?? [])],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  });

  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.ip,
      allowList: (request) => isOperational(request),
    });
  }

  // onSend runs for every response, including rate-limit and error replies.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('X-App-Version', config.version);
    reply.header('X-Trace-Id', request.id);
    if (draining) reply.header('Connection', 'close');
    return payload;
  });

  const faultable = opts.faultsApplyTo ?? ((request: FastifyRequest) => !isOperational(request));
  app.addHook('onRequest', async (request) => {
    if (!faultable(request)) return;
    await faults.delay();
    if (faults.shouldFail()) {
      throw new HttpError(500, `injected fault (version ${config.version})`);
    }
  });

  // 'close' comes once a response is sent or its client went away, so an aborted request leaves the count too.
  const inFlight = metrics.inFlight.labels({ version: config.version });
  app.addHook('onRequest', async (_request, reply) => {
    inFlight.inc();
    reply.raw.once('close', () => inFlight.dec());
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
      version: config.version,
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    // Every server error in the logs, injected ones too, findable by its trace id. A
    // 503 from /ready is a report (draining, or not ready yet), which a kubelet
    // keeps asking for while the pod stops: not an error.
    if (reply.statusCode >= 500 && labels.route === '/ready') request.log.info({ status: reply.statusCode, route: labels.route }, 'reported not ready');
    else if (reply.statusCode >= 500) request.log.error({ status: reply.statusCode, route: labels.route }, 'answered with a server error');
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ValidationError) {
      return reply.code(400).send({ error: 'invalid input', fields: error.fields });
    }
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ error: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own client errors (body too large, bad JSON, rate limited)
      // carry safe messages.
      return reply.code(status).send({ error: (error as Error).message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  // Unknown paths are rate limited too, so scanning costs budget like any request.
  const notFoundLimit = config.rateLimitPerMinute > 0 ? { preHandler: app.rateLimit() } : {};
  app.setNotFoundHandler(notFoundLimit, (request, reply) => {
    reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  // Browsers ask for it on every page; an empty answer keeps their consoles clean.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/health', async () => ({ status: 'ok', version: config.version }));
  app.get('/ready', async (_request, reply) => {
    const ready = !draining && opts.isReady();
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : draining ? 'draining' : 'not ready', version: config.version });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    app,
    metrics,
    faults,
    routes,
    startDraining: () => {
      draining = true;
    },
    isDraining: () => draining,
  };
}

/** A service with its SQLite database (`<dataDir>/<service>.db`); ready once migrations are applied. */
export async function createStoredServiceApp(
  opts: Omit<ServiceAppOptions, 'isReady'> & { migrations: Migration[] },
): Promise<ServiceApp & { db: Db }> {
  const db = openDatabase(path.join(opts.config.dataDir, `${opts.service}.db`), opts.migrations);
  const service = await createServiceApp({ ...opts, isReady: () => db.open && migrationsApplied(db, opts.migrations) });
  return { ...service, db };
}
