// Unit tests as a scenario step: a folder's tests run to the end, counted,
// with the runner's output attached.
import { Then } from '@cucumber/cucumber';
import { commaList } from '../support/vocabulary/parse.ts';
import { runUnitTests } from '../support/testing/unit-tests.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Runs every `*.test.ts` in the folders (comma-separated, e.g. "services/tinyurl/test") with Node's test runner; all must pass, and at least this many must have run. */
Then('the unit tests in {string} all pass, at least {int} of them', async function (this: CutoverWorld, folders: string, atLeast: number) {
  const dirs = commaList(folders);
  const run = await runUnitTests(dirs, { root: process.cwd(), log: (line) => this.progress(line) });
  await this.evidence.text(`unit tests in ${dirs.join(', ')}`, run.output);
  const ok = run.exitStatus === 0 && run.failed === 0 && run.cancelled === 0 && run.tests >= atLeast;
  const measured = { tests: run.tests, passed: run.passed, failed: run.failed, cancelled: run.cancelled, skipped: run.skipped, files: run.files.length, seconds: Math.round(run.durationMs / 100) / 10 };
  await this.evidence.verify(`unit tests in ${dirs.join(', ')}: all pass, at least ${atLeast}`, ok, { expected: `0 failed, ≥ ${atLeast} tests`, measured, details: { files: run.files, failures: run.failures } }, () =>
    run.failed > 0 || run.cancelled > 0 || run.exitStatus !== 0
      ? `${run.failed} of ${run.tests} unit tests failed and ${run.cancelled} were cancelled in ${dirs.join(', ')} (exit ${run.exitStatus}): ${run.failures.slice(0, 10).join('; ')}`
      : `only ${run.tests} unit tests ran in ${dirs.join(', ')}, expected at least ${atLeast}`,
  );
});

/** Runs only the tests of the folders whose names match the regular expression; every one of them must pass, and at least this many must have run. */
Then('the tests in {string} named like {string} pass, at least {int} of them', async function (this: CutoverWorld, folders: string, pattern: string, atLeast: number) {
  const dirs = commaList(folders);
  const run = await runUnitTests(dirs, { root: process.cwd(), namePattern: pattern, log: (line) => this.progress(line) });
  await this.evidence.text(`tests in ${dirs.join(', ')} named like /${pattern}/`, run.output);
  const ran = [...run.output.matchAll(/^ok \d+ - (.*?)(?: # SKIP.*)?$/gm)].filter((m) => !/# SKIP/.test(m[0])).map((m) => m[1] as string);
  const ok = run.exitStatus === 0 && run.failed === 0 && run.cancelled === 0 && run.passed >= atLeast;
  await this.evidence.verify(`tests named like /${pattern}/ pass, at least ${atLeast}`, ok, { expected: `0 failed, ≥ ${atLeast} passed`, measured: { passed: run.passed, failed: run.failed, ran } }, () =>
    run.failed > 0 || run.exitStatus !== 0 ? `${run.failed} failed: ${run.failures.slice(0, 10).join('; ')}` : `only ${run.passed} tests named like /${pattern}/ passed in ${dirs.join(', ')}, expected at least ${atLeast}`,
  );
});
