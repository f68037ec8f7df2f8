// Monitoring: the project's Prometheus rules loaded into a Prometheus that
// scrapes the platform, its dashboards' queries run for real, alerts watched.
import fs from 'node:fs';
import { Given, Then, type DataTable } from '@cucumber/cucumber';
import { launchChromium } from '../support/browser/chromium.ts';
import { viewPrometheusAlerts } from '../support/browser/prometheus-ui.ts';
import { pollUntil, waitForAlertFiring, waitForAlertResolved, waitForDashboardData, waitForQueryData, waitForRulesEvaluated, waitForTargets } from '../support/monitoring/checks.ts';
import { dashboardThresholdChecks, loadDashboards, undocumented } from '../support/monitoring/dashboards.ts';
import { AlertReceivers } from '../support/fixtures/alert-receivers.ts';
import { configForScenario, loadAlertmanagerConfig, LocalAlertmanager } from '../support/monitoring/alertmanager.ts';
import { PrometheusApi } from '../support/monitoring/prometheus-api.ts';
import { loadRuleFiles } from '../support/monitoring/rules.ts';
import { commaList } from '../support/vocabulary/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

function monitoring(world: CutoverWorld) {
  if (world.monitoring === undefined) throw new Error('no Prometheus is watching yet: start with "Given Prometheus monitors the platform with the rules in \\"k8s/monitoring/rules\\""');
  return world.monitoring;
}

/** Starts (or reuses) the platform's Prometheus with these rule files loaded; a malformed file fails with file, line and field. */
Given('Prometheus monitors the platform with the rules in {string}', async function (this: CutoverWorld, location: string) {
  const ruleFiles = loadRuleFiles(this.session.resolve(location));
  const url = await this.session.platform.monitor(ruleFiles, { alertmanagers: this.alerting ? [this.alerting.alertmanager.url] : [] });
  this.monitoring = { api: new PrometheusApi(url), ruleFiles };
});

/**
 * A real Alertmanager with the project's policy, every receiver's endpoint
 * (Slack, the incident webhook) pointed at a recorder of this scenario and
 * its group timings scaled by the time scale; Prometheus sends it its alerts.
 */
Given('Alertmanager routes the alerts by {string}, to receivers this scenario records', async function (this: CutoverWorld, file: string) {
  const loaded = loadAlertmanagerConfig(this.session.resolve(file));
  const receivers = await AlertReceivers.start();
  this.session.onCleanup('alert receivers', () => receivers.close());
  const alertmanager = await LocalAlertmanager.start(configForScenario(loaded, receivers.url, this.settings.timeScale));
  this.session.onCleanup('Alertmanager', () => alertmanager.stop());
  this.alerting = { alertmanager, receivers };
  this.progress(`Alertmanager at ${alertmanager.url} with ${file} (receivers ${loaded.config.receivers.map((r) => r.name).join(', ')} recorded at ${receivers.url})`);
  if (this.monitoring) await this.session.platform.monitor(this.monitoring.ruleFiles, { alertmanagers: [alertmanager.url] });
});

function alerting(world: CutoverWorld) {
  if (world.alerting === undefined) throw new Error('no Alertmanager yet: start with the step "Alertmanager routes the alerts by …, to receivers this scenario records"');
  return world.alerting;
}

/** Waits until exactly these receivers have been told the alert fires (Alertmanager's routing, grouping and inhibition all in the way); the notifications go into the report. */
Then('the receivers told that {string} fires are {string} within {duration}', async function (this: CutoverWorld, alert: string, list: string, ms: number) {
  const { receivers } = alerting(this);
  const expected = commaList(list).sort();
  const outcome = await pollUntil(
    async () => {
      const told = receivers.receiversTold(alert, 'firing');
      return { done: expected.every((r) => told.includes(r)), value: told, seen: `told: ${told.join(', ') || 'nobody'}` };
    },
    ms,
    `${expected.join(', ')} told that ${alert} fires`,
    100,
  );
  const told = receivers.receiversTold(alert, 'firing');
  await this.evidence.verify(`${alert} notified to ${expected.join(', ')}`, told.join(',') === expected.join(','), { expected, measured: { told, afterMs: outcome.afterMs }, details: receivers.received }, () =>
    `told: ${told.join(', ')}; expected exactly ${expected.join(', ')}`,
  );
});

