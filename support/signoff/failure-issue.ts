// A failed run written up as a GitHub issue (the canary README's support
// step: "Create GitHub issue with detailed information"): for each failed
// scenario, where it is, on which platform and at what time scale, what kind
// of failure, the error, the SLOs with what they measured, the rollouts and
// chaos it drove, and the command that runs it again; then the runs and where
// their evidence is. The nightly files it (a repeat of an open issue's title
// becomes a comment). Reads the run summaries only, like the sign-off.
import type { RunSummary, ScenarioSummary } from '../evidence/summary.ts';
import type { RunFile } from './decision.ts';

export interface FailureIssue {
  title: string;
  body: string;
  /** Failed scenarios, over every run. */
  failed: number;
}

export interface IssueContext {
  /** The CI run's page (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID), where its artifacts are. */
  runUrl?: string;
}

/** GitHub refuses an issue body over 65,536 characters: the write-up stops short of it. */
export const BODY_LIMIT = 60_000;
/** Lines of one scenario's error kept in the issue (the rest is in the Allure report). */
const ERROR_LINES = 40;

/** Statuses that are not a failure: the scenario passed, or was not run on purpose. */
const NOT_FAILED = new Set<ScenarioSummary['status']>(['passed', 'skipped']);

interface Failure {
  run: RunFile;
  scenario: ScenarioSummary;
}

/** The issue for what failed in these runs; undefined when nothing did. */
export function failureIssue(runs: RunFile[], context: IssueContext = {}): FailureIssue | undefined {
  const failures: Failure[] = runs.flatMap((run) => run.summary.scenarios.filter((s) => !NOT_FAILED.has(s.status)).map((scenario) => ({ run, scenario })));
  const first = failures[0];
  if (first === undefined) return undefined;
  const more = failures.length > 1 ? ` and ${failures.length - 1} more` : '';
  const title = `cutover: ${where(first.scenario)} failed on ${platformOf(first)}${more}`;

  const commits = [...new Set(runs.map((r) => r.summary.gitCommit).filter((c): c is string => c !== undefined))];
  const head = [
    `**${failures.length} scenario(s) failed** in ${runs.length} run(s)${commits.length > 0 ? ` of commit ${commits.map((c) => `\`${c}\``).join(', ')}` : ''}.${context.runUrl ? ` Run: ${context.runUrl} (its artifacts hold the Allure report and the sign-off bundle).` : ''}`,
    '',
    table(
      ['#', 'scenario', 'platform', 'failure kind', 'duration'],
      failures.map((f, i) => [String(i + 1), `${where(f.scenario)}: ${f.scenario.name}`, platformOf(f), f.scenario.failureKind ?? f.scenario.status, seconds(f.scenario.durationMs)]),
    ),
  ].join('\n');
  const tail = ['## Runs', '', runsTable(runs), '', '## Evidence', '', ...evidence(runs, context)].join('\n');

  const sections: string[] = [];
  let used = head.length + tail.length + 200;
  let omitted = 0;
  failures.forEach((f, i) => {
    const section = scenarioSection(f, i + 1);
    if (used + section.length > BODY_LIMIT) {
      omitted++;
      return;
    }
    used += section.length;
    sections.push(section);
  });
  if (omitted > 0) sections.push(`_${omitted} more failed scenario(s) left out to keep the issue under GitHub's size limit: see the run summaries._`);
  return { title, body: [head, ...sections, tail].join('\n\n') + '\n', failed: failures.length };
}

