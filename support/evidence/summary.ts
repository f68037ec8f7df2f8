// reports/run-summary.json: one line of truth per scenario for release
// managers and for sign-off tooling. Evidence travels from the steps to the
// summary as JSON attachments carrying a "cutover" key (so it works the same
// under --parallel, where steps run in worker processes).
import { z } from 'zod';

export const SloEvidenceSchema = z.object({
  cutover: z.literal('slo'),
  threshold: z.string(),
  window: z.object({ name: z.string(), from: z.string(), to: z.string(), seconds: z.number() }),
  measured: z.number(),
  unit: z.string(),
  passed: z.boolean(),
  problem: z.string().optional(),
  traffic: z.string(),
  engine: z.enum(['cutover', 'k6']),
  /** Requests the window held, and how many of them failed (5xx, transport error, timeout): counted, every one. */
  requests: z.number().optional(),
  failed: z.number().optional(),
});

export const AssertionEvidenceSchema = z.object({
  cutover: z.literal('assertion'),
  name: z.string(),
  passed: z.boolean(),
  expected: z.unknown().optional(),
  measured: z.unknown().optional(),
});

export const RolloutEvidenceSchema = z.object({
  cutover: z.literal('rollout'),
  rollout: z.string(),
  strategy: z.enum(['canary', 'blueGreen']),
  fromImage: z.string(),
  toImage: z.string(),
  phase: z.string(),
  /** From the update's start to RolloutCompleted. */
  rolloutMs: z.number().optional(),
  /** From RolloutAborted to all traffic on stable (TrafficRestored). */
  rollbackMs: z.number().optional(),
  weights: z.array(z.number()),
  analysisRuns: z.array(z.object({ name: z.string(), phase: z.string() })),
});

const PhaseCounts = z.object({ checks: z.number(), held: z.number() });

/** A chaos experiment the scenario injected: when, into what, and how the steady state fared around it. */
export const ChaosEvidenceSchema = z.object({
  cutover: z.literal('chaos'),
  experiment: z.string(),
  kind: z.string(),
  action: z.string(),
  targets: z.array(z.string()),
  injectedAt: z.string(),
  revertedAt: z.string().optional(),
  /** From the fault's end to the first window in which the steady state held for good. */
  recoveredMs: z.number().optional(),
  steadyState: z.object({ before: PhaseCounts, during: PhaseCounts, after: PhaseCounts }).optional(),
});

export const ScenarioContextSchema = z.object({
  cutover: z.literal('context'),
  platform: z.string(),
  timeScale: z.number(),
});

export const EvidenceSchema = z.discriminatedUnion('cutover', [SloEvidenceSchema, AssertionEvidenceSchema, RolloutEvidenceSchema, ChaosEvidenceSchema, ScenarioContextSchema]);
export type Evidence = z.infer<typeof EvidenceSchema>;

export const ScenarioSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  feature: z.string(),
  uri: z.string(),
  line: z.number().optional(),
  tags: z.array(z.string()),
  /** Requirement ids from @prd=<id> tags. */
  prd: z.array(z.string()),
  status: z.enum(['passed', 'failed', 'skipped', 'pending', 'undefined', 'ambiguous', 'unknown']),
  /** What kind of failure, for triage: an SLO breach, a rollout that misbehaved, the platform, or the test itself. */
  failureKind: z.enum(['slo-breach', 'rollout-failure', 'platform-error', 'test-defect']).optional(),
  error: z.string().optional(),
  durationMs: z.number(),
  platform: z.string().optional(),
  timeScale: z.number().optional(),
  slos: z.array(SloEvidenceSchema.omit({ cutover: true })),
  assertions: z.array(AssertionEvidenceSchema.omit({ cutover: true })),
  rollouts: z.array(RolloutEvidenceSchema.omit({ cutover: true })),
  chaos: z.array(ChaosEvidenceSchema.omit({ cutover: true })).default([]),
});
export type ScenarioSummary = z.infer<typeof ScenarioSummarySchema>;

const PrdCountsShape = {
  items: z.number(),
  automated: z.number(),
  manual: z.number(),
  notApplicable: z.number(),
  missing: z.number(),
  provenInRun: z.number(),
  failedInRun: z.number(),
};

