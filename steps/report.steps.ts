// The report as its readers see it: a feature run with reports of its own,
// the Allure HTML built, a scenario's page opened in Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Then, When, type DataTable } from '@cucumber/cucumber';
import { commaList } from '../support/vocabulary/parse.ts';
import { viewReportScenario } from '../support/browser/allure-report.ts';
import { launchChromium } from '../support/browser/chromium.ts';
import { buildReport, dryRunFeatures, runFeature, scenarioAttachments } from '../support/evidence/report.ts';
import type { CutoverWorld } from '../support/world/world.ts';

function reportOf(world: CutoverWorld): string {
  const dir = world.reportDir;
  if (dir === undefined) throw new Error('no report was built in this scenario: add "When the feature ... is run and its Allure report is built" first');
  return dir;
}

/** Runs a feature (at the profile's time scale, reports in a temporary folder) and builds its Allure HTML; failed scenarios are expected evidence too. */
When('the feature {string} is run and its Allure report is built', async function (this: CutoverWorld, feature: string) {
  if (!fs.existsSync(feature)) throw new Error(`no feature file ${feature}`);
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-report-'));
  this.session.onCleanup('report folder', async () => fs.rmSync(reports, { recursive: true, force: true }));
  this.progress(`running ${feature} with its reports in ${reports}`);
  const run = await runFeature(process.cwd(), feature, reports, { timeScale: this.settings.timeScale });
  if (run.status !== 0 && run.status !== 1) throw new Error(`cucumber-js ${feature} exited ${run.status}:\n${run.output.slice(-3000)}`);
  this.reportDir = await buildReport(process.cwd(), reports);
});

/** Opens the scenario's page in Chromium: it must show the text and its status, and every SVG chart must be drawn (a screenshot is attached). */
Then('the report shows scenario {string} as {string} with {string}, and draws its charts', async function (this: CutoverWorld, scenario: string, status: string, text: string) {
  const browser = await launchChromium();
  this.session.onCleanup('browser', () => browser.close());
  const view = await viewReportScenario(browser, reportOf(this), scenario);
  await this.evidence.png(`report page of ${scenario}`, view.screenshot);
  const undrawn = view.charts.filter((c) => !(c.width > 100 && c.height > 50));
  const holds = view.status === status && view.text.includes(text) && view.charts.length > 0 && undrawn.length === 0;
  await this.evidence.verify(`the report page of "${scenario}"`, holds, { expected: { status, text, charts: 'drawn' }, measured: { status: view.status, showsText: view.text.includes(text), charts: view.charts } }, () =>
    view.status !== status
      ? `the report shows "${scenario}" as ${view.status}, expected ${status}`
      : !view.text.includes(text)
          ? `the report page of "${scenario}" does not show "${text}"`
          : view.charts.length === 0
            ? `the report page of "${scenario}" has no charts`
            : `charts not drawn by the browser: ${undrawn.map((c) => `${c.name} (${c.width}×${c.height})`).join(', ')}`,
  );
});

/** cucumber's dry run over the features: every step of every scenario (those CI does not run too) has exactly one definition. */
Then('a dry run of {string} matches every step to exactly one definition', async function (this: CutoverWorld, paths: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-dry-run-'));
  this.session.onCleanup(`dry-run reports ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
  const outcome = await dryRunFeatures(process.cwd(), commaList(paths), dir);
  const unmatched = (outcome.byStatus.undefined ?? 0) + (outcome.byStatus.ambiguous ?? 0);
  await this.evidence.text('dry run', outcome.output);
  await this.evidence.verify(`every step of ${paths} has one definition`, unmatched === 0 && outcome.steps > 0, { expected: '0 undefined, 0 ambiguous', measured: { scenarios: outcome.scenarios, steps: outcome.steps, ...outcome.byStatus } }, () =>
    `${outcome.byStatus.undefined ?? 0} undefined and ${outcome.byStatus.ambiguous ?? 0} ambiguous steps in ${paths}: ${outcome.output.slice(-1500)}`,
  );
});

/** What a failed scenario leaves for whoever debugs it: each named attachment is in its report (rollout statuses and events, analysis measurements, platform events and routers, replica logs). */
Then('the failed scenario {string} carries the diagnostics:', async function (this: CutoverWorld, scenario: string, table: DataTable) {
  const wanted = table.raw().flat().map((s) => s.trim()).filter(Boolean);
  const results = path.join(path.dirname(reportOf(this)), 'allure-results');
  const found = scenarioAttachments(results, scenario);
  const missing = wanted.filter((w) => !(found?.attachments ?? []).some((a) => a.startsWith(w)));
  await this.evidence.verify(`diagnostics of "${scenario}"`, found !== undefined && found.status === 'failed' && missing.length === 0, { expected: { status: 'failed', attachments: wanted }, measured: found ?? null }, () =>
    found === undefined ? `no result named "${scenario}" in ${results}` : found.status !== 'failed' ? `"${scenario}" ${found.status}: diagnostics are for failed scenarios` : `"${scenario}" lacks ${missing.join(', ')} (it has ${found.attachments.join(', ')})`,
  );
});
