// A verification run as a release manager receives it: a feature run by
// cucumber-js through cucumber.mjs with its reports in a folder of its own,
// and the Allure HTML built from them (`npm run report`).
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ProcessOutcome {
  status: number | null;
  output: string;
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, what: string): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s; last output:\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** cucumber-js on a feature (optionally one scenario by name) with its reports in `reportsDir`; exit 1 (failed scenarios) is an outcome, not an error. */
export function runFeature(root: string, feature: string, reportsDir: string, options: { name?: string; timeScale?: number; timeoutMs?: number } = {}): Promise<ProcessOutcome> {
  const args = [path.join('node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'), feature, ...(options.name ? ['--name', options.name] : [])];
  const env = { CUTOVER_REPORTS_DIR: reportsDir, CUTOVER_TIME_SCALE: String(options.timeScale ?? 0.1), CUTOVER_QUIET: '1' };
  return run(args, root, env, options.timeoutMs ?? 300_000, `cucumber-js ${feature}`);
}

/** `npm run report` for a reports folder: the Allure HTML in <reportsDir>/allure-report. */
export async function buildReport(root: string, reportsDir: string, timeoutMs = 180_000): Promise<string> {
  const r = await run(['--import', 'tsx', path.join('scripts', 'report.ts')], root, { CUTOVER_REPORTS_DIR: reportsDir }, timeoutMs, 'allure generate');
  if (r.status !== 0) throw new Error(`the Allure report could not be built (exit ${r.status}):\n${r.output.slice(-3000)}`);
  return path.join(reportsDir, 'allure-report');
}
