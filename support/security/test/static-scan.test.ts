import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SECURITY_RULES, staticSecurityScan } from '../static-scan.ts';

test('findings, suppressions with and without a reason, stale suppressions and tests', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-scan-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  };
  write('src/run.ts', 'export const run = (input: string): unknown => eval(input);\n');
  write('src/regex.ts', 'export const matches = (p: string, s: string): boolean => new RegExp(p).test(s);\n');
  write('src/ok.ts', [
    "import fs from 'node:fs';",
    '// eslint-disable-next-line security/detect-non-literal-fs-filename -- the path is the operator\'s setting',
    'export const read = (file: string): string => fs.readFileSync(file, "utf8");',
    '// eslint-disable-next-line security/detect-non-literal-fs-filename',
    'export const size = (file: string): number => fs.statSync(file).size;',
    '// eslint-disable-next-line security/detect-eval-with-expression -- nothing here any more',
    'export const two = 2;',
    '',
  ].join('\n'));
  write('src/test/run.test.ts', 'eval(process.argv[2] as string);\n');
  const report = await staticSecurityScan(root, ['src']);
  assert.ok(SECURITY_RULES.includes('security/detect-eval-with-expression'));
  assert.equal(report.files, 3, 'tests are left out');
  const found = report.findings.map((f) => `${f.file}:${f.line} ${f.rule}`).sort();
  assert.deepEqual(found, [
    'src/ok.ts:5 security/detect-non-literal-fs-filename (suppressed without a reason)',
    'src/ok.ts:6 unused-suppression',
    'src/regex.ts:1 security/detect-non-literal-regexp',
    'src/run.ts:1 security/detect-eval-with-expression',
  ]);
  assert.deepEqual(report.suppressed.map((s) => [s.line, s.reason]), [[3, "the path is the operator's setting"]]);
});

test("the project's services scan clean: every finding fixed or suppressed with its reason", async () => {
  const report = await staticSecurityScan(process.cwd(), ['services']);
  assert.deepEqual(report.findings, []);
  assert.ok(report.files > 20);
  for (const s of report.suppressed) assert.ok(s.reason.length > 10, `${s.file}:${s.line} needs a reason`);
});
