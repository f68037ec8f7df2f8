// `npm run report`: the Allure HTML report from reports/allure-results and
// the results of runs on other platforms beside it (reports/<name>/allure-results,
// e.g. reports/docker: each scenario shows once per platform, the platform a
// parameter), with the previous report's history carried over so trends build
// up run after run, and an entry with the PRD coverage. Needs Java
// (allure-commandline is a Java program).
//   npm run report                 reports/allure-report/ (serve it over 127.0.0.1, or:)
//   npm run report -- --single-file  one self-contained index.html
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../support/evidence/summary.ts';
import { writeCoverageResult } from '../support/prd/allure.ts';
import { defaultPrdDir } from '../support/prd/parse.ts';

const reports = process.env.CUTOVER_REPORTS_DIR ?? 'reports';
const results = path.join(reports, 'allure-results');
const output = path.join(reports, 'allure-report');
if (!fs.existsSync(results) || fs.readdirSync(results).length === 0) {
  console.error(`no Allure results in ${results}: run a feature first (npx cucumber-js features/canary.feature)`);
  process.exit(2);
}
const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
if (java.error || java.status !== 0) {
  console.error('allure needs Java on PATH (apt-get install default-jre-headless)');
  process.exit(2);
}
// PRD coverage as its own entry (table and chart per document), when the PRDs are there.
const prdDir = defaultPrdDir();
if (fs.existsSync(prdDir)) {
  const summaryFile = path.join(reports, 'run-summary.json');
  const run = fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary).prd : undefined;
  try {
    await writeCoverageResult(results, prdDir, ['features'], run);
  } catch (err) {
    console.error(`report without PRD coverage: ${(err as Error).message}`);
  }
}
// Trends: Allure reads the last report's history from the results folder.
const history = path.join(output, 'history');
if (fs.existsSync(history)) fs.cpSync(history, path.join(results, 'history'), { recursive: true });
const others = fs.existsSync(reports)
  ? fs
      .readdirSync(reports, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(reports, d.name, 'allure-results')))
      .map((d) => path.join(reports, d.name, 'allure-results'))
  : [];
for (const o of others) console.log(`with the results in ${o}`);
const args = ['generate', results, ...others, '-o', output, '--clean', ...(process.argv.includes('--single-file') ? ['--single-file'] : [])];
const r = spawnSync(path.join('node_modules', '.bin', 'allure'), args, { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`report: ${path.join(output, 'index.html')}`);