export const RunSummarySchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  verdict: z.enum(['passed', 'failed']),
  profile: z.string().optional(),
  platform: z.string().optional(),
  timeScale: z.number().optional(),
  gitCommit: z.string().optional(),
  counts: z.object({ scenarios: z.number(), passed: z.number(), failed: z.number(), other: z.number() }),
  scenarios: z.array(ScenarioSummarySchema),
  /** PRD coverage: the features' (automated/manual/n-a/missing) and this run's (proven, failed), per document. */
  prd: z
    .object({
      dir: z.string(),
      documents: z.array(z.object({ document: z.string(), title: z.string(), ...PrdCountsShape })),
      totals: z.object(PrdCountsShape),
    })
    .optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Reads evidence out of an attachment body; anything else is not ours. */
export function parseEvidence(body: string): Evidence | undefined {
  if (!body.includes('"cutover"')) return undefined;
  try {
    const parsed = EvidenceSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Failure kinds for triage, first match wins; anything else is a test defect.
 * cucumber.mjs turns the same patterns into Allure categories.
 */
export const FAILURE_KINDS: { kind: NonNullable<ScenarioSummary['failureKind']>; name: string; pattern: RegExp }[] = [
  { kind: 'slo-breach', name: 'SLO breach', pattern: /SLO breached|BREACHED|thresholds crossed/i },
  { kind: 'rollout-failure', name: 'Rollout failure', pattern: /rollout \S+: expected|canary weights|analysis run/i },
  { kind: 'platform-error', name: 'Platform error', pattern: /platform|replica \S+ (was not ready|exited)|ECONNREFUSED|prometheus|spawn/i },
];

/** The same kinds as Allure categories (Java regexes that must match the whole message). */
export function allureCategories(): { name: string; messageRegex: string; matchedStatuses: string[] }[] {
  return [
    ...FAILURE_KINDS.map((k) => ({ name: k.name, messageRegex: `(?s)${k.pattern.flags.includes('i') ? '(?i)' : ''}.*(?:${k.pattern.source}).*`, matchedStatuses: ['failed', 'broken'] })),
    { name: 'Test defect', messageRegex: '(?s).*', matchedStatuses: ['failed', 'broken'] },
  ];
}

export function classifyFailure(message: string): NonNullable<ScenarioSummary['failureKind']> {
  return FAILURE_KINDS.find((k) => k.pattern.test(message))?.kind ?? 'test-defect';
}

export function summariseRun(input: {
  startedAt: string;
  finishedAt: string;
  profile?: string;
  gitCommit?: string;
  scenarios: Omit<ScenarioSummary, 'slos' | 'assertions' | 'rollouts' | 'chaos' | 'platform' | 'timeScale' | 'failureKind'>[];
  evidence: Map<string, Evidence[]>;
  prd?: RunSummary['prd'];
}): RunSummary {
  const scenarios = input.scenarios.map((s): ScenarioSummary => {
    const ev = input.evidence.get(s.id) ?? [];
    const context = ev.find((e) => e.cutover === 'context');
    const strip = <T extends { cutover: string }>(e: T) => {
      const { cutover: _c, ...rest } = e;
      return rest;
    };
    return {
      ...s,
      ...(s.status === 'failed' ? { failureKind: classifyFailure(s.error ?? '') } : {}),
      ...(context ? { platform: context.platform, timeScale: context.timeScale } : {}),
      slos: ev.filter((e) => e.cutover === 'slo').map(strip) as ScenarioSummary['slos'],
      assertions: ev.filter((e) => e.cutover === 'assertion').map(strip) as ScenarioSummary['assertions'],
      rollouts: ev.filter((e) => e.cutover === 'rollout').map(strip) as ScenarioSummary['rollouts'],
      chaos: ev.filter((e) => e.cutover === 'chaos').map(strip) as ScenarioSummary['chaos'],
    };
  });
  const passed = scenarios.filter((s) => s.status === 'passed').length;
  const failed = scenarios.filter((s) => s.status === 'failed').length;
  const first = scenarios.find((s) => s.platform);
  return RunSummarySchema.parse({
    schemaVersion: 1,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    verdict: failed === 0 && passed > 0 && scenarios.every((s) => s.status === 'passed' || s.status === 'skipped') ? 'passed' : 'failed',
    ...(input.profile ? { profile: input.profile } : {}),
    ...(first ? { platform: first.platform, timeScale: first.timeScale } : {}),
    ...(input.gitCommit ? { gitCommit: input.gitCommit } : {}),
    counts: { scenarios: scenarios.length, passed, failed, other: scenarios.length - passed - failed },
    scenarios,
    ...(input.prd ? { prd: input.prd } : {}),
  });
}
