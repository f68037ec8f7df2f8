// Argo Rollouts' objects as cutover's steps read them: a Rollout's status
// (with its ReplicaSets and AnalysisRuns) mapped to the RolloutStatus the
// local controller reports, the canary weight Argo's controller computes for
// the current step, and AnalysisRuns mapped to the analysis snapshots of the
// report. Pure functions, so they are tested without a cluster.
import type { MeasurementPhase, MetricPhase } from '../../analysis/assess.ts';
import type { MetricSpec } from '../../analysis/model.ts';
import type { AnalysisRunSnapshot } from '../../analysis/run.ts';
import type { AnalysisKind, AnalysisRunPhase, PauseReason, RolloutPhase, RolloutStatus } from '../../rollout/controller.ts';

/** The parts of an Argo Rollout read here (argoproj.io/v1alpha1). */
export interface ArgoRollout {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; generation?: number };
  spec: {
    replicas?: number;
    paused?: boolean;
    template: { metadata?: { labels?: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };
    strategy: {
      canary?: { canaryService?: string; stableService?: string; steps?: { setWeight?: number; pause?: unknown }[] };
      blueGreen?: { activeService: string; previewService?: string };
    };
  };
  status?: {
    phase?: string;
    message?: string;
    abort?: boolean;
    abortedAt?: string;
    currentPodHash?: string;
    stableRS?: string;
    currentStepIndex?: number;
    observedGeneration?: string;
    pauseConditions?: { reason: string; startTime: string }[];
    blueGreen?: { activeSelector?: string; previewSelector?: string };
    canary?: { weights?: { canary?: { weight?: number } } };
  };
}