Then('{string} is told that {string} resolved within {duration}', async function (this: CutoverWorld, receiver: string, alert: string, ms: number) {
  const { receivers } = alerting(this);
  const outcome = await pollUntil(
    async () => {
      const told = receivers.told(receiver, alert, 'resolved');
      return { done: told.length > 0, value: told, seen: `${receivers.received.filter((n) => n.receiver === receiver).length} notification(s) to ${receiver}, none telling ${alert} resolved` };
    },
    ms,
    `${receiver} told that ${alert} resolved`,
    100,
  );
  await this.evidence.verify(`${receiver} told ${alert} resolved`, true, { expected: `within ${ms} ms`, measured: `after ${outcome.afterMs} ms`, details: outcome.value }, () => '');
});

/** Every replica of every rollout (as many as its replica sets hold now) and the routers' endpoint are scraped, and no target is down. */
Then('Prometheus scrapes every replica of every rollout and the routers within {duration}', async function (this: CutoverWorld, ms: number) {
  const platform = this.session.platform;
  const expected = platform.rolloutNames().map((rollout) => ({ rollout, replicas: platform.rollout(rollout).status().replicaSets.reduce((n, s) => n + s.replicas, 0) }));
  const { api } = monitoring(this);
  const outcome = await waitForTargets(api, expected, ms).catch(async (err: Error) => {
    await this.evidence.json('Prometheus targets', await api.targets().catch(() => 'unreadable'));
    throw err;
  });
  await this.evidence.verify('Prometheus scrapes every replica and the routers', true, { expected, measured: outcome.value.pods, details: { afterMs: outcome.afterMs, ...outcome.value } }, () => '');
});

Then('every rule loaded is evaluated without error within {duration}', async function (this: CutoverWorld, ms: number) {
  const { api, ruleFiles } = monitoring(this);
  const count = ruleFiles.reduce((n, f) => n + f.rules.groups.reduce((m, g) => m + g.rules.length, 0), 0);
  const outcome = await waitForRulesEvaluated(api, count, ms);
  await this.evidence.verify(`all ${count} rules evaluate`, true, { expected: count, measured: outcome.value.length, details: outcome.value }, () => '');
});

/** Runs each query of each dashboard (Grafana variables filled in, "All" for the rest) against Prometheus until every one returns a series. */
Then('every query of the dashboards in {string} returns data within {duration}', async function (this: CutoverWorld, dir: string, ms: number) {
  const { api } = monitoring(this);
  const dashboards = loadDashboards(this.session.resolve(dir));
  try {
    const outcome = await waitForDashboardData(api, dashboards, {}, ms);
    await this.evidence.verify(`every dashboard query returns data`, true, { expected: 'at least one series per query', measured: `${outcome.value.length} queries with data`, details: outcome.value }, () => '');
  } catch (err) {
    await this.evidence.text('dashboard queries without data', (err as Error).message);
    throw err;
  }
});

/** Each PromQL query returns at least its number of series, each a number (| metric | query | series |), within the bound; the values go into the report. */
Then('Prometheus answers these queries with data within {duration}:', async function (this: CutoverWorld, ms: number, table: DataTable) {
  const { api } = monitoring(this);
  const queries = table.hashes().map((row, i) => {
    const { metric, query, series } = row as { metric?: string; query?: string; series?: string };
    if (!metric || !query || !series || !/^[1-9]\d*$/.test(series)) throw new Error(`row ${i + 1}: expected the columns | metric | query | series | with a PromQL query and a whole number of series (at least 1), got ${JSON.stringify(row)}`);
    return { name: metric, query, atLeast: Number(series) };
  });
  try {
    const outcome = await waitForQueryData(api, queries, ms);
    const rows = outcome.value.map((r) => `${r.name.padEnd(40)} ${String(r.series).padStart(3)} series (≥ ${r.atLeast})  first value ${r.sample}  ${r.query}`);
    await this.evidence.text('metrics collected', rows.join('\n'));
    await this.evidence.verify(`${queries.length} queries answered with data`, true, { expected: queries.map((q) => `${q.name}: ≥ ${q.atLeast} series`), measured: outcome.value.map((r) => `${r.name}: ${r.series} series`) }, () => '');
  } catch (err) {
    await this.evidence.text('queries short of data', (err as Error).message);
    throw err;
  }
});

