import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { startTestService } from '../../../services/common/testing.ts';
import { loadService } from '../../../services/registry.ts';
import { readProcessUsage, registerPodMetrics } from '../../platform/local/pod-metrics.ts';
import { RolloutMetrics } from '../../platform/local/rollout-metrics.ts';
import { ServiceRouter } from '../../traffic/router.ts';
import { dashboardQueries, dashboardThresholdChecks, expandVariables, exportedMetricNames, loadDashboards, metricNames, parseDashboard, undocumented } from '../dashboards.ts';
import { checkRules, testRules } from '../promtool.ts';
import { alertingRules, loadRuleFiles, parseRuleFile, recordingRules, scaleRuleFile } from '../rules.ts';

const RULES = 'k8s/monitoring/rules';
const DASHBOARDS = 'k8s/monitoring/dashboards';
const SERVICES = ['tinyurl', 'newsfeed', 'docs'];

test('promtool accepts the rule files and their unit tests pass', async () => {
  const files = loadRuleFiles(RULES).map((f) => f.file);
  const check = await checkRules(files);
  assert.ok(check.ok, check.output);
  const tests = fs.readdirSync(`${RULES}/tests`).map((f) => `${RULES}/tests/${f}`);
  assert.ok(tests.length > 0);
  const run = await testRules(tests);
  assert.ok(run.ok, run.output);
});

test('the alert rules cover service health, error rate and latency', () => {
  const alerts = alertingRules(loadRuleFiles(RULES)).map((a) => a.alert);
  for (const name of ['ServiceTargetDown', 'RouterBackendErrors', 'HighErrorRate', 'HighLatency']) assert.ok(alerts.includes(name), `missing alert ${name}`);
});

test('a broken rule file names the file, the line and the field', () => {
  const text = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: soon\n';
  assert.throws(() => parseRuleFile(text, 'bad.yaml'), /bad\.yaml:6 groups\[0\]\.rules\[0\]\.for: expected a Prometheus duration such as 30s, 1m or 1h30m/);
  assert.throws(() => parseRuleFile('groups: []\n', 'empty.yaml'), /empty\.yaml:1 groups: expected at least one rule group/);
  assert.throws(() => parseRuleFile('groups:\n  - name: g\n    rules: [\n', 'broken.yaml'), /broken\.yaml:\d+: not YAML/);
});