export interface ArgoReplicaSet {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

export interface ArgoAnalysisRun {
  metadata: { name: string; creationTimestamp?: string | Date; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  spec?: { args?: { name: string; value?: string }[]; metrics?: ({ name: string } & Record<string, unknown>)[] };
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    metricResults?: {
      name: string;
      phase?: string;
      message?: string;
      measurements?: { phase?: string; value?: string; startedAt?: string; finishedAt?: string; message?: string }[];
    }[];
  };
}

export const HASH_LABEL = 'rollouts-pod-template-hash';
const REVISION = 'rollout.argoproj.io/revision';

export const ownedBy = (o: { metadata: { ownerReferences?: { kind: string; name: string }[] } }, kind: string, name: string) =>
  (o.metadata.ownerReferences ?? []).some((r) => r.kind === kind && r.name === name);

/**
 * The canary weight Argo's controller sets for the current step without a
 * traffic router (replicasetutil.GetCurrentSetWeight): 0 once aborted, 100
 * when every step is done, else the last setWeight at or before the step.
 */
export function currentSetWeight(rollout: ArgoRollout): number | undefined {
  const steps = rollout.spec.strategy.canary?.steps;
  if (steps === undefined) return undefined;
  const status = rollout.status ?? {};
  if (status.currentPodHash !== undefined && status.currentPodHash === status.stableRS) return 100;
  if (status.abort) return 0;
  const index = status.currentStepIndex ?? 0;
  if (index >= steps.length) return 100;
  for (let i = index; i >= 0; i--) {
    const w = steps[i]?.setWeight;
    if (w !== undefined) return w;
  }
  return 0;
}

const PHASES: Record<string, RolloutPhase> = { Healthy: 'Healthy', Progressing: 'Progressing', Paused: 'Paused', Degraded: 'Degraded', Error: 'Degraded' };

const imageOfSet = (rs: ArgoReplicaSet | undefined) => rs?.spec?.template?.spec?.containers?.[0]?.image ?? '';

/** Which analysis an AnalysisRun is, from the labels and name Argo gives it. */
export function analysisKind(run: ArgoAnalysisRun): AnalysisKind {
  const type = run.metadata.labels?.['rollout-type'] ?? '';
  if (type === 'Background') return 'background';
  if (type === 'Step') return 'step';
  if (type === 'PrePromotion' || /-pre$/.test(run.metadata.name)) return 'prePromotion';
  if (type === 'PostPromotion' || /-post$/.test(run.metadata.name)) return 'postPromotion';
  return 'step';
}

const MEASUREMENT_PHASES = new Set<MeasurementPhase>(['Successful', 'Failed', 'Inconclusive', 'Error']);
/** A run's or metric's phase as Argo writes it (the same six words for both); anything else is Pending. */
const metricPhase = (phase: string | undefined): MetricPhase & AnalysisRunPhase =>
  phase === 'Pending' || phase === 'Running' || MEASUREMENT_PHASES.has(phase as MeasurementPhase) ? (phase as MetricPhase & AnalysisRunPhase) : 'Pending';
const metricProvider = (metric: Record<string, unknown> | undefined) => Object.keys((metric?.provider as object | undefined) ?? {})[0] ?? 'unknown';

/** An Argo Rollout, its ReplicaSets and AnalysisRuns as a RolloutStatus. */
export function rolloutStatus(rollout: ArgoRollout, replicaSets: ArgoReplicaSet[], runs: ArgoAnalysisRun[], timeScale: number): RolloutStatus {
  const status = rollout.status ?? {};
  const name = rollout.metadata.name;
  const own = replicaSets.filter((rs) => ownedBy(rs, 'Rollout', name));
  const hashOf = (rs: ArgoReplicaSet) => rs.metadata.labels?.[HASH_LABEL] ?? '';
  const byHash = (hash: string | undefined) => own.find((rs) => hashOf(rs) === hash);
  const blueGreen = rollout.spec.strategy.blueGreen !== undefined;
  const roleOf = (hash: string) =>
    hash === status.stableRS ? (blueGreen ? 'active' : 'stable') : hash === status.currentPodHash ? (blueGreen ? 'preview' : 'canary') : 'old';
  const steps = rollout.spec.strategy.canary?.steps;
  const weight = currentSetWeight(rollout);
  return {
    name,
    strategy: blueGreen ? 'blueGreen' : 'canary',
    phase: PHASES[status.phase ?? ''] ?? 'Progressing',
    message: status.message ?? '',
    abort: status.abort ?? false,
    ...(status.abortedAt ? { abortedAt: status.abortedAt } : {}),
    revision: Number(rollout.metadata.annotations?.[REVISION] ?? 0),
    currentPodHash: status.currentPodHash ?? '',
    stableRS: status.stableRS ?? '',
    currentImage: rollout.spec.template.spec.containers[0]?.image ?? '',
    stableImage: imageOfSet(byHash(status.stableRS)),
    ...(steps !== undefined ? { currentStepIndex: status.currentStepIndex ?? 0, stepCount: steps.length } : {}),
    ...(weight !== undefined ? { canaryWeight: weight } : {}),
    ...(status.blueGreen?.activeSelector ? { activeSelector: status.blueGreen.activeSelector } : {}),
    ...(status.blueGreen?.previewSelector ? { previewSelector: status.blueGreen.previewSelector } : {}),
    pauseConditions: (status.pauseConditions ?? []).map((p) => ({ reason: p.reason as PauseReason, startTime: p.startTime })),
    replicaSets: own
      .filter((rs) => (rs.spec?.replicas ?? 0) > 0 || hashOf(rs) === status.currentPodHash || hashOf(rs) === status.stableRS)
      .map((rs) => ({ hash: hashOf(rs), revision: Number(rs.metadata.annotations?.[REVISION] ?? 0), image: imageOfSet(rs), replicas: rs.status?.readyReplicas ?? 0, role: roleOf(hashOf(rs)) })),
    analysisRuns: runs
      .filter((r) => ownedBy(r, 'Rollout', name))
      .map((r) => ({ name: r.metadata.name, kind: analysisKind(r), phase: metricPhase(r.status?.phase), ...(r.status?.message ? { message: r.status.message } : {}) })),
    timeScale,
  };
}

/** An AnalysisRun as the report's analysis snapshot (measurements as Argo recorded them). */
export function analysisSnapshot(run: ArgoAnalysisRun): AnalysisRunSnapshot {
  const created = run.metadata.creationTimestamp;
  const status = run.status ?? {};
  return {
    name: run.metadata.name,
    phase: metricPhase(status.phase),
    ...(status.message ? { message: status.message } : {}),
    startedAt: status.startedAt ?? (created instanceof Date ? created.toISOString() : (created ?? '')),
    args: (run.spec?.args ?? []).map((a) => ({ name: a.name, value: a.value ?? '' })),
    metrics: (status.metricResults ?? []).map((m) => ({
      name: m.name,
      provider: metricProvider(run.spec?.metrics?.find((x) => x.name === m.name)),
      dryRun: false,
      phase: metricPhase(m.phase),
      ...(m.message ? { message: m.message } : {}),
      measurements: (m.measurements ?? []).map((x) => ({
        phase: MEASUREMENT_PHASES.has(x.phase as MeasurementPhase) ? (x.phase as MeasurementPhase) : 'Error',
        startedAt: x.startedAt ?? '',
        finishedAt: x.finishedAt ?? '',
        ...(x.value !== undefined ? { value: x.value } : {}),
        ...(x.message ? { message: x.message } : {}),
      })),
      // The metric as the run holds it (Argo copies it from the template, args filled in): the same shape cutover reads.
      spec: (run.spec?.metrics?.find((x) => x.name === m.name) ?? { name: m.name }) as MetricSpec,
    })),
  };
}
