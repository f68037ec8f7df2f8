// The GitHub workflows in .github/workflows checked against the project
// itself, since they only run on GitHub: every `npm run` names a script,
// every cucumber profile exists, every feature file is there, every
// `npx cutover` command line is one the CLI takes, actions are pinned to a
// version, every job has a time limit, the Node version meets the engines
// field. actionlint (built from its Go module) checks the GitHub side.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { commandProblems } from '../cli/main.ts';

export interface WorkflowProblem {
  file: string;
  line: number;
  problem: string;
}

export const WORKFLOW_DIR = path.join('.github', 'workflows');

/** The profiles cucumber.mjs exports (`export const <name> = profile(...)`). */
export function cucumberProfiles(root: string): string[] {
  const text = fs.readFileSync(path.join(root, 'cucumber.mjs'), 'utf8');
  return [...text.matchAll(/^export const (\w+) = profile\(/gm), ...text.matchAll(/^export default profile\(/gm)].map((m) => m[1] ?? 'default');
}

/** Words of a shell line, quotes removed; good enough for the command lines a workflow writes. */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? (m[3] as string));

function checkRun(root: string, run: string, scripts: Set<string>, profiles: string[], at: (problem: string) => void): void {
  for (const raw of run.split('\n')) {
    const line = raw.trim();
    for (const m of line.matchAll(/\bnpm run ([\w:-]+)/g)) if (!scripts.has(m[1] as string)) at(`npm run ${m[1]}: package.json has no such script`);
    if (/\bcucumber-js\b/.test(line)) {
      const p = /--profile[= ](\S+)/.exec(line)?.[1];
      if (p !== undefined && !profiles.includes(p)) at(`cucumber profile "${p}" is not in cucumber.mjs (it has ${profiles.join(', ')})`);
      for (const f of words(line).filter((w) => /^features\/\S+\.feature(:\d+)?$/.test(w))) {
        if (!fs.existsSync(path.join(root, f.replace(/:\d+$/, '')))) at(`${f}: no such feature file`);
      }
    }
    const cutover = /\bnpx cutover (.*)$/.exec(line);
    if (cutover) for (const p of commandProblems(words(cutover[1] as string))) at(p);
  }
}

/** What is wrong with the project's workflows (empty when nothing), each with file and line. */
export function workflowProblems(root: string): WorkflowProblem[] {
  const dir = path.join(root, WORKFLOW_DIR);
  if (!fs.existsSync(dir)) return [{ file: WORKFLOW_DIR, line: 0, problem: 'no workflows' }];
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines?: { node?: string } };
  const scripts = new Set(Object.keys(pkg.scripts));
  const profiles = cucumberProfiles(root);
  const problems: WorkflowProblem[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = path.join(WORKFLOW_DIR, name);
    const lineCounter = new LineCounter();
    const doc = parseDocument(fs.readFileSync(path.join(dir, name), 'utf8'), { lineCounter });
    const lineOf = (node: unknown) => (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? lineCounter.linePos(node.range[0] as number).line : 0);
    const add = (node: unknown, problem: string) => problems.push({ file, line: lineOf(node), problem });
    for (const e of doc.errors) problems.push({ file, line: e.linePos?.[0]?.line ?? 0, problem: e.message });
    if (doc.errors.length > 0) continue;
    const jobs = doc.get('jobs', true);
    if (!isMap(jobs)) {
      add(doc.contents, 'no jobs');
      continue;
    }
    if (!doc.has('permissions')) add(doc.contents, 'no top-level permissions: the token would get the repository default');
    for (const job of jobs.items) {
      const jobName = String(isScalar(job.key) ? job.key.value : job.key);
      const body = job.value as Node;
      if (!isMap(body)) continue;
      if (!body.has('timeout-minutes')) add(job.key, `job ${jobName}: no timeout-minutes (a hung run would hold the runner for 6 hours)`);
      const steps = body.get('steps', true);
      if (!isSeq(steps)) continue;
      for (const step of steps.items) {
        if (!isMap(step)) continue;
        const uses = step.get('uses', true);
        if (isScalar(uses) && typeof uses.value === 'string' && !uses.value.startsWith('./') && !/@v\d+(\.\d+)*$|@[0-9a-f]{40}$/.test(uses.value)) add(uses, `${uses.value}: pin the action to a version (@vN) or a commit`);
        const withNode = step.getIn(['with', 'node-version'], true);
        if (isScalar(withNode)) {
          const major = Number(String(withNode.value).split('.')[0]);
          const engines = pkg.engines?.node ?? '';
          const min = Number(/>=\s*(\d+)/.exec(engines)?.[1] ?? 0);
          const below = Number(/<\s*(\d+)/.exec(engines)?.[1] ?? Infinity);
          if (!(major >= min && major < below)) add(withNode, `node-version ${withNode.value} is outside package.json engines "${engines}"`);
        }
        const run = step.get('run', true);
        if (isScalar(run) && typeof run.value === 'string') checkRun(root, run.value, scripts, profiles, (p) => add(run, p));
      }
    }
  }
  return problems;
}

export interface ActionlintResult {
  /** False when actionlint is not installed. */
  ran: boolean;
  ok: boolean;
  output: string;
}

/** Runs actionlint over every workflow file under root (named, so no git repository is needed). */
export function runActionlint(root: string, binary = process.env.ACTIONLINT_BIN ?? 'actionlint'): ActionlintResult {
  const dir = path.join(root, WORKFLOW_DIR);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(WORKFLOW_DIR, f)) : [];
  if (files.length === 0) return { ran: false, ok: false, output: `no workflow files in ${dir}` };
  const r = spawnSync(binary, ['-no-color', ...files], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return { ran: false, ok: false, output: `${binary} is not installed (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)` };
  return { ran: true, ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}
