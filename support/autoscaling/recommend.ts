// How many replicas an autoscaler asks for, as Kubernetes' HPA controller
// computes it (pkg/controller/podautoscaler): per metric, the ratio of the
// pods' usage to the target times the pods measured, within a tolerance of
// 10 % no change; pods not ready yet count as idle when scaling up, pods not
// measured yet count as at target when scaling down, so neither makes it
// overshoot. Then the largest of the metrics' proposals is stabilized (the
// lowest recommendation of the scale-up window, the highest of the
// scale-down window), limited by the behavior's rate policies over their
// periods and kept within minReplicas and maxReplicas.
import type { HorizontalPodAutoscaler, MetricSpec, ScalingRules } from './model.ts';

/** Kubernetes' --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;

export interface PodSample {
  name: string;
  ready: boolean;
  /** Usage over the last period (CPU in millicores, memory in bytes); a resource not measured yet is absent. */
  usage: { cpu?: number; memory?: number };
  /** The pod's requests (millicores, bytes), summed over its containers; absent when a container has none. */
  requests: { cpu?: number; memory?: number };
}

export interface MetricProposal {
  resource: 'cpu' | 'memory';
  /** Utilization (percent of the request) or average value (millicores, bytes) of the ready, measured pods. */
  current: number;
  target: number;
  kind: 'utilization' | 'averageValue';
  replicas: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** One metric's proposal, or why it has none (Kubernetes' FailedGetResourceMetric). */
export function proposeForMetric(metric: MetricSpec, currentReplicas: number, pods: PodSample[]): MetricProposal | { error: string } {
  const r = metric.resource;
  const measured = pods.filter((p) => p.ready && p.usage[r] !== undefined);
  const unready = pods.filter((p) => !p.ready);
  const missing = pods.filter((p) => p.ready && p.usage[r] === undefined);
  if (measured.length === 0) return { error: `no ${r} measurement of any ready pod yet (${pods.length} pod(s), ${unready.length} not ready)` };
  const utilization = metric.kind === 'utilization';
  const lacking = pods.find((p) => p.requests[r] === undefined);
  if (utilization && lacking) return { error: `missing request for ${r} in pod ${lacking.name}: a utilization target is a percentage of the pods' request` };
  // The ratio of usage to target, from per-pod usages (an absent pod's assumed usage included).
  const ratioOf = (usages: { usage: number; request: number }[]) =>
    utilization ? (sum(usages.map((u) => u.usage)) * 100) / sum(usages.map((u) => u.request)) / metric.target : sum(usages.map((u) => u.usage)) / usages.length / metric.target;
  const usages = measured.map((p) => ({ usage: p.usage[r] as number, request: p.requests[r] ?? 0 }));
  const ratio = ratioOf(usages);
  const base = { resource: r, current: utilization ? Math.round(ratio * metric.target) : ratio * metric.target, target: metric.target, kind: metric.kind };
  const scaleUpWithUnready = unready.length > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    return { ...base, replicas: Math.abs(1 - ratio) <= TOLERANCE ? currentReplicas : Math.ceil(ratio * measured.length) };
  }
  // Assume the worst for the move: unmeasured pods using their request (or the target value) when going down, idle when going up.
  const busy = (p: PodSample) => (utilization ? (p.requests[r] ?? 0) : metric.target);
  const assumed = [
    ...usages,
    ...missing.map((p) => ({ usage: ratio < 1 ? busy(p) : 0, request: p.requests[r] ?? 0 })),
    ...(scaleUpWithUnready ? unready.map((p) => ({ usage: 0, request: p.requests[r] ?? 0 })) : []),
  ];
  const newRatio = ratioOf(assumed);
  if (Math.abs(1 - newRatio) <= TOLERANCE || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { ...base, replicas: currentReplicas };
  const replicas = Math.ceil(newRatio * assumed.length);
  // A move the assumptions turned around is no move.
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return { ...base, replicas: currentReplicas };
  return { ...base, replicas };
}

export type LimitReason = 'DesiredWithinRange' | 'TooFewReplicas' | 'TooManyReplicas' | 'ScaleUpLimit' | 'ScaleDownLimit' | 'ScaleUpStabilized' | 'ScaleDownStabilized';

export interface Decision {
  /** The replicas to have: current when no change. */
  replicas: number;
  /** The largest of the metrics' proposals, before stabilization and limits. */
  proposed: number;
  proposals: MetricProposal[];
  errors: string[];
  limitedBy: LimitReason;
}

/**
 * The memory an HPA keeps between syncs: its recent recommendations (for the
 * stabilization windows) and its recent scale events (for the rate
 * policies), both timed by the clock given (for tests).
 */
export class Recommender {
  private recommendations: { at: number; replicas: number }[] = [];
  private changes: { at: number; delta: number }[] = [];

