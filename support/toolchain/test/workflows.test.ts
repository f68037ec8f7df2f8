// The GitHub workflows, which only run on GitHub, checked here: against the
// project (scripts, profiles, features, CLI lines, pins, time limits) and by
// actionlint. Each check is also shown to catch a broken workflow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runActionlint, workflowProblems } from '../workflows.ts';

const root = process.cwd();
const workflow = (name: string) => parse(fs.readFileSync(path.join(root, '.github', 'workflows', name), 'utf8'));
const runs = (job: { steps: { run?: string }[] }) => job.steps.map((s) => s.run ?? '').join('\n');

test("the project's workflows name only scripts, profiles, features and cutover commands that exist, pinned and time-limited", () => {
  assert.deepEqual(workflowProblems(root), []);
});

test('pull requests run lint, typecheck and the unit tests (npm test), then the local features with the fast profile', () => {
  const pr = workflow('pull-request.yml');
  assert.ok('pull_request' in pr.on && 'push' in pr.on);
  const all = runs(pr.jobs.verify);
  assert.match(all, /^npm test$/m);
  assert.match(all, /^npm run features:fast$/m);
  const test = fs.readFileSync(path.join(root, 'scripts', 'test.sh'), 'utf8');
  assert.match(test, /npx eslint \./, 'npm test lints');
  assert.match(test, /npx tsc --noEmit/, 'npm test typechecks');
});

