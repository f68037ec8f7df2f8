// The release decision: GO or NO-GO, with every reason, from what the runs
// recorded (reports/run-summary.json, one per platform under reports/), the
// PRD coverage of the features, and the attestations of the manual items.
// Knows nothing of Cucumber's runtime: it reads the files the runs left.
import fs from 'node:fs';
import path from 'node:path';
import tagExpressions from '@cucumber/tag-expressions';
import { type Attestation, readAttestations } from '../prd/attestation.ts';
import { type CoverageResult, prdCoverage, scanFeatures } from '../prd/coverage.ts';
import { loadPrds } from '../prd/parse.ts';
import { type RunSummary, RunSummarySchema } from '../evidence/summary.ts';

export interface RunFile {
  /** Relative to the results folder: run-summary.json, docker/run-summary.json... */
  file: string;
  summary: RunSummary;
}

/** Every run summary under the results folder: its own and its sub-folders' (one per platform), each validated. */
export function readRuns(resultsDir: string): RunFile[] {
  if (!fs.existsSync(resultsDir)) throw new Error(`${resultsDir}: no such folder (where the runs wrote their reports, e.g. reports/)`);
  const candidates = ['run-summary.json', ...fs.readdirSync(resultsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(e.name, 'run-summary.json')).sort()];
  const runs: RunFile[] = [];
  for (const file of candidates) {
    const full = path.join(resultsDir, file);
    if (!fs.existsSync(full)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      throw new Error(`${full}: not JSON: ${(err as Error).message}`, { cause: err });
    }
    const parsed = RunSummarySchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${full}: not a cutover run summary: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
    runs.push({ file, summary: parsed.data });
  }
  if (runs.length === 0) throw new Error(`${resultsDir}: no run-summary.json in it or its sub-folders: run the features first (npx cucumber-js …)`);
  return runs;
}

export interface SloRow {
  scenario: string;
  run: string;
  platform: string;
  threshold: string;
  window: string;
  measured: number;
  unit: string;
  passed: boolean;
  traffic: string;
  engine: string;
}

export interface RolloutRow {
  scenario: string;
  run: string;
  rollout: string;
  strategy: string;
  from: string;
  to: string;
  phase: string;
  rolloutMs?: number;
  rollbackMs?: number;
}

export interface Decision {
  verdict: 'GO' | 'NO-GO';
  /** Why not, one line each; empty for GO. */
  reasons: string[];
  decidedAt: string;
  require?: string;
  runs: { file: string; platform: string; profile: string; timeScale?: number; startedAt: string; finishedAt: string; verdict: string; gitCommit?: string; scenarios: number; passed: number; failed: number; other: number }[];
  /** The scenarios the decision needs (those matching --require; all when none is given), per run. */
  required: { scenario: string; run: string; status: string; error?: string }[];
  slos: SloRow[];
  rollouts: RolloutRow[];
  coverage: { document: string; title: string; automated: number; manual: number; notApplicable: number; missing: number }[];
  manual: { item: string; document: string; text: string; attestedBy?: { who: string; when: string; evidence: string; file: string } }[];
  /** Each PRD phase (a document's section) and whether the runs validated every success criterion in it. */
  phases: PhaseValidation[];
}

/**
 * A phase is validated when every item in it is settled by evidence: proven
 * (a scenario tagged with it passed in the runs and none failed), attested
 * (manual), or not applicable. What keeps it from that is counted.
 */
export interface PhaseValidation {
  document: string;
  phase: string;
  items: number;
  proven: number;
  attested: number;
  notApplicable: number;
  /** Automated items with a failed scenario in the runs. */
  failed: number;
  /** Automated items no scenario of the runs ran. */
  notRun: number;
  /** Manual items without an attestation. */
  unattested: number;
  missing: number;
  validated: boolean;
}

export interface DecideOptions {
  resultsDir: string;
  prdPaths: string[];
  featuresDir?: string;
  attestationsDir?: string;
  /** A Cucumber tag expression: the scenarios that must have run and passed (default: every scenario of the runs). */
  require?: string;
  now?: Date;
}

const firstLine = (s: string | undefined) => s?.split('\n').find((l) => l.trim() !== '')?.trim();

