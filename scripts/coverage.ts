// `npm run coverage -- [service...]`: runs a service's tests (and the shared
// base's) under c8 and writes lcov, a JSON summary and a text report to
// reports/coverage/<service>/. The framework reads coverage-summary.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES } from '../services/registry.ts';

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : SERVICE_NAMES;
for (const name of names) {
  if (!SERVICE_NAMES.includes(name)) {
    console.error(`unknown service "${name}": expected one of ${SERVICE_NAMES.join(', ')}`);
    process.exit(2);
  }
}

interface Totals {
  lines: { pct: number };
  branches: { pct: number };
  functions: { pct: number };
  statements: { pct: number };
}

/** Node 20's test runner does not expand globs: list the test files ourselves. */
const testFiles = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(dir, f)) : [];

const rows: string[] = [];
let failed = false;
for (const name of names) {
  const reportsDir = path.join('reports', 'coverage', name);
  fs.rmSync(reportsDir, { recursive: true, force: true });
  console.log(`coverage: ${name}: running services/${name} and services/common tests under c8`);
  const result = spawnSync(
    'npx',
    [
      'c8',
      '--reports-dir', reportsDir,
      '--temp-directory', path.join(reportsDir, '.tmp'),
      '--reporter', 'lcov', '--reporter', 'json-summary', '--reporter', 'json', '--reporter', 'text',
      '--include', `services/${name}/**/*.ts`, '--include', 'services/common/**/*.ts',
      '--exclude', '**/test/**', '--exclude', 'services/common/testing.ts',
      // Type declarations only: nothing in it runs.
      '--exclude', 'services/common/service.ts',
      // Browser-only code runs in Chromium, not in Node: measured by the browser checks instead.
      '--exclude', 'services/*/client/editor.ts',
      '--all',
      process.execPath, '--import', 'tsx', '--test', '--test-timeout=60000',
      ...testFiles(`services/${name}/test`), ...testFiles('services/common/test'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
  );
  if (result.status !== 0) failed = true;
  const summaryFile = path.join(reportsDir, 'coverage-summary.json');
  if (!fs.existsSync(summaryFile)) {
    rows.push(`${name.padEnd(10)} no summary written (tests exited ${result.status})`);
    continue;
  }
  const total = (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { total: Totals }).total;
  fs.rmSync(path.join(reportsDir, '.tmp'), { recursive: true, force: true });
  rows.push(
    `${name.padEnd(10)} lines ${total.lines.pct.toFixed(2).padStart(6)}%  branches ${total.branches.pct.toFixed(2).padStart(6)}%  functions ${total.functions.pct.toFixed(2).padStart(6)}%   ${summaryFile}`,
  );
}
console.log(`\ncoverage summary\n${rows.join('\n')}`);
process.exit(failed ? 1 : 0);