test('the nightly runs every platform at real durations with k6, one Allure report with history, the sign-off, an issue for what failed, an SBOM and npm audit', () => {
  const nightly = workflow('nightly.yml');
  assert.ok(nightly.on.schedule?.[0]?.cron);
  assert.deepEqual(nightly.jobs.features.strategy.matrix.platform, ['local', 'docker', 'kubernetes']);
  const features = runs(nightly.jobs.features);
  assert.match(features, /go install "go\.k6\.io\/k6@\$\{K6_VERSION\}"/);
  assert.match(features, /--profile nightly/);
  assert.ok(nightly.jobs.features.steps.some((s: { env?: Record<string, string> }) => s.env?.CUTOVER_TIME_SCALE === '1'), 'the docker leg at time scale 1');
  // The kubernetes leg: the cluster .ci/run builds, helm, and the cluster's features at the profile's own time scale (1).
  assert.match(features, /bash ci\/cluster\/build\.sh/);
  assert.match(features, /bash ci\/cluster\/up\.sh/);
  // Its credentials: the kubeconfig flattened (certificates inside), its owner's only, for this job.
  assert.match(features, /config view --raw --flatten --minify' > "\$RUNNER_TEMP\/kubeconfig"\s+chmod 600 "\$RUNNER_TEMP\/kubeconfig"\s+echo "KUBECONFIG=\$RUNNER_TEMP\/kubeconfig" >> "\$GITHUB_ENV"/);
  assert.match(features, /up\.sh --bin >> "\$GITHUB_PATH"/);
  assert.match(features, /go install "helm\.sh\/helm\/v4\/cmd\/helm@\$\{HELM_VERSION\}"/);
  // The docker leg pushes the images to a registry built from its Go module (in ci/tools/registry, its vulnerable dependencies raised);
  // every leg scans helm and the registry for known vulnerabilities with govulncheck.
  assert.match(features, /cd ci\/tools\/registry && go build -o "\$\(go env GOPATH\)\/bin\/registry" github\.com\/distribution\/distribution\/v3\/cmd\/registry/);
  assert.match(features, /go install "golang\.org\/x\/vuln\/cmd\/govulncheck@\$\{GOVULNCHECK_VERSION\}"/);
  assert.match(features, /--profile kubernetes --tags "not @feature:chaos or @on-cluster"[\s\S]*features\/helm-blue-green\.feature/);
  assert.ok(nightly.jobs.features.steps.some((s: { run?: string; if?: string }) => s.run?.includes('ci/cluster/down.sh') && s.if?.includes('always()')), 'the cluster is taken down whatever happened');
  const report = nightly.jobs.report;
  const uses = report.steps.map((s: { uses?: string }) => s.uses ?? '');
  assert.ok(uses.includes('actions/cache/restore@v4') && uses.includes('actions/cache/save@v4'), 'Allure history carried between nights');
  assert.deepEqual(report.steps.filter((s: { uses?: string }) => s.uses?.startsWith('actions/cache/')).map((s: { with: { path: string } }) => s.with.path), ['reports/allure-report/history', 'reports/allure-report/history']);
  const all = runs(report);
  // The layout npm run report and cutover signoff read, as .ci/run makes it: local in reports/, the others beside it.
  assert.match(all, /if \[ "\$platform" = local \]; then cp -r "\$d"\/\. reports\/; else cp -r "\$d" "reports\/\$platform"; fi/);
  for (const command of [/^npm run report$/m, /^npx cutover signoff --results reports\/ --prd "\$CUTOVER_PRD_DIR"$/m, /^npm run sbom$/m, /^npm audit --omit=dev --audit-level=high$/m]) assert.match(all, command);
  assert.ok(report.steps.some((s: { uses?: string; with?: { path?: string } }) => s.uses === 'actions/upload-artifact@v4' && s.with?.path?.includes('reports/signoff/')));
  // What failed is filed as an issue (a repeat of an open one's title is a comment), the job's only write.
  assert.deepEqual(report.permissions, { contents: 'read', issues: 'write' });
  assert.deepEqual(nightly.permissions, { contents: 'read' });
  const filing = report.steps.find((s: { run?: string }) => s.run?.includes('npx cutover issue'));
  assert.ok(filing, 'a step files what failed');
  assert.match(filing.run, /^title=\$\(npx cutover issue --results reports\/ --out reports\/issue\.md\)$/m);
  assert.match(filing.run, /gh issue comment "\$existing" --body-file reports\/issue\.md/);
  assert.match(filing.run, /gh issue create --title "\$title" --label nightly-failure --body-file reports\/issue\.md/);
  assert.equal(filing.env?.GH_TOKEN, '${{ github.token }}');
  assert.match(filing.if, /!cancelled\(\)/, 'it runs after a NO-GO sign-off too');
});

test('a broken workflow: each problem named with its file and line', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-workflows-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(root, 'cucumber.mjs'), path.join(dir, 'cucumber.mjs'));
  fs.mkdirSync(path.join(dir, 'features'));
  fs.writeFileSync(path.join(dir, 'features', 'canary.feature'), 'Feature: x\n');
  fs.writeFileSync(
    path.join(dir, '.github', 'workflows', 'broken.yml'),
    [
      'on: push',
      'jobs:',
      '  test:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - uses: actions/checkout@main',
      '      - uses: actions/setup-node@v4',
      '        with: { node-version: 18 }',
      '      - run: npm run no-such-script',
      '      - run: npx cucumber-js --profile speedy features/canary.feature features/gone.feature',
      '      - run: npx cutover signoff --results reports/ --colour',
      '',
    ].join('\n'),
  );
  const found = workflowProblems(dir).map((p) => `${p.file}:${p.line} ${p.problem}`);
  const file = path.join('.github', 'workflows', 'broken.yml');
  assert.deepEqual(found, [
    `${file}:1 no top-level permissions: the token would get the repository default`,
    `${file}:3 job test: no timeout-minutes (a hung run would hold the runner for 6 hours)`,
    `${file}:6 actions/checkout@main: pin the action to a version (@vN) or a commit`,
    `${file}:8 node-version 18 is outside package.json engines ">=20.19 <23"`,
    `${file}:9 npm run no-such-script: package.json has no such script`,
    `${file}:10 cucumber profile "speedy" is not in cucumber.mjs (it has fast, nightly, docker, kubernetes, default)`,
    `${file}:10 features/gone.feature: no such feature file`,
    `${file}:11 cutover signoff: unknown flag --colour: expected one of --results, --prd, --require, --features, --attestations, --no-pdf`,
  ]);
});

const actionlint = runActionlint(root);
const noActionlint = actionlint.ran ? false : process.env.CI ? false : actionlint.output;

test('actionlint finds nothing in the workflows, and finds what is wrong in a broken one', { skip: noActionlint }, (t) => {
  assert.equal(actionlint.ran, true, actionlint.output);
  assert.equal(actionlint.ok, true, actionlint.output);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-actionlint-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.github', 'workflows', 'broken.yml'), 'on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nothing }}\n');
  const broken = runActionlint(dir);
  assert.equal(broken.ok, false);
  assert.match(broken.output, /broken\.yml:6:\d+: property "nothing" is not defined/);
});