/** GO only when every required scenario passed, no SLO was breached, coverage is complete and every manual item is attested. */
export function decide(options: DecideOptions): Decision {
  const runs = readRuns(options.resultsDir);
  const documents = loadPrds(options.prdPaths);
  const coverage: CoverageResult = prdCoverage(documents, scanFeatures([options.featuresDir ?? 'features']));
  const attestations = readAttestations(options.attestationsDir ?? 'attestations');
  const reasons: string[] = [];

  let matches: (tags: string[]) => boolean = () => true;
  if (options.require !== undefined) {
    let node: ReturnType<typeof tagExpressions>;
    try {
      node = tagExpressions(options.require);
    } catch (err) {
      throw new Error(`--require "${options.require}" is not a tag expression: ${(err as Error).message}`, { cause: err });
    }
    matches = (tags) => node.evaluate(tags);
  }

  const required: Decision['required'] = [];
  const slos: SloRow[] = [];
  const rollouts: RolloutRow[] = [];
  for (const { file, summary } of runs) {
    for (const s of summary.scenarios) {
      const platform = s.platform ?? summary.platform ?? 'local';
      for (const slo of s.slos) slos.push({ scenario: s.name, run: file, platform, threshold: slo.threshold, window: slo.window.name, measured: slo.measured, unit: slo.unit, passed: slo.passed, traffic: slo.traffic, engine: slo.engine });
      for (const r of s.rollouts) rollouts.push({ scenario: s.name, run: file, rollout: r.rollout, strategy: r.strategy, from: r.fromImage, to: r.toImage, phase: r.phase, rolloutMs: r.rolloutMs, rollbackMs: r.rollbackMs });
      if (!matches(s.tags)) continue;
      required.push({ scenario: s.name, run: file, status: s.status, error: firstLine(s.error) });
      if (s.status !== 'passed') reasons.push(`scenario "${s.name}" (${file}, ${platform}) ${s.status}${s.error ? `: ${firstLine(s.error)}` : ''}`);
    }
  }
  if (required.length === 0) reasons.push(options.require ? `no scenario of the runs matches --require "${options.require}"` : 'the runs hold no scenario');
  for (const slo of slos.filter((x) => !x.passed)) reasons.push(`SLO breached in "${slo.scenario}" (${slo.run}, ${slo.platform}): ${slo.threshold} measured ${slo.measured} over ${slo.window}`);

  for (const u of coverage.unknown) reasons.push(`${u.file}:${u.line}: ${u.tag} names no PRD item`);
  for (const d of coverage.documents) if (d.counts.missing > 0) reasons.push(`PRD ${d.document}: ${d.counts.missing} item(s) no scenario covers (npx cutover prd coverage)`);

  const attestedBy = new Map<string, Attestation>();
  for (const a of attestations) for (const id of a.items) attestedBy.set(id, a);
  const manual = coverage.items
    .filter((c) => c.state === 'manual')
    .map((c) => {
      const a = attestedBy.get(c.item.id);
      return { item: c.item.id, document: c.item.document, text: c.item.text, ...(a ? { attestedBy: { who: a.who, when: a.when, evidence: a.evidence, file: a.file } } : {}) };
    });
  const unattested = manual.filter((m) => m.attestedBy === undefined);
  if (unattested.length > 0) reasons.push(`${unattested.length} manual item(s) without an attestation in ${options.attestationsDir ?? 'attestations'}/: ${unattested.slice(0, 5).map((m) => m.item).join(', ')}${unattested.length > 5 ? ', …' : ''}`);

  // What the runs did to each item: a scenario tagged with it (or with an embedded copy of it) passed or failed.
  const original = new Map(documents.flatMap((d) => d.items.map((i) => [i.id, i.sameAs ?? i.id] as const)));
  const ran = runs.flatMap((r) => r.summary.scenarios).filter((s) => s.status === 'passed' || s.status === 'failed');
  const itemsOf = (status: string) => new Set(ran.filter((s) => s.status === status).flatMap((s) => s.prd.map((id) => original.get(id) ?? id)));
  const passedItems = itemsOf('passed');
  const failedItems = itemsOf('failed');
  const phases: PhaseValidation[] = [];
  for (const c of coverage.items) {
    let phase = phases.find((p) => p.document === c.item.document && p.phase === c.item.section);
    if (phase === undefined) {
      phase = { document: c.item.document, phase: c.item.section, items: 0, proven: 0, attested: 0, notApplicable: 0, failed: 0, notRun: 0, unattested: 0, missing: 0, validated: false };
      phases.push(phase);
    }
    phase.items++;
    if (c.state === 'missing') phase.missing++;
    else if (c.state === 'not-applicable') phase.notApplicable++;
    else if (c.state === 'manual') {
      if (attestedBy.has(c.item.id)) phase.attested++;
      else phase.unattested++;
    } else if (failedItems.has(c.item.id)) phase.failed++;
    else if (passedItems.has(c.item.id)) phase.proven++;
    else phase.notRun++;
  }
  for (const p of phases) p.validated = p.failed + p.notRun + p.unattested + p.missing === 0;

  return {
    verdict: reasons.length === 0 ? 'GO' : 'NO-GO',
    reasons,
    decidedAt: (options.now ?? new Date()).toISOString(),
    ...(options.require !== undefined ? { require: options.require } : {}),
    runs: runs.map(({ file, summary }) => ({ file, platform: summary.platform ?? 'local', profile: summary.profile ?? 'default', timeScale: summary.timeScale, startedAt: summary.startedAt, finishedAt: summary.finishedAt, verdict: summary.verdict, gitCommit: summary.gitCommit, ...summary.counts })),
    required,
    slos,
    rollouts,
    coverage: coverage.documents.map((d) => ({ document: d.document, title: d.title, automated: d.counts.automated, manual: d.counts.manual, notApplicable: d.counts['not-applicable'], missing: d.counts.missing })),
    manual,
    phases,
  };
}
