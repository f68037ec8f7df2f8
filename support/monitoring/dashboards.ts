// Grafana dashboards (the JSON model Grafana imports and exports): read with
// zod so a broken file names its panel, listed as the PromQL queries they
// run, with Grafana's variables filled in so the queries run against a real
// Prometheus, and the metric names each query reads (to check that every
// name is one the services, the router, the platform or a recording rule
// really exports).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { alertingRules, type LoadedRuleFile, recordingRules } from './rules.ts';

const Target = z.object({ refId: z.string(), expr: z.string().min(1, 'expected a PromQL query'), legendFormat: z.string().optional() }).passthrough();
const Thresholds = z.object({ mode: z.enum(['absolute', 'percentage']), steps: z.array(z.object({ color: z.string(), value: z.number().nullable() })) });
const Panel = z
  .object({
    id: z.number().int(),
    type: z.string(),
    title: z.string().min(1),
    description: z.string().optional(),
    targets: z.array(Target).optional(),
    fieldConfig: z.object({ defaults: z.object({ unit: z.string().optional(), thresholds: Thresholds.optional() }).passthrough() }).passthrough().optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export const DashboardSchema = z
  .object({
    uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'expected a uid of at most 40 letters, digits, - or _'),
    title: z.string().min(1),
    panels: z.array(Panel).min(1),
    templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() }).passthrough()) }).optional(),
  })
  .passthrough();
export type Dashboard = z.infer<typeof DashboardSchema>;
export type DashboardPanel = z.infer<typeof Panel>;

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

export function parseDashboard(text: string, file: string): LoadedDashboard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = DashboardSchema.safeParse(json);
  if (!parsed.success) {
    const where = (p: PropertyKey[]) => {
      // Name the panel by its title: "panels[3]" alone is hard to find in Grafana.
      if (p[0] === 'panels' && typeof p[1] === 'number') {
        const title = (json as { panels?: { title?: string }[] }).panels?.[p[1]]?.title;
        return `panel ${p[1]}${title ? ` "${title}"` : ''}${p.length > 2 ? ` ${p.slice(2).join('.')}` : ''}`;
      }
      return p.join('.') || '(top)';
    };
    throw new Error(`${file}: not a Grafana dashboard:\n${parsed.error.issues.map((i) => `  ${where(i.path)}: ${i.message}`).join('\n')}`);
  }
  return { file, dashboard: parsed.data };
}

export function loadDashboards(dir: string): LoadedDashboard[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`${dir}: no dashboards (*.json) there`);
  return files.map((f) => parseDashboard(fs.readFileSync(path.join(dir, f), 'utf8'), path.join(dir, f)));
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function dashboardQueries(d: LoadedDashboard): DashboardQuery[] {
  return d.dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ dashboard: d.dashboard.title, panel: p.title, refId: t.refId, expr: t.expr })));
}

/**
 * A query with Grafana's variables filled in: $__rate_interval and
 * $__interval by a window, dashboard variables by the values given, and any
 * other $name by ".*" (Grafana's "All").
 */
export function expandVariables(expr: string, values: Record<string, string> = {}, window = '1m'): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, window)
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => values[name] ?? '.*');
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL query reads (functions, aggregations, keywords, labels and strings left out). */
export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m as unknown as [string, string, string | undefined];
    if (call) continue; // a function or an aggregation
    if (PROMQL_WORDS.has(name.toLowerCase())) continue;
    const before = text[(m.index as number) - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // part of a number such as 1e3
    names.add(name);
  }
  return [...names];
}

/** The red threshold a panel draws, if any. */
export function panelThreshold(p: DashboardPanel): number | undefined {
  const steps = p.fieldConfig?.defaults.thresholds?.steps ?? [];
  return steps.find((s) => s.value !== null)?.value ?? undefined;
}

/** The series names a Prometheus text exposition offers (a histogram's _bucket, _sum and _count; a summary's _sum and _count). */
export function exportedMetricNames(exposition: string): string[] {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const n = name as string;
    names.add(n);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(n + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(n + s);
  }
  return [...names];
}

export interface ThresholdCheck {
  dashboard: string;
  what: string;
  dashboard_value: unknown;
  rules_value: unknown;
  ok: boolean;
}

/**
 * For each service dashboard (uid cutover-<service>): the error-rate panel
 * draws HighErrorRate's bound, the latency panel draws the service's
 * service:latency_target_seconds, and an alert list shows that service's alerts.
 */
export function dashboardThresholdChecks(dashboards: LoadedDashboard[], ruleFiles: LoadedRuleFile[]): ThresholdCheck[] {
  const errorRule = alertingRules(ruleFiles).find((a) => a.alert === 'HighErrorRate');
  const errorBound = errorRule ? Number(/>\s*([\d.]+)\s*$/.exec(errorRule.expr.trim())?.[1]) : undefined;
  const targets = new Map(
    recordingRules(ruleFiles)
      .filter((r) => r.record === 'service:latency_target_seconds')
      .map((r) => [r.labels?.service, Number(/vector\(\s*([\d.]+)\s*\)/.exec(r.expr)?.[1])]),
  );
  const checks: ThresholdCheck[] = [];
  for (const { dashboard } of dashboards) {
    const service = /^cutover-(.+)$/.exec(dashboard.uid)?.[1];
    if (service === undefined || !targets.has(service)) continue;
    const panel = (unit: string, title: RegExp) => dashboard.panels.find((p) => p.fieldConfig?.defaults.unit === unit && title.test(p.title));
    const errors = panel('percentunit', /error/i);
    checks.push({ dashboard: dashboard.title, what: 'error-rate threshold', dashboard_value: errors && panelThreshold(errors), rules_value: errorBound, ok: errors !== undefined && panelThreshold(errors) === errorBound });
    const latency = panel('s', /latency/i);
    checks.push({ dashboard: dashboard.title, what: 'p95 latency threshold', dashboard_value: latency && panelThreshold(latency), rules_value: targets.get(service), ok: latency !== undefined && panelThreshold(latency) === targets.get(service) });
    const list = dashboard.panels.find((p) => p.type === 'alertlist');
    const filter = list?.options?.alertInstanceLabelFilter;
    checks.push({ dashboard: dashboard.title, what: 'alert list', dashboard_value: filter, rules_value: `{service="${service}"}`, ok: filter === `{service="${service}"}` });
  }
  return checks;
}

/** The rules, alerts and dashboards a monitoring document does not name (each as `name`, in backquotes). */
export function undocumented(doc: string, ruleFiles: LoadedRuleFile[], dashboards: LoadedDashboard[]): string[] {
  const names = [
    ...new Set(recordingRules(ruleFiles).map((r) => r.record)),
    ...alertingRules(ruleFiles).map((a) => a.alert),
    ...dashboards.map((d) => path.basename(d.file)),
    ...dashboards.map((d) => d.dashboard.uid),
  ];
  return names.filter((n) => !doc.includes(`\`${n}\``) && !(n.startsWith('cutover-') && doc.includes('`cutover-<service>`')));
}
