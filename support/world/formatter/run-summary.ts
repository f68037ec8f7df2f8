// A Cucumber formatter that writes reports/run-summary.json: every scenario
// with its verdict, SLO measurements, rollout and rollback durations and PRD
// ids, and the PRD coverage (the features', and what this run proved). It runs in the main process and reads the evidence the steps attached,
// so it sees every scenario under --parallel too.
import { execFileSync } from 'node:child_process';
import { Formatter, type IFormatterOptions } from '@cucumber/cucumber';
import type { FeatureChild, RuleChild } from '@cucumber/messages';
import fs from 'node:fs';
import { parseEvidence, summariseRun, type Evidence, type RunSummary, type ScenarioSummary } from '../../evidence/summary.ts';
import { prdCoverage, runPrdCoverage, scanFeatures } from '../../prd/coverage.ts';
import { defaultPrdDir, loadPrds } from '../../prd/parse.ts';

const STATUS: Record<string, ScenarioSummary['status']> = {
  PASSED: 'passed',
  FAILED: 'failed',
  SKIPPED: 'skipped',
  PENDING: 'pending',
  UNDEFINED: 'undefined',
  AMBIGUOUS: 'ambiguous',
  UNKNOWN: 'unknown',
};

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export default class RunSummaryFormatter extends Formatter {
  static override readonly documentation = 'Writes the cutover run summary (reports/run-summary.json)';
  private readonly startedAt = new Date().toISOString();

  constructor(options: IFormatterOptions) {
    super(options);
    options.eventBroadcaster.on('envelope', (envelope: { testRunFinished?: unknown }) => {
      if (envelope.testRunFinished) this.write();
    });
  }

  private write(): void {
    const evidence = new Map<string, Evidence[]>();
    const scenarios = this.eventDataCollector
      .getTestCaseAttempts()
      .filter((a) => !a.willBeRetried)
      .map((a) => {
        const id = a.testCase.id;
        const list: Evidence[] = [];
        for (const attachments of Object.values(a.stepAttachments)) {
          for (const att of attachments) {
            if (att.mediaType !== 'application/json') continue;
            const body = att.contentEncoding === 'BASE64' ? Buffer.from(att.body, 'base64').toString('utf8') : att.body;
            const e = parseEvidence(body);
            if (e) list.push(e);
          }
        }
        evidence.set(id, list);
        const durationMs = Object.values(a.stepResults).reduce((ms, r) => ms + r.duration.seconds * 1000 + r.duration.nanos / 1e6, 0);
        const tags = a.pickle.tags.map((t) => t.name);
        const worst = a.worstTestStepResult;
        return {
          id,
          name: a.pickle.name,
          feature: a.gherkinDocument.feature?.name ?? '',
          uri: a.pickle.uri,
          line: a.gherkinDocument.feature ? findLine(a.gherkinDocument.feature.children, a.pickle.astNodeIds) : undefined,
          tags,
          prd: tags.filter((t) => t.startsWith('@prd=')).map((t) => t.slice('@prd='.length)),
          status: STATUS[worst.status] ?? 'unknown',
          ...(worst.message ? { error: worst.message.split('\n').slice(0, 12).join('\n') } : {}),
          durationMs: Math.round(durationMs),
        };
      });
    const summary = summariseRun({
      ...prdSection(scenarios),
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      ...(process.env.CUTOVER_PROFILE ? { profile: process.env.CUTOVER_PROFILE } : {}),
      ...(gitCommit() ? { gitCommit: gitCommit() as string } : {}),
      scenarios,
      evidence,
    });
    this.log(`${JSON.stringify(summary, null, 2)}\n`);
  }
}

/**
 * PRD coverage for the summary, when the PRDs are there (CUTOVER_PRD_DIR,
 * default ../shared/prd): the features' coverage and what this run proved.
 * Unreadable PRDs or features leave the section out with a warning, never the summary.
 */
function prdSection(scenarios: { prd: string[]; status: string }[]): { prd?: RunSummary['prd'] } {
  const dir = defaultPrdDir();
  if (!fs.existsSync(dir)) return {};
  try {
    const documents = loadPrds([dir]);
    const coverage = prdCoverage(documents, scanFeatures(['features']));
    return { prd: { dir, ...runPrdCoverage(coverage, documents, scenarios) } };
  } catch (err) {
    process.stderr.write(`cutover: run summary without PRD coverage: ${(err as Error).message}\n`);
    return {};
  }
}

/** The line of a scenario (of its Examples row, for an outline). */
function findLine(children: readonly FeatureChild[] | readonly RuleChild[], astNodeIds: readonly string[]): number | undefined {
  for (const c of children) {
    const scenario = c.scenario;
    if (scenario && scenario.id === astNodeIds[0]) {
      const row = scenario.examples.flatMap((e) => e.tableBody).find((r) => r.id === astNodeIds[1]);
      return (row ?? scenario).location.line;
    }
    if ('rule' in c && c.rule) {
      const found = findLine(c.rule.children, astNodeIds);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
