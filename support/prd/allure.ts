// PRD coverage as an entry of the Allure report: one result, "PRD coverage",
// with a table and a chart per document (automated, manual, not applicable
// and missing per section, and what this run proved), so that a release
// manager sees the coverage next to the scenarios. Written into the results
// folder before `allure generate`; failed while any item is missing.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { coverageChart } from '../evidence/charts.ts';
import type { RunSummary } from '../evidence/summary.ts';
import { type CoverageResult, ITEM_STATES, prdCoverage, scanFeatures } from './coverage.ts';
import { loadPrds } from './parse.ts';

const STATE_LABEL: Record<string, string> = { automated: 'automated', manual: 'manual', 'not-applicable': 'not applicable', missing: 'missing' };

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** An HTML page with one table per document: its sections' counts, and this run's proven/failed items when a run summary is given. */
export function coverageHtml(result: CoverageResult, run?: RunSummary['prd']): string {
  const cells = (c: Record<string, number>) => ITEM_STATES.map((s) => `<td class="${s}">${c[s]}</td>`).join('');
  const tables = result.documents.map((d) => {
    const inRun = run?.documents.find((r) => r.document === d.document);
    const rows = d.sections.map((s) => `<tr><td>${escape(s.section)}</td>${cells(s.counts)}</tr>`).join('\n');
    return `<h2>${escape(d.title)} <small>(${escape(d.document)})</small></h2>
${inRun ? `<p>This run: ${inRun.provenInRun} item(s) proved by a passing scenario, ${inRun.failedInRun} only by failing ones.</p>` : ''}
<table><tr><th>section</th>${ITEM_STATES.map((s) => `<th>${STATE_LABEL[s]}</th>`).join('')}</tr>
${rows}
<tr class="total"><td>all sections</td>${cells(d.counts)}</tr></table>`;
  });
  return `<!doctype html><meta charset="utf-8"><style>
body{font:13px sans-serif;margin:12px} table{border-collapse:collapse;margin-bottom:18px} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} td:first-child,th:first-child{text-align:left}
td.missing{color:#c62828;font-weight:bold} td.automated{color:#2e7d32} tr.total td{font-weight:bold;background:#f4f4f4} small{color:#777;font-weight:normal}
</style>
<h1>PRD coverage</h1>
<p>Total: ${result.totals.automated} automated, ${result.totals.manual} manual, ${result.totals['not-applicable']} not applicable, ${result.totals.missing} missing.</p>
${tables.join('\n')}`;
}

/**
 * Writes the "PRD coverage" result and its attachments into an Allure
 * results folder. Returns the result's file name.
 */
export async function writeCoverageResult(resultsDir: string, prdDir: string, featureDirs: string[], run?: RunSummary['prd']): Promise<string> {
  const documents = loadPrds([prdDir]);
  const result = prdCoverage(documents, scanFeatures(featureDirs));
  const attachments: { name: string; source: string; type: string }[] = [];
  const attach = (name: string, content: string, type: string, ext: string) => {
    const source = `${randomUUID()}-attachment.${ext}`;
    fs.writeFileSync(path.join(resultsDir, source), content);
    attachments.push({ name, source, type });
  };
  attach('PRD coverage (table)', coverageHtml(result, run), 'text/html', 'html');
  for (const d of result.documents) {
    // "Phase 5: TinyURL Service Deployment (Priority: High)" reads as "Phase 5: TinyURL Service Deployment" on the axis.
    const rows = d.sections.flatMap((s) => ITEM_STATES.map((state) => ({ section: s.section.replace(/\s*\(Priority:[^)]*\)?\s*$/, ''), state: STATE_LABEL[state] as string, count: s.counts[state] })));
    attach(`${d.document} (chart)`, await coverageChart(`${d.title}: ${d.counts.automated} automated, ${d.counts.manual} manual, ${d.counts['not-applicable']} n/a, ${d.counts.missing} missing`, rows), 'image/svg+xml', 'svg');
  }
  const now = Date.now();
  const missing = result.totals.missing;
  const unknown = result.unknown.length;
  const uuid = randomUUID();
  const file = `${uuid}-result.json`;
  fs.writeFileSync(
    path.join(resultsDir, file),
    JSON.stringify({
      uuid,
      historyId: 'cutover-prd-coverage',
      testCaseId: 'cutover-prd-coverage',
      name: 'PRD coverage',
      fullName: 'cutover: PRD coverage',
      status: missing === 0 && unknown === 0 ? 'passed' : 'failed',
      statusDetails: missing === 0 && unknown === 0 ? {} : { message: `${missing} requirement item(s) have no scenario${unknown ? `; ${unknown} @prd tag(s) name no item` : ''} (npx cutover prd coverage --prd ${prdDir})` },
      stage: 'finished',
      description: `Every checklist item of the PRDs in ${prdDir}, matched to scenarios by their @prd= tags.`,
      start: now,
      stop: now,
      labels: [
        { name: 'epic', value: 'traceability' },
        { name: 'feature', value: 'PRD coverage' },
        { name: 'suite', value: 'PRD coverage' },
        { name: 'severity', value: 'critical' },
      ],
      parameters: result.documents.map((d) => ({ name: d.document, value: `${d.counts.automated} automated, ${d.counts.manual} manual, ${d.counts['not-applicable']} n/a, ${d.counts.missing} missing` })),
      attachments,
      steps: [],
      links: [],
    }),
  );
  return file;
}
