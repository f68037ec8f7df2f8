// What the monitoring steps check against a running Prometheus: that it
// scrapes every replica, router and the rollout metrics; that every rule
// evaluates; that every dashboard query returns data; and that an alert fires
// or resolves. Every wait polls once a second up to a stated bound and, on
// timeout, says what it last saw.
import { dashboardQueries, expandVariables, type LoadedDashboard } from './dashboards.ts';
import type { PrometheusApi, PromAlert, PromRule, PromTarget } from './prometheus-api.ts';

export class MonitoringTimeout extends Error {
  override name = 'MonitoringTimeout';
}

/** Calls `check` every `intervalMs` until it returns { done: true } or `timeoutMs` passes; the timeout names what was expected and last seen. */
export async function pollUntil<T>(check: () => Promise<{ done: boolean; value: T; seen: string }>, timeoutMs: number, expected: string, intervalMs = 1000): Promise<{ value: T; afterMs: number }> {
  const started = Date.now();
  let last: string;
  for (;;) {
    try {
      const r = await check();
      if (r.done) return { value: r.value, afterMs: Date.now() - started };
      last = r.seen;
    } catch (err) {
      last = `error: ${(err as Error).message}`;
    }
    if (Date.now() - started >= timeoutMs) throw new MonitoringTimeout(`expected ${expected} within ${Math.round(timeoutMs / 1000)} s; last seen: ${last}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ExpectedReplicas {
  rollout: string;
  replicas: number;
}

export interface TargetReport {
  pods: Record<string, { up: number; down: number }>;
  otherJobs: Record<string, { up: number; down: number }>;
  targets: Pick<PromTarget, 'scrapePool' | 'scrapeUrl' | 'health' | 'lastError' | 'labels'>[];
}

function summarize(targets: PromTarget[]): TargetReport {
  const pods: TargetReport['pods'] = {};
  const otherJobs: TargetReport['otherJobs'] = {};
  for (const t of targets) {
    const bucket = t.labels.job === 'pods' ? (pods[t.labels.rollout ?? t.labels.app ?? '?'] ??= { up: 0, down: 0 }) : (otherJobs[t.labels.job ?? t.scrapePool] ??= { up: 0, down: 0 });
    if (t.health === 'up') bucket.up++;
    else bucket.down++;
  }
  return { pods, otherJobs, targets: targets.map(({ scrapePool, scrapeUrl, health, lastError, labels }) => ({ scrapePool, scrapeUrl, health, lastError, labels })) };
}

/** Waits until every expected replica and the router/platform endpoint are scraped successfully and no target is down. */
export function waitForTargets(api: PrometheusApi, expected: ExpectedReplicas[], timeoutMs: number) {
  return pollUntil(
    async () => {
      const report = summarize(await api.targets());
      const missing = expected.filter((e) => (report.pods[e.rollout]?.up ?? 0) < e.replicas).map((e) => `${e.rollout}: ${report.pods[e.rollout]?.up ?? 0}/${e.replicas} replicas up`);
      const routers = report.otherJobs['cutover-router']?.up ?? 0;
      if (routers === 0) missing.push('the routers and rollout metrics endpoint (job cutover-router) not up');
      const down = report.targets.filter((t) => t.health !== 'up').map((t) => `${t.scrapeUrl} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`);
      return { done: missing.length === 0 && down.length === 0, value: report, seen: [...missing, ...down].join('; ') };
    },
    timeoutMs,
    `every replica of ${expected.map((e) => `${e.rollout} (${e.replicas})`).join(', ')} and the router endpoint scraped, none down`,
  );
}

/** Waits until every loaded rule has been evaluated without error. */
export function waitForRulesEvaluated(api: PrometheusApi, expectedCount: number, timeoutMs: number) {
  return pollUntil(
    async () => {
      const rules = await api.rules();
      const bad = rules.filter((r) => r.health !== 'ok');
      return {
        done: rules.length >= expectedCount && bad.length === 0,
        value: rules,
        seen: `${rules.length}/${expectedCount} rules loaded; not ok: ${bad.map((r: PromRule) => `${r.name} (${r.health}${r.lastError ? `: ${r.lastError}` : ''})`).join(', ') || 'none'}`,
      };
    },
    timeoutMs,
    `all ${expectedCount} rules evaluated with health "ok"`,
  );
}

export interface NamedQuery {
  /** What the query shows, for messages and evidence. */
  name: string;
  query: string;
  /** Series it must return at least (1 unless said). */
  atLeast?: number;
}

/** Runs every query until each returns at least its number of series, each a number (NaN is no data). */
export function waitForQueryData(api: PrometheusApi, queries: NamedQuery[], timeoutMs: number) {
  return pollUntil(
    async () => {
      const results: (NamedQuery & { series: number; sample?: string })[] = [];
      for (const q of queries) {
        const samples = (await api.query(q.query)).filter((s) => !Number.isNaN(Number(s.value[1])));
        results.push({ ...q, series: samples.length, sample: samples[0]?.value[1] });
      }
      const short = results.filter((r) => r.series < (r.atLeast ?? 1));
      return {
        done: short.length === 0,
        value: results,
        seen: `${short.length} of ${results.length} queries short of data: ${short.map((r) => `${r.name} (${r.series} of ${r.atLeast ?? 1} series)`).join(', ')}`,
      };
    },
    timeoutMs,
    `every one of the ${queries.length} queries to return its series`,
    2000,
  );
}

/** Runs every dashboard query (variables filled in) until each returns at least one series. */
export function waitForDashboardData(api: PrometheusApi, dashboards: LoadedDashboard[], variables: Record<string, string>, timeoutMs: number) {
  const queries = dashboards.flatMap(dashboardQueries).map((q) => ({ name: `${q.dashboard} / ${q.panel} ${q.refId}`, query: expandVariables(q.expr, variables) }));
  return waitForQueryData(api, queries, timeoutMs);
}

const matches = (a: PromAlert, name: string, labels: Record<string, string>) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v);

/** Waits until the alert is firing (not just pending) for series with these labels. */
export function waitForAlertFiring(api: PrometheusApi, name: string, labels: Record<string, string>, timeoutMs: number) {
  return pollUntil(
    async () => {
      const alerts = await api.alerts();
      const found = alerts.find((a) => matches(a, name, labels) && a.state === 'firing');
      const seen = alerts.map((a) => `${a.labels.alertname}{${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(',')}} ${a.state}`).join('; ') || 'no alerts';
      return { done: found !== undefined, value: found as PromAlert, seen };
    },
    timeoutMs,
    `alert ${name}${Object.keys(labels).length ? ` {${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : ''} firing`,
  );
}

/** Waits until no alert of that name with these labels is pending or firing. */
export function waitForAlertResolved(api: PrometheusApi, name: string, labels: Record<string, string>, timeoutMs: number) {
  return pollUntil(
    async () => {
      const active = (await api.alerts()).filter((a) => matches(a, name, labels));
      return { done: active.length === 0, value: undefined, seen: active.map((a) => `${a.labels.alertname} ${a.state} since ${a.activeAt}, value ${a.value}`).join('; ') };
    },
    timeoutMs,
    `alert ${name} resolved (neither pending nor firing)`,
  );
}