function scenarioSection({ run, scenario: s }: Failure, n: number): string {
  const lines = [`## ${n}. ${s.feature}: ${s.name}`, ''];
  lines.push(`\`${where(s)}\` on **${platformOf({ run, scenario: s })}**${timeScaleOf(run.summary, s) !== undefined ? `, time scale ${timeScaleOf(run.summary, s)}` : ''}: ${s.status}${s.failureKind ? ` (${s.failureKind})` : ''} after ${seconds(s.durationMs)}.`);
  if (s.prd.length > 0) lines.push('', `Requirements: ${s.prd.map((id) => `\`${id}\``).join(', ')}`);
  if (s.error !== undefined) lines.push('', '**Error**', '', fenced(clip(s.error)));
  if (s.slos.length > 0) {
    lines.push(
      '',
      '**SLOs**',
      '',
      table(
        ['threshold', 'window', 'measured', 'requests', 'failed', ''],
        s.slos.map((slo) => [slo.threshold, `${slo.window.name} (${slo.window.seconds} s)`, `${round(slo.measured)} ${slo.unit}`, String(slo.requests ?? ''), String(slo.failed ?? ''), slo.passed ? 'met' : '**BREACHED**']),
      ),
    );
  }
  if (s.rollouts.length > 0) {
    lines.push(
      '',
      '**Rollouts**',
      '',
      table(
        ['rollout', 'strategy', 'from → to', 'phase', 'weights', 'analysis runs'],
        s.rollouts.map((r) => [r.rollout, r.strategy, `${r.fromImage} → ${r.toImage}`, r.phase, r.weights.join(', '), r.analysisRuns.map((a) => `${a.name}: ${a.phase}`).join(', ')]),
      ),
    );
  }
  if (s.chaos.length > 0) {
    lines.push(
      '',
      '**Chaos**',
      '',
      table(
        ['experiment', 'action', 'targets', 'recovered after'],
        s.chaos.map((c) => [c.experiment, `${c.kind} ${c.action}`, c.targets.join(', '), c.recoveredMs === undefined ? 'not recovered' : seconds(c.recoveredMs)]),
      ),
    );
  }
  lines.push('', '**Run it again**', '', fenced(reproduce(run.summary, s), 'sh'));
  return lines.join('\n');
}

/** The command that runs this one scenario as the run did. */
export function reproduce(run: RunSummary, s: ScenarioSummary): string {
  const scale = timeScaleOf(run, s);
  return `${scale !== undefined ? `CUTOVER_TIME_SCALE=${scale} ` : ''}npx cucumber-js${run.profile ? ` --profile ${run.profile}` : ''} ${where(s)}`;
}

function runsTable(runs: RunFile[]): string {
  return table(
    ['run', 'platform', 'profile', 'time scale', 'commit', 'started', 'finished', 'passed', 'failed', 'other'],
    runs.map(({ file, summary: r }) => [file, r.platform ?? '', r.profile ?? '', String(r.timeScale ?? ''), r.gitCommit ?? '', r.startedAt, r.finishedAt, String(r.counts.passed), String(r.counts.failed), String(r.counts.other)]),
  );
}

function evidence(runs: RunFile[], context: IssueContext): string[] {
  return [
    ...(context.runUrl ? [`- CI run: ${context.runUrl}`] : []),
    ...runs.map(({ file }) => `- \`${file}\`: beside it cucumber.html and allure-results/ (npm run report makes the Allure report over every run)`),
  ];
}

const where = (s: ScenarioSummary) => (s.line !== undefined ? `${s.uri}:${s.line}` : s.uri);
const platformOf = (f: Failure) => f.scenario.platform ?? f.run.summary.platform ?? 'unknown platform';
const timeScaleOf = (run: RunSummary, s: ScenarioSummary) => s.timeScale ?? run.timeScale;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(4));

function clip(text: string): string {
  const lines = text.split('\n');
  const kept = lines.slice(0, ERROR_LINES).join('\n').slice(0, 6000);
  return kept.length < text.length ? `${kept}\n… (${lines.length} lines in all: the rest is in the Allure report)` : kept;
}

/** A code block whose fence is longer than any run of backticks in the text. */
function fenced(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** A Markdown table; a cell's pipes and line breaks would break its row. */
function table(head: string[], rows: string[][]): string {
  const cell = (v: string) => v.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
