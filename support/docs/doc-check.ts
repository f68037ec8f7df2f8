// Documentation that stays true: the claims a Markdown file makes that can be
// checked are checked. `npx cutover ...` lines in code blocks must be command
// lines the CLI takes, `npm run <script>` must name a script of package.json,
// a repository path in backticks must exist, and a Gherkin step shown in a
// code block must match exactly one step definition (a cucumber dry run).
// Commands and scripts count in inline code too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandProblems } from '../cli/main.ts';
import { dryRunFeatures } from '../evidence/report.ts';

export interface DocClaim {
  file: string;
  line: number;
  kind: 'command' | 'script' | 'path' | 'step';
  text: string;
}

export interface DocProblem extends DocClaim {
  problem: string;
}

const TOP_DIRS = ['k8s/', 'features/', 'steps/', 'support/', 'services/', 'docs/', 'bench/', 'scripts/', 'attestations/', 'chaos/', 'bin/', '.ci/'];
const STEP = /^(?:Given|When|Then|And|But)\s+(.+)$/;

/** The checkable claims of a Markdown text: in code blocks (fenced or indented) commands, scripts and steps; anywhere, repository paths in backticks. */
export function docClaims(file: string, text: string): DocClaim[] {
  const claims: DocClaim[] = [];
  let fenced = false;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      return;
    }
    const inCode = fenced || /^( {4}|\t)/.test(raw);
    if (inCode) {
      const code = raw.trim().replace(/^\$\s+/, '').replace(/\s+#\s.*$/, '');
      const cutover = /^(?:[A-Z_]+=\S+\s+)*npx cutover\s+(.*)$/.exec(code);
      if (cutover) claims.push({ file, line, kind: 'command', text: (cutover[1] as string).trim() });
      const scripts = [...code.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1] as string);
      if (/^npm test\b/.test(code) || /&& npm test\b/.test(code)) scripts.push('test');
      for (const s of scripts) claims.push({ file, line, kind: 'script', text: s });
      const step = STEP.exec(code);
      if (step && !/^\|/.test(step[1] as string)) claims.push({ file, line, kind: 'step', text: step[1] as string });
      return;
    }
    for (const m of raw.matchAll(/`([^`]+)`/g)) {
      const span = (m[1] as string).trim();
      const cutover = /^npx cutover\s+(.*)$/.exec(span);
      // A bare `npx cutover prd` names a command in prose; with arguments it is a command line.
      if (cutover && /\s/.test((cutover[1] as string).trim())) claims.push({ file, line, kind: 'command', text: (cutover[1] as string).trim() });
      const script = /^npm run ([\w:-]+)/.exec(span);
      if (script) claims.push({ file, line, kind: 'script', text: script[1] as string });
      const p = span.replace(/:\d+$/, '');
      if (!/\s/.test(p) && TOP_DIRS.some((d) => p.startsWith(d)) && !/[<>*{}|]/.test(p)) claims.push({ file, line, kind: 'path', text: p });
    }
  });
  return claims;
}

/** A command line in usage notation as the command lines it stands for: "[--full]" is an optional flag, "abort|retry" alternatives. */
export function usageAlternatives(text: string): string[][] {
  let lines: string[][] = [[]];
  for (const raw of text.split(/\s+/).filter((a) => a !== '')) {
    const token = raw.replace(/^\[/, '').replace(/\]$/, '');
    const options = token.split('|');
    lines = lines.flatMap((l) => options.map((o) => [...l, o]));
  }
  return lines;
}

/** Checks every claim of these Markdown files against the project at root. */
export async function checkDocs(root: string, files: string[]): Promise<{ claims: DocClaim[]; problems: DocProblem[] }> {
  const claims = files.flatMap((f) => docClaims(f, fs.readFileSync(path.resolve(root, f), 'utf8')));
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const problems: DocProblem[] = [];
  for (const c of claims) {
    if (c.kind === 'command') for (const argv of usageAlternatives(c.text)) for (const p of commandProblems(argv)) problems.push({ ...c, problem: p });
    if (c.kind === 'script' && !(c.text in scripts)) problems.push({ ...c, problem: `package.json has no script "${c.text}" (it has ${Object.keys(scripts).join(', ')})` });
    if (c.kind === 'path' && !fs.existsSync(path.join(root, c.text))) problems.push({ ...c, problem: `no such file or folder` });
  }
  const steps = claims.filter((c) => c.kind === 'step');
  if (steps.length > 0) {
    // One scenario per step, so the dry run's counts say which step matched nothing.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-doc-steps-'));
    try {
      const feature = path.join(dir, 'doc-steps.feature');
      fs.writeFileSync(feature, ['Feature: steps shown in the docs', ...steps.flatMap((s, i) => [`  Scenario: step ${i}`, `    * ${s.text}`])].join('\n') + '\n');
      const outcome = await dryRunFeatures(root, [feature, '--format', `message:${path.join(dir, 'messages.ndjson')}`], dir);
      const unmatched = undefinedStepTexts(fs.readFileSync(path.join(dir, 'messages.ndjson'), 'utf8'));
      for (const s of steps) if (unmatched.has(s.text)) problems.push({ ...s, problem: 'no step definition matches it (or more than one does)' });
      if (outcome.steps !== steps.length) problems.push({ file: files.join(', '), line: 0, kind: 'step', text: '', problem: `the dry run saw ${outcome.steps} steps of ${steps.length}` });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { claims, problems };
}

/** The texts of the steps a cucumber message stream reports UNDEFINED or AMBIGUOUS. */
function undefinedStepTexts(ndjson: string): Set<string> {
  const stepText = new Map<string, string>();
  const testStepToPickleStep = new Map<string, string>();
  const bad = new Set<string>();
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as {
      pickle?: { steps: { id: string; text: string }[] };
      testCase?: { testSteps: { id: string; pickleStepId?: string }[] };
      testStepFinished?: { testStepId: string; testStepResult: { status: string } };
    };
    for (const s of m.pickle?.steps ?? []) stepText.set(s.id, s.text);
    for (const s of m.testCase?.testSteps ?? []) if (s.pickleStepId) testStepToPickleStep.set(s.id, s.pickleStepId);
    const f = m.testStepFinished;
    if (f && (f.testStepResult.status === 'UNDEFINED' || f.testStepResult.status === 'AMBIGUOUS')) bad.add(stepText.get(testStepToPickleStep.get(f.testStepId) ?? '') ?? '');
  }
  return bad;
}

export const formatDocProblem = (p: DocProblem) => `${p.file}:${p.line} ${p.kind} ${p.text}: ${p.problem}`;