test('for: durations are scaled for the local platform, and promtool still accepts the result', async () => {
  const [alerts] = loadRuleFiles(`${RULES}/alerts.yaml`);
  const scaled = scaleRuleFile(alerts as never, 0.1);
  assert.match(scaled, /for: 6000ms/);
  assert.match(scaled, /for: 12000ms/);
  assert.doesNotMatch(scaled, /for: 1m/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-rules-'));
  try {
    fs.writeFileSync(path.join(dir, 'alerts.yaml'), scaled);
    const check = await checkRules([path.join(dir, 'alerts.yaml')]);
    assert.ok(check.ok, check.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('metric names are read out of PromQL', () => {
  assert.deepEqual(metricNames('sum by (service, le) (rate(http_request_duration_seconds_bucket{route!~"/health|x"}[$__rate_interval]))'), ['http_request_duration_seconds_bucket']);
  assert.deepEqual(metricNames('a:b:c{x="y"} > on (service) group_left () target_seconds'), ['a:b:c', 'target_seconds']);
  assert.deepEqual(metricNames('(sum(rate(x_total[1m])) or vector(0)) / 1e3 > bool 0.5'), ['x_total']);
  assert.equal(expandVariables('rate(x[$__rate_interval]) and y{name=~"$rollout"}', {}, '2m'), 'rate(x[2m]) and y{name=~".*"}');
});

test('every dashboard query reads only metrics the services, the router, the platform or a recording rule export', async (t) => {
  const exported = new Set<string>(['up', ...recordingRules(loadRuleFiles(RULES)).map((r) => r.record)]);
  for (const name of SERVICES) {
    const svc = await startTestService(await loadService(name));
    t.after(() => svc.stop());
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    for (const n of exportedMetricNames(text)) exported.add(n);
  }
  const router = new ServiceRouter({ service: 'web' });
  for (const n of exportedMetricNames(await router.registry.metrics())) exported.add(n);
  const registry = new Registry();
  new RolloutMetrics(registry, { rollouts: () => [], analysisRuns: () => [] });
  // This test process stands in as a pod: its /proc entries are real.
  registerPodMetrics(registry, { pods: () => [{ namespace: 'default', pod: 'test-pod', container: 'test', usage: () => readProcessUsage(process.pid), restarts: 0 }] });
  for (const n of exportedMetricNames(await registry.metrics())) exported.add(n);

  const dashboards = loadDashboards(DASHBOARDS);
  assert.deepEqual(dashboards.map((d) => path.basename(d.file)).sort(), ['docs.json', 'newsfeed.json', 'rollouts.json', 'tinyurl.json']);
  const unknown: string[] = [];
  let queries = 0;
  for (const d of dashboards) {
    for (const q of dashboardQueries(d)) {
      queries++;
      for (const n of metricNames(expandVariables(q.expr))) if (!exported.has(n)) unknown.push(`${d.file} "${q.panel}" ${q.refId}: ${n}`);
    }
  }
  assert.ok(queries >= 30, `only ${queries} queries`);
  assert.deepEqual(unknown, [], `queries name metrics nothing exports:\n${unknown.join('\n')}`);
});

test('each service dashboard shows traffic, errors and latency, with the alert rules\' thresholds drawn', () => {
  const dashboards = loadDashboards(DASHBOARDS);
  for (const service of SERVICES) {
    const { dashboard } = dashboards.find((d) => d.dashboard.uid === `cutover-${service}`) ?? assert.fail(`no dashboard for ${service}`);
    assert.ok(dashboard.panels.some((p) => p.fieldConfig?.defaults.unit === 'reqps'), `${service}: no traffic panel`);
    const latency = dashboard.panels.find((p) => /latency/i.test(p.title)) ?? assert.fail(`${service}: no latency panel`);
    assert.deepEqual(latency.targets?.map((q) => q.legendFormat), ['p50', 'p95', 'p99']);
  }
  const checks = dashboardThresholdChecks(dashboards, loadRuleFiles(RULES));
  assert.equal(checks.length, 9);
  assert.deepEqual(checks.filter((c) => !c.ok), []);
  assert.deepEqual(checks.find((c) => c.dashboard === 'cutover / Docs' && c.what === 'p95 latency threshold')?.rules_value, 0.2);
  assert.equal(checks.find((c) => c.what === 'error-rate threshold')?.rules_value, 0.05);
});

test('a dashboard whose threshold differs from the alert rule is reported', () => {
  const [tinyurl] = loadDashboards(DASHBOARDS).filter((d) => d.dashboard.uid === 'cutover-tinyurl');
  const changed = structuredClone(tinyurl as NonNullable<typeof tinyurl>);
  const steps = changed.dashboard.panels.find((p) => /latency/i.test(p.title))?.fieldConfig?.defaults.thresholds?.steps ?? [];
  (steps[1] as { value: number }).value = 0.5;
  const wrong = dashboardThresholdChecks([changed], loadRuleFiles(RULES)).filter((c) => !c.ok);
  assert.deepEqual(wrong.map((c) => [c.what, c.dashboard_value, c.rules_value]), [['p95 latency threshold', 0.5, 0.05]]);
});

test('a broken dashboard names the panel by its title', () => {
  const text = JSON.stringify({ uid: 'x', title: 'X', panels: [{ id: 1, type: 'timeseries', title: 'Errors', targets: [{ refId: 'A', expr: '' }] }] });
  assert.throws(() => parseDashboard(text, 'x.json'), /x\.json: not a Grafana dashboard:\n {2}panel 0 "Errors" targets\.0\.expr: expected a PromQL query/);
});

test('docs/monitoring.md names every rule, alert and dashboard, and a missing one is reported', () => {
  const doc = fs.readFileSync('docs/monitoring.md', 'utf8');
  const rules = loadRuleFiles(RULES);
  const dashboards = loadDashboards(DASHBOARDS);
  assert.deepEqual(undocumented(doc, rules, dashboards), []);
  assert.deepEqual(undocumented(doc.replace('`HighLatency`', 'HighLatency').replaceAll('`rollouts.json`', 'rollouts'), rules, dashboards), ['HighLatency', 'rollouts.json']);
});
