import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { coverageTable, prdCoverage, runPrdCoverage, scaffoldMissing, scanFeatures } from '../coverage.ts';
import { writeCoverageResult } from '../allure.ts';
import { readAttestation } from '../attestation.ts';
import { loadPrds, ownItems, parsePrd, sectionSlug } from '../parse.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

test('items: checklists (ticked or not), task lines and requirement-table rows, with their headings; code blocks are not read', () => {
  const doc = parsePrd(path.join(FIXTURES, 'base.md'));
  assert.equal(doc.title, 'PRD: Base System');
  assert.deepEqual(
    doc.items.map((i) => [i.kind, i.text, i.done, i.line]),
    [
      ['checklist', 'Zero-downtime deployments', false, 5],
      ['checklist', 'Automated rollback on failure', true, 6],
      ['checklist', 'Run unit tests with pytest', false, 10],
      ['checklist', 'Verify response time < 50ms', false, 11],
      ['checklist', 'Run unit tests with pytest', false, 12],
      ['target', 'TinyURL Response Time: < 50ms', false, 23],
    ],
  );
  assert.deepEqual(doc.items[0]?.headings, ['PRD: Base System', '4. Success Criteria']);
  assert.deepEqual(doc.items[2]?.headings, ['PRD: Base System', '4. Success Criteria', 'Phase 5: TinyURL Service Deployment (Priority: High)']);
  assert.equal(doc.items[2]?.section, 'Phase 5: TinyURL Service Deployment (Priority: High)');
});

test('ids: document/section/words-hash, stable under edits elsewhere, numbered when a section repeats a text', () => {
  assert.equal(sectionSlug('Phase 5: TinyURL Service Deployment (Priority: High)'), 'phase-5-tinyurl-service-deployment');
  assert.equal(sectionSlug('4. Success Criteria'), 'success-criteria');
  const text = fs.readFileSync(path.join(FIXTURES, 'base.md'), 'utf8');
  const before = parsePrd('base.md', text).items.map((i) => i.id);
  assert.match(before[2] as string, /^base\/phase-5-tinyurl-service-deployment\/run-unit-tests-with-pytest-[0-9a-f]{4}$/);
  assert.equal(before[4], `${before[2]}-2`);
  // An unrelated edit (a new item elsewhere, another order) changes no other id.
  const edited = text.replace('- [x] Automated rollback on failure', '- [ ] A new criterion\n- [x] Automated rollback on failure');
  const after = parsePrd('base.md', edited).items.map((i) => i.id);
  for (const id of before) assert.ok(after.includes(id), `${id} survives`);
});

test('an embedded document and task lines naming checklist items are linked, not counted twice', () => {
  const docs = loadPrds([FIXTURES]);
  const embedding = docs.find((d) => d.name === 'embedding');
  const base = docs.find((d) => d.name === 'base');
  assert.ok(embedding && base);
  const [t1, t2, t3, t4, c1, c2] = embedding.items;
  assert.equal(t1?.sameAs, undefined, 'a task of its own');
  assert.equal(t2?.sameAs, base.items[0]?.id);
  assert.equal(t3?.sameAs, base.items[2]?.id, 'the k-th task with a text names the k-th such item');
  assert.equal(t4?.sameAs, base.items[4]?.id);
  assert.equal(c1?.sameAs, base.items[2]?.id, 'the embedded copy points at the original');
  assert.equal(c2?.sameAs, base.items[3]?.id);
  assert.equal(ownItems(docs).length, base.items.length + 1);
});

test('coverage from @prd tags at every level: automated, manual, not applicable, missing; unknown tags with suggestions; scaffold never overwrites', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-prd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const docs = loadPrds([FIXTURES]);
  const base = docs.find((d) => d.name === 'base');
  const [zero, rollback, tests, latency] = base?.items.map((i) => i.id) ?? [];
  const embeddedLatency = docs.find((d) => d.name === 'embedding')?.items[5]?.id;
  fs.writeFileSync(
    path.join(dir, 'a.feature'),
    `@prd=${zero}
Feature: A
  Rule: R
    Scenario: automated via the feature tag
      Given nothing

    @manual @prd=${rollback}
    Scenario: manual
      Given nothing

  @prd=${embeddedLatency}
  Scenario: proves the original through its embedded copy
    Given nothing

  Scenario Outline: an outline with <x>
    Given nothing

    @not-applicable @prd=${tests}
    Examples: not here
      | x |
      | 1 |

  @wip @prd=base/nowhere/nothing-0000
  Scenario: work in progress does not count
    Given nothing

  @prd=base/phase-5/typo-0000
  Scenario: a typo
    Given nothing
`,
  );
  const result = prdCoverage(docs, scanFeatures([dir]));
  const state = (id?: string) => result.items.find((c) => c.item.id === id)?.state;
  assert.equal(state(zero), 'automated');
  assert.equal(state(rollback), 'manual');
  assert.equal(state(tests), 'not-applicable');
  assert.equal(state(latency), 'automated', 'a tag on the embedded copy proves the original');
  assert.deepEqual(result.unknown.map((u) => u.tag), ['@prd=base/phase-5/typo-0000']);
  assert.match(result.unknown[0]?.suggestions[0] ?? '', /^base\/phase-5-tinyurl-service-deployment\//);
  assert.equal(result.totals.missing, result.items.length - 4);
  assert.match(coverageTable(result), /total\s+2\s+1\s+1\s+\d+/);

  const out = path.join(dir, 'prd');
  const first = scaffoldMissing(result, docs, out);
  assert.equal(first.written.length, 2);
  const text = fs.readFileSync(path.join(out, 'base.feature'), 'utf8');
  assert.match(text, /@wip @prd=base\/\S+\n\s+Scenario: Run unit tests with pytest/);
  const again = scaffoldMissing(result, docs, out);
  assert.deepEqual(again.written, []);
  assert.equal(again.skipped.length, 2);
});