/** The thresholds the dashboards draw are the alert rules' own (error-rate limit, each service's latency target), and each has an alert list for its service. */
Then('the dashboards in {string} draw the thresholds of the rules in {string}', async function (this: CutoverWorld, dir: string, rules: string) {
  const checks = dashboardThresholdChecks(loadDashboards(this.session.resolve(dir)), loadRuleFiles(this.session.resolve(rules)));
  const wrong = checks.filter((c) => !c.ok);
  await this.evidence.verify('dashboards draw the alert thresholds', wrong.length === 0 && checks.length > 0, { expected: 'panel thresholds equal to the alert rules', measured: checks }, () =>
    `dashboards disagree with the alert rules:\n${wrong.map((c) => `  ${c.dashboard} / ${c.what}: dashboard ${c.dashboard_value}, rules ${c.rules_value}`).join('\n')}`,
  );
});

Then('no alert is pending or firing', async function (this: CutoverWorld) {
  const alerts = await monitoring(this).api.alerts();
  await this.evidence.verify('no alert is active', alerts.length === 0, { expected: [], measured: alerts }, () =>
    `alerts are active: ${alerts.map((a) => `${a.labels.alertname} ${a.state} (${a.annotations.summary ?? ''})`).join('; ')}`,
  );
});

/** Waits until the alert fires (past its scaled `for:`) for the service; the time it took and the alert itself go into the report. */
Then('the alert {string} fires for {string} within {duration}', async function (this: CutoverWorld, name: string, service: string, ms: number) {
  const outcome = await waitForAlertFiring(monitoring(this).api, name, { service }, ms);
  await this.evidence.verify(`alert ${name} fires for ${service}`, true, { expected: `firing within ${ms} ms`, measured: `firing after ${outcome.afterMs} ms`, details: outcome.value }, () => '');
});

Then('the alert {string} is resolved within {duration}', async function (this: CutoverWorld, name: string, ms: number) {
  const outcome = await waitForAlertResolved(monitoring(this).api, name, {}, ms);
  await this.evidence.verify(`alert ${name} resolved`, true, { expected: `resolved within ${ms} ms`, measured: `resolved after ${outcome.afterMs} ms` }, () => '');
});

/** Opens Prometheus' alerts page in Chromium, as an operator would, and reads it; the screenshot goes into the report. */
Then("Prometheus' alerts page in a browser shows {string} firing", async function (this: CutoverWorld, alert: string) {
  const browser = await launchChromium();
  try {
    const view = await viewPrometheusAlerts(browser, monitoring(this).api.url);
    await this.evidence.png(`Prometheus alerts page`, view.screenshot);
    // The classic page heads each rule with "<name> (<n> active)" and lists the firing series with state "firing".
    const line = view.text.split('\n').find((l) => l.includes(alert)) ?? '';
    const firing = /\(\s*[1-9]\d* active\s*\)/.test(line) && /firing/i.test(view.text);
    await this.evidence.verify(`alerts page shows ${alert} firing`, firing, { expected: `${alert} (n active), firing`, measured: line || `no line naming ${alert}`, details: view.text.slice(0, 4000) }, () =>
      `${view.url} does not show ${alert} firing; the page reads:\n${view.text.slice(0, 1500)}`,
    );
  } finally {
    await browser.close();
  }
});

/** A monitoring document that names (in `backquotes`) every recording rule, alert and dashboard, so it cannot fall behind the files. */
Then('{string} documents every rule in {string} and every dashboard in {string}', async function (this: CutoverWorld, docFile: string, rules: string, dir: string) {
  const missing = undocumented(fs.readFileSync(this.session.resolve(docFile), 'utf8'), loadRuleFiles(this.session.resolve(rules)), loadDashboards(this.session.resolve(dir)));
  await this.evidence.verify(`${docFile} documents the monitoring`, missing.length === 0, { expected: 'every rule, alert and dashboard named', measured: missing.length === 0 ? 'all named' : missing }, () =>
    `${docFile} does not name: ${missing.join(', ')}`,
  );
});
