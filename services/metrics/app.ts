// The Monitoring Web Service of the Helm production spec: metric points
// written over an API (token-guarded), kept for METRICS_RETENTION_DAYS on
// SQLite, and drawn as SVG line charts on request, at most
// MAX_CONCURRENT_CHARTS at once and each within CHART_GENERATION_TIMEOUT ms.
import crypto from 'node:crypto';
import { z } from 'zod';
import { createStoredServiceApp } from '../common/app.ts';
import type { ServiceConfig } from '../common/config.ts';
import type { Migration } from '../common/database.ts';
import type { BuiltService, ServiceDefinition } from '../common/service.ts';
import { HttpError, parseInput } from '../common/validation.ts';
import { lineChartSvg } from './chart.ts';

export const METRICS_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'points',
    sql: `CREATE TABLE points (id INTEGER PRIMARY KEY, metric TEXT NOT NULL, value REAL NOT NULL, at TEXT NOT NULL);
          CREATE INDEX points_metric_at ON points (metric, at);`,
  },
];

const MetricName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/, 'expected a metric name such as test.deployment');

export const PointRequest = z.object({
  metric: MetricName,
  value: z.number().finite('expected a finite number'),
  timestamp: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time such as 2025-01-09T12:00:00Z' }).optional(),
});

const RANGES_MS: Record<string, number> = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const ChartQuery = z.object({
  metric: MetricName,
  timeRange: z.enum(Object.keys(RANGES_MS) as [string, ...string[]], { message: `expected one of ${Object.keys(RANGES_MS).join(', ')}` }).default('1h'),
});

export interface MetricsOptions {
  /** Writes need "Authorization: Bearer <token>" when set (API_TOKEN, from the chart's secret). */
  apiToken?: string;
  retentionDays: number;
  chartTimeoutMs: number;
  maxConcurrentCharts: number;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest();

export async function buildMetrics(config: ServiceConfig, options: MetricsOptions): Promise<BuiltService> {
  const service = await createStoredServiceApp({ service: 'metrics', config, migrations: METRICS_MIGRATIONS });
  const { app, db } = service;
  const insert = db.prepare('INSERT INTO points (metric, value, at) VALUES (?, ?, ?)');
  const summary = db.prepare('SELECT count(*) AS count, min(at) AS first, max(at) AS last FROM points WHERE metric = ?');
  const inRange = db.prepare('SELECT value, at FROM points WHERE metric = ? AND at >= ? ORDER BY at');
  const expire = db.prepare('DELETE FROM points WHERE at < ?');
  const pruneOld = () => expire.run(new Date(Date.now() - options.retentionDays * 86_400_000).toISOString());
  pruneOld();
  const pruning = setInterval(pruneOld, 3_600_000);
  pruning.unref();
  const tokenHash = options.apiToken ? sha256(options.apiToken) : undefined;
  let chartsDrawing = 0;

  app.post('/api/v1/metrics', async (request, reply) => {
    if (tokenHash !== undefined) {
      const auth = request.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      if (given === '' || !crypto.timingSafeEqual(sha256(given), tokenHash)) throw new HttpError(401, 'expected "Authorization: Bearer <API token>"');
    }
    const point = parseInput(PointRequest, request.body, 'body');
    const at = point.timestamp !== undefined ? new Date(point.timestamp).toISOString() : new Date().toISOString();
    const { lastInsertRowid } = insert.run(point.metric, point.value, at);
    reply.code(201);
    return { id: Number(lastInsertRowid), metric: point.metric, value: point.value, timestamp: at };
  });

  app.get('/api/v1/metrics/:metric', async (request) => {
    const { metric } = parseInput(z.object({ metric: MetricName }), request.params, 'path');
    const row = summary.get(metric) as { count: number; first: string | null; last: string | null };
    if (row.count === 0) throw new HttpError(404, `no points of metric "${metric}"`);
    return { metric, ...row };
  });

  app.get('/api/v1/charts/generate', async (request, reply) => {
    const query = parseInput(ChartQuery, request.query, 'query');
    if (chartsDrawing >= options.maxConcurrentCharts) throw new HttpError(429, `${chartsDrawing} charts are being drawn (MAX_CONCURRENT_CHARTS ${options.maxConcurrentCharts}); try again`);
    chartsDrawing++;
    try {
      const started = performance.now();
      const since = new Date(Date.now() - (RANGES_MS[query.timeRange] as number)).toISOString();
      const points = (inRange.all(query.metric, since) as { value: number; at: string }[]).map((p) => ({ at: Date.parse(p.at), value: p.value }));
      const svg = lineChartSvg(query.metric, points);
      const ms = performance.now() - started;
      if (ms > options.chartTimeoutMs) throw new HttpError(503, `chart of ${query.metric} took ${ms.toFixed(0)} ms, over CHART_GENERATION_TIMEOUT ${options.chartTimeoutMs}`);
      reply.type('image/svg+xml').header('X-Chart-Points', String(points.length)).header('Server-Timing', `chart;dur=${ms.toFixed(1)}`);
      return svg;
    } finally {
      chartsDrawing--;
    }
  });

  return {
    service,
    close: async () => {
      clearInterval(pruning);
      db.close();
    },
  };
}

const positive = (name: string, value: string | undefined, otherwise: number): number => {
  if (value === undefined || value === '') return otherwise;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${JSON.stringify(value)}: expected a positive number`);
  return n;
};

export const metrics: ServiceDefinition = {
  name: 'metrics',
  defaultPort: 3000,
  migrations: METRICS_MIGRATIONS,
  build: (config, env) =>
    buildMetrics(config, {
      ...(env.API_TOKEN ? { apiToken: env.API_TOKEN } : {}),
      retentionDays: positive('METRICS_RETENTION_DAYS', env.METRICS_RETENTION_DAYS, 90),
      chartTimeoutMs: positive('CHART_GENERATION_TIMEOUT', env.CHART_GENERATION_TIMEOUT, 30_000),
      maxConcurrentCharts: positive('MAX_CONCURRENT_CHARTS', env.MAX_CONCURRENT_CHARTS, 10),
    }),
};
