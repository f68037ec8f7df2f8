// Prometheus metrics for one service instance. Each app gets its own registry,
// so two instances in one process (tests) never share counters.
import type { Server } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status' | 'version'>;
  duration: Histogram<'method' | 'route' | 'status' | 'version'>;
  /** Requests received and not answered yet: the queue a slow replica builds up. */
  inFlight: Gauge<'version'>;
}

/** The service's metrics; `server` is its HTTP server, whose open connections are counted at each scrape. */
export function createServiceMetrics(service: string, version: string, server: Server): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status', 'version'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern, status and app version',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route pattern, status and app version',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const info = new Counter({
    name: 'app_info',
    help: 'Constant 1, labelled with the running version',
    labelNames: ['version'],
    registers: [registry],
  });
  info.inc({ version }, 1);
  const inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'Requests received and not yet answered (the queue depth of this replica)',
    labelNames: ['version'],
    registers: [registry],
  });
  inFlight.set({ version }, 0);
  new Gauge({
    name: 'http_open_connections',
    help: 'Open client connections, kept-alive ones included (active connections)',
    registers: [registry],
    async collect() {
      this.set(await new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count))));
    },
  });
  return { registry, requests, duration, inFlight };
}
