// The release decision and its bundle, on run summaries, a PRD, features and
// attestations written here: GO, each reason for NO-GO, --require, and a
// bundle that tells when its evidence was changed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CHROMIUM } from '../../browser/chromium.ts';
import type { RunSummary } from '../../evidence/summary.ts';
import { loadPrds } from '../../prd/parse.ts';
import { MANIFEST, verifySignoff, writeSignoff } from '../bundle.ts';
import { main } from '../../cli/main.ts';
import { decide, readRuns } from '../decision.ts';
import { scenario, writeRun } from './runs.ts';

const PRD = `# Release checklist

## Rollout
- [ ] Canary promotes a healthy version
- [ ] Rollback restores stable within a minute

## Governance
- [ ] Security sign-off obtained
`;

interface Fixture {
  root: string;
  results: string;
  prd: string;
  features: string;
  attestations: string;
  ids: string[];
}

function fixture(t: { after: (fn: () => void) => void }): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-signoff-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const prd = path.join(root, 'prd');
  fs.mkdirSync(prd);
  fs.writeFileSync(path.join(prd, 'release.md'), PRD);
  const ids = loadPrds([prd]).flatMap((d) => d.items.map((i) => i.id));
  assert.equal(ids.length, 3);
  const features = path.join(root, 'features');
  fs.mkdirSync(features);
  fs.writeFileSync(
    path.join(features, 'release.feature'),
    [
      'Feature: Release',
      `  @severity:critical @prd=${ids[0]}`,
      '  Scenario: Canary',
      '    Given a step',
      `  @prd=${ids[1]}`,
      '  Scenario: Rollback',
      '    Given a step',
      `  @manual @prd=${ids[2]}`,
      '  Scenario: Security sign-off',
      '    Given a step',
      '',
    ].join('\n'),
  );
  const attestations = path.join(root, 'attestations');
  fs.mkdirSync(attestations);
  fs.writeFileSync(path.join(attestations, 'security-sign-off.yaml'), `items: [${ids[2]}]\nwho: Dana Reyes (security lead)\nwhen: 2026-11-20\nevidence: https://tickets.example/SEC-42\n`);
  const results = path.join(root, 'reports');
  writeRun(results, [scenario('Canary', ids[0] as string, { tags: ['@severity:critical'] }), scenario('Rollback', ids[1] as string)]);
  return { root, results, prd, features, attestations, ids };
}

const options = (f: Fixture) => ({ resultsDir: f.results, prdPaths: [f.prd], featuresDir: f.features, attestationsDir: f.attestations });

test('GO: every scenario passed, no SLO breached, every item covered and the manual one attested', (t) => {
  const f = fixture(t);
  writeRun(path.join(f.results, 'docker'), [scenario('Canary', f.ids[0] as string)], 'docker');
  const d = decide(options(f));
  assert.deepEqual(d.reasons, []);
  assert.equal(d.verdict, 'GO');
  assert.deepEqual(d.runs.map((r) => [r.file, r.platform]), [['run-summary.json', 'local'], [path.join('docker', 'run-summary.json'), 'docker']]);
  assert.equal(d.required.length, 3);
  assert.equal(d.slos.length, 3);
  assert.deepEqual(d.manual.map((m) => m.attestedBy?.who), ['Dana Reyes (security lead)']);
  assert.deepEqual(d.coverage.map((c) => [c.automated, c.manual, c.missing]), [[2, 1, 0]]);
});