test('run coverage: items a passed scenario proved, and items whose scenarios all failed, per document', () => {
  const docs = loadPrds([FIXTURES]);
  const base = docs.find((d) => d.name === 'base');
  const [zero, rollback] = base?.items.map((i) => i.id) ?? [];
  const copyOfTests = docs.find((d) => d.name === 'embedding')?.items[4]?.id as string;
  const scenarios = [
    { tags: [`@prd=${zero}`], status: 'passed' },
    { tags: [`@prd=${rollback}`], status: 'failed' },
    { tags: [`@prd=${copyOfTests}`, `@prd=${rollback}`], status: 'passed' },
  ];
  const result = prdCoverage(docs, scenarios.map((s, i) => ({ file: 'x.feature', line: i, name: `s${i}`, tags: s.tags })));
  const run = runPrdCoverage(result, docs, scenarios.map((s) => ({ prd: s.tags.map((t) => t.slice(5)), status: s.status })));
  const row = run.documents.find((d) => d.document === 'base');
  assert.equal(row?.provenInRun, 3, 'zero, rollback (passed once) and tests (through its embedded copy)');
  assert.equal(row?.failedInRun, 0, 'a failure does not count when another scenario proved the item');
  assert.equal(run.totals.items, result.items.length);
  assert.equal(run.totals.automated, 3);
});

test('attestations: who, when and an evidence link for named items; a malformed or missing one says what is wrong', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-attest-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'security-sign-off.yaml'), 'items: [comprehensive-deployment-system/phase-14-production-readiness/obtain-security-sign-off-0000]\nwho: Dana Reyes (security lead)\nwhen: 2026-11-20\nevidence: https://tickets.example/SEC-42\n');
  const a = readAttestation(dir, 'security-sign-off');
  assert.equal(a.who, 'Dana Reyes (security lead)');
  fs.writeFileSync(path.join(dir, 'bad.yaml'), 'items: []\nwho: x\nwhen: last week\nevidence: somewhere\n');
  assert.throws(() => readAttestation(dir, 'bad'), (err: Error) => /bad\.yaml: items: .*; who: the name .*; when: a date, YYYY-MM-DD; evidence: a link to the evidence/.test(err.message));
  assert.throws(() => readAttestation(dir, 'training'), /no attestation .*training\.yaml: this item needs a person's attestation/);
  assert.throws(() => readAttestation(dir, '../etc'), /not an attestation name/);
});

test('the Allure entry: a "PRD coverage" result, failed while items are missing, with a table and a chart per document', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-prd-allure-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const features = path.join(dir, 'features');
  const results = path.join(dir, 'results');
  fs.mkdirSync(features);
  fs.mkdirSync(results);
  const [first] = loadPrds([FIXTURES]).find((d) => d.name === 'base')?.items ?? [];
  fs.writeFileSync(path.join(features, 'a.feature'), `Feature: A\n  @prd=${first?.id}\n  Scenario: S\n    Given nothing\n`);
  const file = await writeCoverageResult(results, FIXTURES, [features], undefined);
  const result = JSON.parse(fs.readFileSync(path.join(results, file), 'utf8'));
  assert.equal(result.name, 'PRD coverage');
  assert.equal(result.status, 'failed');
  assert.match(result.statusDetails.message, /^\d+ requirement item\(s\) have no scenario/);
  assert.deepEqual(result.attachments.map((a: { name: string; type: string }) => `${a.name} ${a.type}`), ['PRD coverage (table) text/html', 'base (chart) image/svg+xml', 'embedding (chart) image/svg+xml']);
  for (const a of result.attachments) assert.ok(fs.statSync(path.join(results, a.source)).size > 200, a.name);
  const html = fs.readFileSync(path.join(results, result.attachments[0].source), 'utf8');
  assert.match(html, /<td class="automated">1<\/td>/);
  assert.match(fs.readFileSync(path.join(results, result.attachments[1].source), 'utf8'), /^<svg/);
});