  constructor(
    private spec: HorizontalPodAutoscaler['spec'],
    /** Manifest seconds to milliseconds (the platform's time scale). */
    private readonly secondsMs: (s: number) => number = (s) => s * 1000,
  ) {}

  update(spec: HorizontalPodAutoscaler['spec']): void {
    this.spec = spec;
  }

  /** What to scale to at `now`, from the current replicas and the pods' usage. */
  decide(currentReplicas: number, pods: PodSample[], now: number): Decision {
    const { minReplicas, maxReplicas, metrics, behavior } = this.spec;
    // Out of range is corrected first, metrics or not (as Kubernetes does).
    if (currentReplicas > maxReplicas) return { replicas: maxReplicas, proposed: maxReplicas, proposals: [], errors: [], limitedBy: 'TooManyReplicas' };
    if (currentReplicas < minReplicas) return { replicas: minReplicas, proposed: minReplicas, proposals: [], errors: [], limitedBy: 'TooFewReplicas' };
    const results = metrics.map((m) => proposeForMetric(m, currentReplicas, pods));
    const proposals = results.filter((r): r is MetricProposal => !('error' in r));
    const errors = results.filter((r): r is { error: string } => 'error' in r).map((r) => r.error);
    // Without a proposal nothing moves; a failed metric blocks scaling down (it might have asked for more).
    if (proposals.length === 0) return { replicas: currentReplicas, proposed: currentReplicas, proposals, errors, limitedBy: 'DesiredWithinRange' };
    let proposed = Math.max(...proposals.map((p) => p.replicas));
    if (errors.length > 0 && proposed < currentReplicas) proposed = currentReplicas;

    this.recommendations.push({ at: now, replicas: proposed });
    const longest = Math.max(behavior.scaleUp.stabilizationWindowSeconds, behavior.scaleDown.stabilizationWindowSeconds);
    this.recommendations = this.recommendations.filter((r) => r.at >= now - this.secondsMs(longest));
    const within = (s: number) => this.recommendations.filter((r) => r.at >= now - this.secondsMs(s)).map((r) => r.replicas);
    const up = Math.min(...within(behavior.scaleUp.stabilizationWindowSeconds), proposed);
    const down = Math.max(...within(behavior.scaleDown.stabilizationWindowSeconds), proposed);
    let stabilized = currentReplicas;
    let limitedBy: LimitReason = 'DesiredWithinRange';
    if (stabilized < up) stabilized = up;
    if (stabilized > down) stabilized = down;
    if (stabilized !== proposed) limitedBy = proposed > currentReplicas ? 'ScaleUpStabilized' : 'ScaleDownStabilized';

    let replicas = stabilized;
    if (stabilized > currentReplicas) {
      const limit = Math.max(currentReplicas, this.limit('up', behavior.scaleUp, currentReplicas, now));
      const allowed = Math.min(maxReplicas, limit);
      if (replicas > allowed) {
        replicas = allowed;
        limitedBy = allowed === maxReplicas ? 'TooManyReplicas' : 'ScaleUpLimit';
      }
    } else if (stabilized < currentReplicas) {
      const limit = Math.min(currentReplicas, this.limit('down', behavior.scaleDown, currentReplicas, now));
      const allowed = Math.max(minReplicas, limit);
      if (replicas < allowed) {
        replicas = allowed;
        limitedBy = allowed === minReplicas ? 'TooFewReplicas' : 'ScaleDownLimit';
      }
    }
    return { replicas, proposed, proposals, errors, limitedBy };
  }

  /** Records a rescale, for the rate policies. */
  scaled(from: number, to: number, now: number): void {
    if (from !== to) this.changes.push({ at: now, delta: to - from });
    const longest = Math.max(...[...this.spec.behavior.scaleUp.policies, ...this.spec.behavior.scaleDown.policies].map((p) => p.periodSeconds));
    this.changes = this.changes.filter((c) => c.at >= now - this.secondsMs(longest));
  }

  /** The furthest the policies let replicas move from `current` now (Kubernetes' calculateScale{Up,Down}LimitWithScalingRules). */
  private limit(direction: 'up' | 'down', rules: ScalingRules, current: number, now: number): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const limits = rules.policies.map((p) => {
      const inPeriod = this.changes.filter((c) => c.at > now - this.secondsMs(p.periodSeconds) && (direction === 'up' ? c.delta > 0 : c.delta < 0));
      const moved = Math.abs(sum(inPeriod.map((c) => c.delta)));
      if (direction === 'up') {
        const start = current - moved;
        return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      }
      const start = current + moved;
      return p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    });
    // Max: the policy allowing the most change; Min: the least.
    const most = direction === 'up' ? Math.max(...limits) : Math.min(...limits);
    const least = direction === 'up' ? Math.min(...limits) : Math.max(...limits);
    return rules.selectPolicy === 'Max' ? most : least;
  }
}
