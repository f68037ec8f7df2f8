// How Argo Rollouts judges measurements, metrics and whole AnalysisRuns.
// Pure functions over what was measured, so the verdict logic is tested on
// its own and every measurement stays available as evidence.
import { compileExpression, type CompiledExpression } from './expr.ts';

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type MetricPhase = 'Pending' | 'Running' | MeasurementPhase;
export type RunPhase = MetricPhase;

export interface Measurement {
  phase: MeasurementPhase;
  /** What the provider returned (after jsonPath), or undefined on error. */
  value?: unknown;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

export interface Conditions {
  successCondition?: CompiledExpression;
  failureCondition?: CompiledExpression;
}

export function compileConditions(metric: { successCondition?: string; failureCondition?: string }): Conditions {
  return {
    successCondition: metric.successCondition ? compileExpression(metric.successCondition) : undefined,
    failureCondition: metric.failureCondition ? compileExpression(metric.failureCondition) : undefined,
  };
}

/**
 * The phase of one measurement, as Argo decides it: with only a success
 * condition, not meeting it fails; with only a failure condition, not meeting
 * it succeeds; with both, meeting neither is Inconclusive; a failure wins.
 * An expression that cannot be evaluated makes the measurement an Error.
 */
export function judgeMeasurement(
  conditions: Conditions,
  result: unknown,
  extraEnv: Record<string, unknown> = {},
): { phase: MeasurementPhase; message?: string } {
  const env = { ...extraEnv, result };
  const { successCondition, failureCondition } = conditions;
  try {
    if (successCondition === undefined && failureCondition === undefined) return { phase: 'Successful' };
    let succeeded = successCondition ? successCondition.test(env) : false;
    let failed = failureCondition ? failureCondition.test(env) : false;
    if (failureCondition === undefined) failed = !succeeded;
    if (successCondition === undefined) succeeded = !failed;
    if (failed) return { phase: 'Failed', message: `failure condition met by ${JSON.stringify(result)}` };
    if (!succeeded) return { phase: 'Inconclusive', message: `neither condition met by ${JSON.stringify(result)}` };
    return { phase: 'Successful' };
  } catch (err) {
    return { phase: 'Error', message: (err as Error).message };
  }
}

export interface MetricLimits {
  /** Measurements to take; undefined with an interval means "until stopped". */
  count?: number;
  /** Failed measurements tolerated; Argo's default 0; -1 tolerates any number. */
  failureLimit: number;
  inconclusiveLimit: number;
  /** Consecutive errors tolerated; Argo's default 4. */
  consecutiveErrorLimit: number;
  hasInterval: boolean;
}

export interface MetricTally {
  measured: number;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
}

export function tally(measurements: Measurement[]): MetricTally {
  const t: MetricTally = { measured: 0, successful: 0, failed: 0, inconclusive: 0, errors: 0, consecutiveErrors: 0 };
  for (const m of measurements) {
    t.measured++;
    if (m.phase === 'Error') {
      t.errors++;
      t.consecutiveErrors++;
      continue;
    }
    t.consecutiveErrors = 0;
    if (m.phase === 'Successful') t.successful++;
    else if (m.phase === 'Failed') t.failed++;
    else t.inconclusive++;
  }
  return t;
}

/** The number of measurements after which a metric is complete (Infinity: until stopped). */
export function effectiveCount(limits: MetricLimits): number {
  if (limits.count !== undefined) return limits.count;
  return limits.hasInterval ? Infinity : 1;
}

/**
 * A metric's phase from its measurements so far. `stopped` means the run was
 * terminated (e.g. background analysis ended with the rollout): a metric that
 * breached no limit is then Successful.
 */
export function assessMetric(measurements: Measurement[], limits: MetricLimits, stopped = false): { phase: MetricPhase; message?: string; tally: MetricTally } {
  const t = tally(measurements);
  if (limits.failureLimit >= 0 && t.failed > limits.failureLimit) {
    return { phase: 'Failed', message: `${t.failed} failed measurements exceed the failure limit ${limits.failureLimit}`, tally: t };
  }
  if (limits.inconclusiveLimit >= 0 && t.inconclusive > limits.inconclusiveLimit) {
    return { phase: 'Inconclusive', message: `${t.inconclusive} inconclusive measurements exceed the inconclusive limit ${limits.inconclusiveLimit}`, tally: t };
  }
  if (limits.consecutiveErrorLimit >= 0 && t.consecutiveErrors > limits.consecutiveErrorLimit) {
    const last = measurements[measurements.length - 1];
    return { phase: 'Error', message: `${t.consecutiveErrors} consecutive errors exceed the limit ${limits.consecutiveErrorLimit}; last: ${last?.message ?? 'unknown'}`, tally: t };
  }
  if (t.measured >= effectiveCount(limits) || stopped) {
    if (t.measured === 0) return { phase: 'Successful', message: 'stopped before any measurement', tally: t };
    return { phase: 'Successful', tally: t };
  }
  return { phase: t.measured === 0 ? 'Pending' : 'Running', tally: t };
}

// Worst first: a run takes the phase of its worst completed metric.
const SEVERITY: MetricPhase[] = ['Failed', 'Error', 'Inconclusive', 'Running', 'Pending', 'Successful'];

/**
 * The phase of a whole run. Metrics in dry-run never decide it. A failed or
 * errored metric ends the run at once (Argo terminates the rest); otherwise
 * the run runs until every metric has completed.
 */
export function assessRun(metrics: { name: string; phase: MetricPhase; dryRun: boolean }[]): RunPhase {
  const deciding = metrics.filter((m) => !m.dryRun);
  if (deciding.length === 0) return metrics.some((m) => m.phase === 'Running' || m.phase === 'Pending') ? 'Running' : 'Successful';
  if (deciding.some((m) => m.phase === 'Failed')) return 'Failed';
  if (deciding.some((m) => m.phase === 'Error')) return 'Error';
  if (deciding.some((m) => m.phase === 'Running' || m.phase === 'Pending')) return 'Running';
  return SEVERITY.find((p) => deciding.some((m) => m.phase === p)) as RunPhase;
}

export const isComplete = (phase: RunPhase) => phase !== 'Running' && phase !== 'Pending';
