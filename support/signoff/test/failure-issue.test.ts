// The failure issue on run summaries written here: nothing when nothing
// failed; each failure with what a maintainer needs; a body GitHub accepts
// whatever the errors hold; the CLI as the nightly calls it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../cli/main.ts';
import { readRuns } from '../decision.ts';
import { BODY_LIMIT, failureIssue } from '../failure-issue.ts';
import { scenario, writeRun } from './runs.ts';

function folder(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-issue-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ERROR = [
  'Error: SLO breached for traffic to rollouts-demo:',
  '  BREACHED: http_req_failed: rate==0 measured 0.00058 over "the whole scenario" (17.201 s, 1720 requests, 1 failed)',
  '    at VerificationSession.assertThresholds (support/scenario/session.ts:243:13)',
  '```not a fence for the issue```',
].join('\n');

/** Two runs as .ci/run lays them out: local in reports/, kubernetes under it; one failure in each. */
function failedRuns(results: string): void {
  writeRun(results, [
    scenario('Canary', 'prd-a', { line: 12, status: 'failed', failureKind: 'test-defect', error: 'AssertionError: expected 3 to equal 4', durationMs: 2500 }),
    scenario('Rollback', 'prd-b', { line: 30 }),
  ]);
  const breach = scenario('The getting-started canary', 'prd-c', {
    uri: 'features/argo-examples.feature',
    feature: 'Argo Rollouts examples',
    line: 9,
    status: 'failed',
    failureKind: 'slo-breach',
    error: ERROR,
    durationMs: 17_201,
    platform: 'kubernetes',
    timeScale: 0.25,
    chaos: [{ experiment: 'chaos/docs-restart.yaml', kind: 'PodChaos', action: 'pod-kill', targets: ['docs-a', 'docs-b'], injectedAt: '2026-12-01T00:00:05Z', recoveredMs: 4200 }],
  });
  breach.slos = [{ ...(breach.slos[0] as (typeof breach.slos)[number]), threshold: 'http_req_failed: rate==0 | checks: rate==1', measured: 0.0005813953488372093, passed: false, requests: 1720, failed: 1 }];
  writeRun(path.join(results, 'kubernetes'), [breach], 'kubernetes');
}

test('the failure issue: nothing when every scenario passed or was skipped', (t) => {
  const results = folder(t);
  writeRun(results, [scenario('Canary', 'prd-a'), scenario('Later', 'prd-b', { status: 'skipped' })]);
  assert.equal(failureIssue(readRuns(results)), undefined);
});

test('the failure issue: each failed scenario with its place, platform, kind, error, SLOs, rollouts, chaos and the command that runs it again', (t) => {
  const results = folder(t);
  failedRuns(results);
  const issue = failureIssue(readRuns(results), { runUrl: 'https://github.com/acme/cutover/actions/runs/42' });
  assert.ok(issue);
  assert.equal(issue.failed, 2);
  assert.equal(issue.title, 'cutover: features/release.feature:12 failed on local and 1 more');
  const { body } = issue;
  assert.match(body, /^\*\*2 scenario\(s\) failed\*\* in 2 run\(s\) of commit `abc1234`\. Run: https:\/\/github\.com\/acme\/cutover\/actions\/runs\/42/);
  assert.match(body, /^\| 2 \| features\/argo-examples\.feature:9: The getting-started canary \| kubernetes \| slo-breach \| 17\.2 s \|$/m);
  assert.match(body, /^## 2\. Argo Rollouts examples: The getting-started canary$/m);
  assert.match(body, /`features\/argo-examples\.feature:9` on \*\*kubernetes\*\*, time scale 0\.25: failed \(slo-breach\) after 17\.2 s\./);
  assert.match(body, /Requirements: `prd-c`/);
  // The error in a fence longer than the backticks it holds, so it cannot close it early.
  assert.ok(body.includes(`\`\`\`\`\n${ERROR}\n\`\`\`\``), body);
  // A pipe in a threshold is escaped, or the row would have a column too many.
  assert.match(body, /^\| http_req_failed: rate==0 \\\| checks: rate==1 \| the whole scenario \(60 s\) \| 0\.0005814 rate \| 1720 \| 1 \| \*\*BREACHED\*\* \|$/m);
  assert.match(body, /^\| tinyurl \| canary \| cutover\/tinyurl:v1 → cutover\/tinyurl:v2 \| Healthy \| 10, 50, 100 \| {2}\|$/m);
  assert.match(body, /^\| chaos\/docs-restart\.yaml \| PodChaos pod-kill \| docs-a, docs-b \| 4\.2 s \|$/m);
  assert.ok(body.includes('```sh\nCUTOVER_TIME_SCALE=0.25 npx cucumber-js --profile fast features/argo-examples.feature:9\n```'));
  assert.ok(body.includes('```sh\nCUTOVER_TIME_SCALE=0.1 npx cucumber-js --profile fast features/release.feature:12\n```'));
  // The runs, and where their evidence is.
  assert.match(body, /^\| kubernetes\/run-summary\.json \| kubernetes \| fast \| 0\.1 \| abc1234 \|/m);
  assert.match(body, /^- `run-summary\.json`: beside it cucumber\.html and allure-results\//m);
});

test('the failure issue stays under GitHub\'s size limit: long errors clipped, the failures past it named by count', (t) => {
  const results = folder(t);
  const long = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n');
  writeRun(results, Array.from({ length: 200 }, (_, i) => scenario(`Scenario ${i}`, `prd-${i}`, { line: i + 1, status: 'failed', error: long })));
  const issue = failureIssue(readRuns(results));
  assert.ok(issue);
  assert.ok(issue.body.length <= BODY_LIMIT + 1000, `${issue.body.length} characters`);
  assert.match(issue.body, /line 39 x+\n… \(500 lines in all: the rest is in the Allure report\)/);
  assert.doesNotMatch(issue.body, /line 40 /);
  const left = /_(\d+) more failed scenario\(s\) left out/.exec(issue.body);
  assert.ok(left && Number(left[1]) > 0 && Number(left[1]) < 200, 'some failures left out, by count');
  assert.match(issue.body, /## Runs/, 'the runs are still there');
});

test('the CLI prints the title and writes the body; prints nothing and removes a stale body when nothing failed; 2 without --results', async (t) => {
  const results = folder(t);
  failedRuns(results);
  const out = path.join(results, 'issue.md');
  const logged: string[] = [];
  const log = t.mock.method(console, 'log', (line: string) => logged.push(line));
  t.mock.method(console, 'error', () => {});
  const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/cutover', GITHUB_RUN_ID: '7' };
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  t.after(() => Object.keys(env).forEach((k) => delete process.env[k]));
  assert.equal(await main(['issue', '--results', results, '--out', out]), 0);
  assert.deepEqual(logged, ['cutover: features/release.feature:12 failed on local and 1 more']);
  assert.match(fs.readFileSync(out, 'utf8'), /Run: https:\/\/github\.com\/acme\/cutover\/actions\/runs\/7/);

  fs.rmSync(path.join(results, 'kubernetes'), { recursive: true });
  writeRun(results, [scenario('Canary', 'prd-a')]);
  logged.length = 0;
  assert.equal(await main(['issue', '--results', results, '--out', out]), 0);
  assert.deepEqual(logged, []);
  assert.equal(fs.existsSync(out), false, 'a stale body is removed');
  assert.equal(await main(['issue']), 2);
  log.mock.restore();
});