test('NO-GO names every reason: a failed scenario, a breached SLO, an uncovered item, a tag naming nothing, an unattested manual item', (t) => {
  const f = fixture(t);
  const breached = scenario('Canary', f.ids[0] as string);
  breached.slos = [{ ...(breached.slos[0] as RunSummary['scenarios'][number]['slos'][number]), threshold: 'http_req_duration: p(95)<100', measured: 240.5, passed: false }];
  writeRun(f.results, [breached, scenario('Rollback', f.ids[1] as string, { status: 'failed', error: 'AssertionError: rollout "tinyurl" is Degraded\n    at step' })]);
  fs.writeFileSync(path.join(f.features, 'release.feature'), fs.readFileSync(path.join(f.features, 'release.feature'), 'utf8').replace(`@prd=${f.ids[1]}`, '@prd=release/rollout/no-such-item-0000'));
  fs.rmSync(path.join(f.attestations, 'security-sign-off.yaml'));
  const d = decide(options(f));
  assert.equal(d.verdict, 'NO-GO');
  const reasons = d.reasons.join('\n');
  assert.match(reasons, /scenario "Rollback" \(run-summary\.json, local\) failed: AssertionError: rollout "tinyurl" is Degraded$/m);
  assert.match(reasons, /SLO breached in "Canary" \(run-summary\.json, local\): http_req_duration: p\(95\)<100 measured 240\.5 over the whole scenario/);
  assert.match(reasons, /release\.feature:\d+: @prd=release\/rollout\/no-such-item-0000 names no PRD item/);
  assert.match(reasons, /PRD release: 1 item\(s\) no scenario covers/);
  assert.match(reasons, /1 manual item\(s\) without an attestation in .*attestations\/: release\/governance\//);
});

test('--require: only the scenarios it selects must pass; one that selects nothing is NO-GO; a bad expression is an error', (t) => {
  const f = fixture(t);
  writeRun(f.results, [scenario('Canary', f.ids[0] as string, { tags: ['@severity:critical'] }), scenario('Rollback', f.ids[1] as string, { status: 'failed', error: 'boom' })]);
  const critical = decide({ ...options(f), require: '@severity:critical' });
  assert.deepEqual(critical.required.map((r) => r.scenario), ['Canary']);
  assert.equal(critical.verdict, 'GO');
  assert.equal(decide(options(f)).verdict, 'NO-GO');
  assert.deepEqual(decide({ ...options(f), require: '@nightly-only' }).reasons, ['no scenario of the runs matches --require "@nightly-only"']);
  assert.throws(() => decide({ ...options(f), require: '@a and (' }), /--require "@a and \(" is not a tag expression/);
});

test('phases: one is validated only when every item in it was proven, attested or does not apply; a failed, unrun, unattested or missing item keeps it from that', (t) => {
  const f = fixture(t);
  const phase = (d: ReturnType<typeof decide>, name: string) => d.phases.find((p) => p.phase === name);
  const go = decide(options(f));
  assert.deepEqual(phase(go, 'Rollout'), { document: 'release', phase: 'Rollout', items: 2, proven: 2, attested: 0, notApplicable: 0, failed: 0, notRun: 0, unattested: 0, missing: 0, validated: true });
  assert.deepEqual(phase(go, 'Governance'), { document: 'release', phase: 'Governance', items: 1, proven: 0, attested: 1, notApplicable: 0, failed: 0, notRun: 0, unattested: 0, missing: 0, validated: true });
  // A failed scenario, even beside a passed one for the same item in another run.
  writeRun(f.results, [scenario('Canary', f.ids[0] as string), scenario('Rollback', f.ids[1] as string, { status: 'failed', error: 'boom' })]);
  writeRun(path.join(f.results, 'docker'), [scenario('Rollback', f.ids[1] as string)], 'docker');
  assert.deepEqual(phase(decide(options(f)), 'Rollout'), { ...phase(go, 'Rollout'), proven: 1, failed: 1, validated: false });
  // Not run: a skipped scenario proves nothing.
  fs.rmSync(path.join(f.results, 'docker'), { recursive: true });
  writeRun(f.results, [scenario('Canary', f.ids[0] as string), scenario('Rollback', f.ids[1] as string, { status: 'skipped' })]);
  assert.deepEqual(phase(decide(options(f)), 'Rollout'), { ...phase(go, 'Rollout'), proven: 1, notRun: 1, validated: false });
  // Unattested, and an item no scenario covers.
  fs.rmSync(path.join(f.attestations, 'security-sign-off.yaml'));
  fs.appendFileSync(path.join(f.prd, 'release.md'), '- [ ] Audit log kept for a year\n');
  const d = decide(options(f));
  assert.deepEqual(phase(d, 'Governance'), { ...phase(go, 'Governance'), items: 2, attested: 0, unattested: 1, missing: 1, validated: false });
});

test('a results folder without runs, a damaged summary or a malformed attestation is an error naming the file', (t) => {
  const f = fixture(t);
  const empty = path.join(f.root, 'empty');
  fs.mkdirSync(empty);
  assert.throws(() => readRuns(empty), /empty: no run-summary\.json in it or its sub-folders/);
  assert.throws(() => readRuns(path.join(f.root, 'nowhere')), /nowhere: no such folder/);
  fs.writeFileSync(path.join(f.results, 'run-summary.json'), JSON.stringify({ schemaVersion: 1, verdict: 'maybe' }));
  assert.throws(() => readRuns(f.results), /reports[/\\]run-summary\.json: not a cutover run summary: .*verdict/);
  writeRun(f.results, [scenario('Canary', f.ids[0] as string)]);
  fs.writeFileSync(path.join(f.attestations, 'bad.yaml'), 'items: []\nwho: x\n');
  assert.throws(() => decide(options(f)), /bad\.yaml: items: .*; who: the name .*; when: .*; evidence: /);
});

test('the bundle: summary, decision, evidence copies and a manifest that tells what changed, went or was added', async (t) => {
  const f = fixture(t);
  const d = decide(options(f));
  const bundle = await writeSignoff(d, f.results, { pdf: false });
  const dir = path.join(f.results, 'signoff');
  assert.deepEqual(fs.readdirSync(dir).sort(), [MANIFEST, 'evidence', 'index.html', 'signoff.json']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'evidence')).sort(), ['run-summary.json', 'security-sign-off.yaml']);
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  assert.match(html, /class="verdict go">GO</);
  assert.match(html, /http_req_failed: rate==0/);
  assert.match(html, /42\.0 s/, 'the rollout time');
  assert.match(html, /<svg/, 'the coverage chart');
  assert.match(html, /Dana Reyes/);
  assert.match(html, /Success criteria per phase \(2 of 2 phases validated\)/);
  assert.match(html, /<td>release<\/td><td>Rollout<\/td><td>2<\/td><td>2<\/td>.*<td class="ok">validated<\/td>/);
  const manifest = fs.readFileSync(path.join(dir, MANIFEST), 'utf8');
  assert.match(manifest, /^[0-9a-f]{64} {2}signoff\.json$/m);
  assert.match(manifest, /^[0-9a-f]{64} {2}\.\.\/allure-results\/local-result\.json$/m);
  assert.equal(bundle.hashed, manifest.trim().split('\n').length);
  assert.deepEqual(verifySignoff(dir), { checked: bundle.hashed, changed: [], missing: [], notHere: [], added: [], ok: true });

  fs.appendFileSync(path.join(f.results, 'allure-results', 'local-result.json'), ' ');
  fs.writeFileSync(path.join(f.results, 'allure-results', 'late-result.json'), '{}');
  fs.rmSync(path.join(dir, 'evidence', 'run-summary.json'));
  const tampered = verifySignoff(dir);
  assert.equal(tampered.ok, false);
  assert.deepEqual(tampered.changed, ['../allure-results/local-result.json']);
  assert.deepEqual(tampered.missing, ['evidence/run-summary.json']);
  assert.deepEqual(tampered.added, ['../allure-results/late-result.json']);

  // Attached to a release on its own: its files are checked, the evidence around it is said not to be here.
  await writeSignoff(d, f.results, { pdf: false });
  const alone = path.join(f.root, 'release-attachment');
  fs.cpSync(dir, alone, { recursive: true });
  const v = verifySignoff(alone);
  assert.equal(v.ok, true);
  assert.ok(v.notHere.includes('../run-summary.json'));
  fs.writeFileSync(path.join(alone, 'signoff.json'), '{"verdict":"GO"}');
  assert.deepEqual(verifySignoff(alone).changed, ['signoff.json']);
  assert.throws(() => verifySignoff(f.root), /MANIFEST\.sha256: no manifest: not a sign-off bundle/);
});

