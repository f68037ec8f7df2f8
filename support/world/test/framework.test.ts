// The framework as a user runs it: cucumber-js on a feature, through
// cucumber.mjs, with reports in a temporary directory. Impossible
// expectations must fail, say what was measured, and land in the run summary
// (and in the issue written up from it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dryRunFeatures, runFeature } from '../../evidence/report.ts';
import { RunSummarySchema } from '../../evidence/summary.ts';
import { readRuns } from '../../signoff/decision.ts';
import { failureIssue } from '../../signoff/failure-issue.ts';
import { k6Binary } from '../../traffic/k6.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = 'support/world/test/fixtures';

test('an impossible expectation fails with what was measured, on both load engines, and the run summary says so', async (t) => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-framework-'));
  t.after(() => fs.rmSync(reports, { recursive: true, force: true }));
  const r = await runFeature(ROOT, `${FIXTURES}/impossible.feature`, reports, { timeScale: 0.1 });
  const out = r.output;
  assert.equal(r.status, 1, `cucumber-js should exit 1 on failed scenarios; output:\n${out.slice(-3000)}`);

  // The built-in generator: the breach names the threshold and the measurement.
  assert.match(out, /SLO breached for traffic to rollouts-demo-bluegreen-active:\s+BREACHED: http_req_duration: p\(95\)<0\.001 measured [\d.]+ ms over "the whole scenario" \(\d+(\.\d+)? s, \d+ requests/);
  // k6 when present (exit 99 mapped to an SLO failure); the built-in generator otherwise.
  if (k6Binary()) assert.match(out, /SLO breached: k6 exited 99 \(thresholds crossed\) for rollouts-demo-bluegreen-active: http_req_duration: p\(95\)<0\.001 measured [\d.]+/);
  else assert.match(out, /k6 was not found|SLO breached for traffic to rollouts-demo-bluegreen-active/);
  // A malformed threshold lists the accepted forms.
  assert.match(out, /"http_req_duration: p95<50" is not a threshold: unknown aggregation "p95"\. Accepted forms:\n\s+http_req_duration: p\(95\)<50/);

  const summary = RunSummarySchema.parse(JSON.parse(fs.readFileSync(path.join(reports, 'run-summary.json'), 'utf8')));
  assert.equal(summary.verdict, 'failed');
  assert.deepEqual(summary.counts, { scenarios: 3, passed: 0, failed: 3, other: 0 });
  const [builtIn, k6] = summary.scenarios;
  assert.equal(builtIn?.failureKind, 'slo-breach');
  assert.equal(builtIn?.timeScale, 0.1);
  const slo = builtIn?.slos[0];
  assert.ok(slo && !slo.passed && slo.measured > 0.001 && slo.engine === 'cutover', JSON.stringify(slo));
  assert.equal(k6?.failureKind, 'slo-breach');
  assert.ok(k6?.slos.length === 1 && k6.slos[0]?.passed === false, JSON.stringify(k6?.slos));
  // The PRD coverage of the features, and what this run proved (nothing: the fixture has no @prd tags).
  if (fs.existsSync(path.join(ROOT, '..', 'shared', 'prd'))) {
    assert.ok(summary.prd && summary.prd.totals.items > 0 && summary.prd.totals.automated > 0, JSON.stringify(summary.prd?.totals));
    assert.equal(summary.prd.totals.provenInRun, 0);
    assert.ok(summary.prd.documents.some((d) => d.document === 'comprehensive-deployment-system'));
  }
  // Written up as a GitHub issue: each failure with its breach and the command that runs it again.
  const issue = failureIssue(readRuns(reports));
  assert.ok(issue && issue.failed === 3, issue?.title);
  assert.match(issue.body, /`support\/world\/test\/fixtures\/impossible\.feature:7` on \*\*local\*\*, time scale 0\.1: failed \(slo-breach\)/);
  assert.match(issue.body, /BREACHED: http_req_duration: p\(95\)<0\.001 measured [\d.]+ ms/);
  assert.match(issue.body, /^\| http_req_duration: p\(95\)<0\.001 \| the whole scenario \([\d.]+ s\) \| [\d.]+ ms \| \d+ \| \d+ \| \*\*BREACHED\*\* \|$/m);
  assert.match(issue.body, /^CUTOVER_TIME_SCALE=0\.1 npx cucumber-js (--profile \S+ )?support\/world\/test\/fixtures\/impossible\.feature:7$/m);
  // Allure results were written, with the charts.
  const results = fs.readdirSync(path.join(reports, 'allure-results'));
  assert.ok(results.some((f) => f.endsWith('-result.json')));
  assert.ok(results.some((f) => f.endsWith('.svg')), 'charts are attached as SVG');
  assert.ok(fs.existsSync(path.join(reports, 'allure-results', 'environment.properties')));
});

test('a dry run counts a step no definition matches, and runs nothing', async (t) => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-dry-run-'));
  t.after(() => fs.rmSync(reports, { recursive: true, force: true }));
  const outcome = await dryRunFeatures(ROOT, [`${FIXTURES}/unmatched-steps.feature`], reports);
  assert.equal(outcome.scenarios, 1);
  assert.equal(outcome.steps, 2);
  assert.equal(outcome.byStatus.undefined, 1, outcome.output.slice(-2000));
  assert.equal(outcome.byStatus.skipped, 1);
});
