import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseTapSummary, runUnitTests } from '../unit-tests.ts';

function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-unit-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

test('a folder of TypeScript tests is run and counted, failures named', async (t) => {
  const root = project({
    't/a.test.ts': "import { test } from 'node:test';\nconst n: number = 1;\ntest('one', () => {});\ntest('two', () => { if (n !== 1) throw new Error(); });\n",
    't/b.test.ts': "import { test } from 'node:test';\ntest('breaks', () => { throw new Error('boom'); });\ntest('later', { skip: true }, () => {});\n",
    't/helper.ts': 'export const notATest = 1;\n',
  });
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const run = await runUnitTests(['t'], { root });
  assert.deepEqual(run.files, ['t/a.test.ts', 't/b.test.ts']);
  assert.equal(run.tests, 4);
  assert.equal(run.passed, 2);
  assert.equal(run.failed, 1);
  assert.equal(run.skipped, 1);
  assert.notEqual(run.exitStatus, 0);
  assert.deepEqual(run.failures, ['breaks']);
});

test('a folder without tests is an error, not zero tests passed', async () => {
  await assert.rejects(runUnitTests(['nowhere'], { root: os.tmpdir() }), /no \*\.test\.ts files in nowhere/);
});

test('output that never reached the summary is an error', () => {
  assert.throws(() => parseTapSummary('ok 1 - one\n'), /printed no "# tests" line/);
});
