// The project's lint, as npm test runs it (eslint.config.mjs): the project is
// clean, and the rules do catch what they are there for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

test('the lint flags an explicit any, an unused variable, a lost error cause and an unused suppression', async () => {
  const source = [
    'export function load(text: string): unknown {',
    '  const unused = 1;',
    '  try {',
    '    return JSON.parse(text) as any;',
    '  } catch (err) {',
    '    throw new Error(`not JSON: ${(err as Error).message}`);',
    '  }',
    '}',
    '// eslint-disable-next-line no-console',
    'export const two = 2;',
    '',
  ].join('\n');
  const [result] = await eslint.lintText(source, { filePath: 'support/lint-probe.ts' });
  assert.deepEqual(result?.messages.map((m) => `${m.line} ${m.ruleId ?? 'unused-directive'}`), [
    '2 @typescript-eslint/no-unused-vars',
    '4 @typescript-eslint/no-explicit-any',
    '6 preserve-caught-error',
    '9 unused-directive',
  ]);
});

test("the services' code gets the security rules too", async () => {
  const [result] = await eslint.lintText('export const run = (input: string): unknown => eval(input);\n', { filePath: 'services/common/lint-probe.ts' });
  assert.ok(result?.messages.some((m) => m.ruleId === 'security/detect-eval-with-expression'), JSON.stringify(result?.messages));
});

test('the project lints clean, every file of it', async () => {
  const results = await eslint.lintFiles(['.']);
  const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
  assert.deepEqual(problems, []);
  assert.ok(results.length > 200, `${results.length} files linted`);
});

test('the format: quotes, semicolons, trailing commas, indentation and spacing are checked, and --fix applies them', async () => {
  const source = ['export function f(a: number) {', '    return a+1', '}', 'export const s = "text";  ', 'export const o = {', "  k: 'v'", '};', ''].join('\n');
  const [result] = await eslint.lintText(source, { filePath: 'support/format-probe.ts' });
  assert.deepEqual([...new Set(result?.messages.map((m) => m.ruleId))].sort(), [
    '@stylistic/comma-dangle',
    '@stylistic/indent',
    '@stylistic/no-trailing-spaces',
    '@stylistic/quotes',
    '@stylistic/semi',
    '@stylistic/space-infix-ops',
  ]);
  const [fixed] = await new ESLint({ cwd: process.cwd(), fix: true }).lintText(source, { filePath: 'support/format-probe.ts' });
  assert.equal(fixed?.output, ['export function f(a: number) {', '  return a + 1;', '}', "export const s = 'text';", 'export const o = {', "  k: 'v',", '};', ''].join('\n'));
});
