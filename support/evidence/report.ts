// A verification run as a release manager receives it: a feature run by
// cucumber-js through cucumber.mjs with its reports in a folder of its own,
// and the Allure HTML built from them (`npm run report`).
import fs from 'node:fs';
import path from 'node:path';
import { runBounded, type ProcessOutcome } from '../process/bounded.ts';

const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, what: string) => runBounded({ command: process.execPath, args, cwd, env, timeoutMs, what });

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

export interface DryRunOutcome {
  scenarios: number;
  steps: number;
  /** Counts by status in cucumber's summary ("undefined", "ambiguous", "skipped"...). */
  byStatus: Record<string, number>;
  output: string;
}

/** cucumber-js --dry-run over these paths (reports in their own folder): every step matched to a definition, nothing run. */
export async function dryRunFeatures(root: string, paths: string[], reportsDir: string, timeoutMs = 180_000): Promise<DryRunOutcome> {
  const args = [path.join('node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'), '--dry-run', ...paths];
  const r = await run(args, root, { CUTOVER_REPORTS_DIR: reportsDir, CUTOVER_QUIET: '1' }, timeoutMs, `cucumber-js --dry-run ${paths.join(' ')}`);
  const summary = (noun: string) => {
    const m = new RegExp(`^(\\d+) ${noun}s? \\(([^)]*)\\)`, 'm').exec(r.output);
    if (m === null) throw new Error(`cucumber-js --dry-run printed no ${noun} summary (exit ${r.status}):\n${r.output.slice(-2000)}`);
    return { total: Number(m[1]), parts: m[2] as string };
  };
  const scenarios = summary('scenario');
  const steps = summary('step');
  const byStatus: Record<string, number> = {};
  for (const part of steps.parts.split(',')) {
    const [n, status] = part.trim().split(' ');
    if (status !== undefined) byStatus[status] = Number(n);
  }
  return { scenarios: scenarios.total, steps: steps.total, byStatus, output: r.output };
}

/** The names of every attachment of a scenario's Allure result: its steps', and its hooks' (kept in the containers that list it as a child). */
export function scenarioAttachments(resultsDir: string, scenario: string): { status: string; attachments: string[] } | undefined {
  const names = (node: unknown): string[] => {
    if (node === null || typeof node !== 'object') return [];
    const n = node as { attachments?: { name: string }[]; steps?: unknown[]; befores?: unknown[]; afters?: unknown[] };
    return [...(n.attachments ?? []).map((a) => a.name), ...[...(n.steps ?? []), ...(n.befores ?? []), ...(n.afters ?? [])].flatMap(names)];
  };
  const read = (suffix: string) =>
    fs
      .readdirSync(resultsDir)
      .filter((f) => f.endsWith(suffix))
      .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as { uuid: string; name?: string; status?: string; children?: string[] });
  const result = read('-result.json').find((r) => r.name === scenario);
  if (result === undefined) return undefined;
  const hooks = read('-container.json').filter((c) => c.children?.includes(result.uuid));
  return { status: result.status ?? 'unknown', attachments: [...names(result), ...hooks.flatMap(names)] };
}