const noChromium = fs.existsSync(CHROMIUM) ? false : process.env.CI ? false : `no Chromium at ${CHROMIUM}`;

test('the one-page summary is printed to PDF by Chromium', { skip: noChromium }, async (t) => {
  const f = fixture(t);
  const bundle = await writeSignoff(decide(options(f)), f.results);
  assert.equal(bundle.pdf, true);
  const pdf = fs.readFileSync(path.join(f.results, 'signoff', 'signoff.pdf'));
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.ok(pdf.length > 10_000, `${pdf.length} bytes`);
  assert.match(fs.readFileSync(path.join(f.results, 'signoff', MANIFEST), 'utf8'), / {2}signoff\.pdf$/m);
});

test('the CLI: exit 0 on GO and 1 on NO-GO, both with a bundle that verifies; 2 on a usage error; verify exits 1 once a file changed', async (t) => {
  const f = fixture(t);
  const args = ['signoff', '--results', f.results, '--prd', f.prd, '--features', f.features, '--attestations', f.attestations, '--no-pdf'];
  assert.equal(await main(args), 0);
  assert.equal(await main(['signoff', 'verify', path.join(f.results, 'signoff')]), 0);
  assert.equal(await main([...args, '--require', '@nothing-matches']), 1);
  assert.equal(await main(['signoff', 'verify', path.join(f.results, 'signoff')]), 0, 'a NO-GO bundle verifies too');
  fs.appendFileSync(path.join(f.results, 'run-summary.json'), ' ');
  assert.equal(await main(['signoff', 'verify', path.join(f.results, 'signoff')]), 1);
  assert.equal(await main(['signoff', '--prd', f.prd]), 2, 'no --results');
  assert.equal(await main(['signoff', '--results', f.results, '--prd', f.prd, '--colour']), 2, 'an unknown flag');
  assert.equal(await main(['signoff', 'approve']), 2, 'an unknown action');
});
