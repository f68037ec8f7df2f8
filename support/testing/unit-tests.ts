// A service's own unit tests (Node's test runner over services/<name>/test),
// run to the end with a bound and counted from the runner's TAP summary, so a
// scenario can say how many ran, how many passed and which failed.
import fs from 'node:fs';
import path from 'node:path';
import { runBounded } from '../process/bounded.ts';

export interface UnitTestRun {
  /** The test files run, relative to the root. */
  files: string[];
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
  /** "not ok" lines, with the test names. */
  failures: string[];
  exitStatus: number | null;
  durationMs: number;
  /** The runner's output (its last 200 000 characters). */
  output: string;
}

export interface UnitTestOptions {
  root: string;
  log?: (line: string) => void;
  timeoutMs?: number;
  /** Only tests whose name matches (a regular expression, as --test-name-pattern takes); the others are skipped. */
  namePattern?: string;
}

/** The test files of one folder (Node 20's runner does not expand globs). */
export function testFilesIn(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Counts from the TAP summary lines (`# tests 12`, `# pass 12`, …) and every `not ok` line. */
export function parseTapSummary(output: string): Pick<UnitTestRun, 'tests' | 'passed' | 'failed' | 'skipped' | 'cancelled' | 'failures'> {
  const count = (name: string) => {
    const all = [...output.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
    const last = all.at(-1);
    if (last === undefined) throw new Error(`the test runner printed no "# ${name}" line: it did not get to its summary`);
    return Number(last[1]);
  };
  const failures = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => (m[1] as string).trim());
  return { tests: count('tests'), passed: count('pass'), failed: count('fail'), skipped: count('skipped'), cancelled: count('cancelled'), failures };
}

/** Runs the test files of these folders (relative to root) in one test run. */
export async function runUnitTests(dirs: string[], options: UnitTestOptions): Promise<UnitTestRun> {
  const files = dirs.flatMap((d) => testFilesIn(options.root, d));
  if (files.length === 0) throw new Error(`no *.test.ts files in ${dirs.join(', ')}`);
  const started = performance.now();
  const outcome = await runBounded({
    command: process.execPath,
    // tsx resolved from here, so tests anywhere (even outside the project) run as TypeScript.
    args: ['--import', import.meta.resolve('tsx'), '--test', '--test-reporter=tap', '--test-timeout=120000', ...(options.namePattern !== undefined ? [`--test-name-pattern=${options.namePattern}`] : []), ...files],
    cwd: options.root,
    // NODE_TEST_CONTEXT would make a runner started from inside a test report in its parent's binary protocol.
    env: { NODE_ENV: 'test', NODE_TEST_CONTEXT: undefined },
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    what: `the unit tests in ${dirs.join(', ')}`,
    onLine: (line) => {
      if (/^# (tests|pass|fail) /.test(line) || /^not ok /.test(line)) options.log?.(`${dirs.join(', ')}: ${line}`);
    },
  });
  const durationMs = Math.round(performance.now() - started);
  return { files, ...parseTapSummary(outcome.output), exitStatus: outcome.status, durationMs, output: outcome.output };
}
