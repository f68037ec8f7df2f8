// The HPA controller of the local and docker platforms: every sync period
// (Kubernetes' 15 s, scaled by the time scale) it measures the target's pods
// as metrics-server would (CPU as the rate of the CPU time they used since
// the previous sync, memory as their working set), decides with
// recommend.ts and scales the Rollout through its scale subresource. Its
// status and events read like `kubectl describe hpa`; every sync is kept for
// the report's chart.
import type { ProcessUsage } from '../platform/local/pod-metrics.ts';
import type { HorizontalPodAutoscaler } from './model.ts';
import { Recommender, type Decision, type PodSample } from './recommend.ts';

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period. */
export const SYNC_PERIOD_SECONDS = 15;

/** What the autoscaler needs of the workload it scales (a Rollout). */
export interface ScaleTarget {
  /** spec.replicas, or undefined while the target does not exist. */
  replicas(): number | undefined;
  pods(): { name: string; ready: boolean; usage(): ProcessUsage | undefined; requests: { cpu?: number; memory?: number } }[];
  scale(replicas: number, reason: string): Promise<void>;
}

export interface AutoscalerCondition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface AutoscalerStatus {
  name: string;
  target: string;
  minReplicas: number;
  maxReplicas: number;
  /** The target's replicas when last synced. */
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics: { resource: 'cpu' | 'memory'; kind: 'utilization' | 'averageValue'; current: number; target: number }[];
  lastScaleTime?: string;
  conditions: AutoscalerCondition[];
}

/** One sync, for the chart: the replicas before and after, and what each metric read. */
export interface AutoscalerSync {
  at: string;
  replicas: number;
  desired: number;
  readyPods: number;
  metrics: Record<string, number>;
}

export interface AutoscalerEvent {
  at: string;
  reason: 'SuccessfulRescale' | 'FailedRescale' | 'FailedGetResourceMetric' | 'FailedGetScale' | 'FailedComputeMetricsReplicas';
  message: string;
}

const SYNCS_KEPT = 2000;

export class Autoscaler {
  readonly events: AutoscalerEvent[] = [];
  readonly syncs: AutoscalerSync[] = [];
  private spec: HorizontalPodAutoscaler;
  private readonly recommender: Recommender;
  private readonly previous = new Map<string, { at: number; cpuSeconds: number }>();
  private state: AutoscalerStatus;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(
    spec: HorizontalPodAutoscaler,
    private readonly target: (name: string) => ScaleTarget | undefined,
    private readonly options: { timeScale: number; onEvent?: (e: AutoscalerEvent) => void; now?: () => number } = { timeScale: 1 },
  ) {
    this.spec = spec;
    this.recommender = new Recommender(spec.spec, (s) => this.seconds(s));
    this.state = {
      name: spec.metadata.name,
      target: spec.spec.scaleTargetRef.name,
      minReplicas: spec.spec.minReplicas,
      maxReplicas: spec.spec.maxReplicas,
      currentReplicas: 0,
      desiredReplicas: 0,
      currentMetrics: [],
      conditions: [],
    };
  }

  get name(): string {
    return this.spec.metadata.name;
  }

  private seconds(s: number): number {
    return s * 1000 * this.options.timeScale;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Syncs at once, then every sync period, until closed. */
  start(): void {
    const period = Math.max(250, this.seconds(SYNC_PERIOD_SECONDS));
    const tick = () => {
      // A sync that throws is an event, never an unhandled rejection: the loop goes on.
      this.syncing = this.sync()
        .catch((err: Error) => this.event('FailedComputeMetricsReplicas', `the HPA controller failed a sync: ${err.message}`))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, period);
        });
    };
    tick();
  }

  /** A changed manifest applied: the new bounds, metrics and behavior from the next sync on. */
  update(spec: HorizontalPodAutoscaler): void {
    this.spec = spec;
    this.recommender.update(spec.spec);
    Object.assign(this.state, { minReplicas: spec.spec.minReplicas, maxReplicas: spec.spec.maxReplicas, target: spec.spec.scaleTargetRef.name });
  }

  status(): AutoscalerStatus {
    return structuredClone(this.state);
  }

  private event(reason: AutoscalerEvent['reason'], message: string): void {
    const e = { at: new Date(this.now()).toISOString(), reason, message };
    this.events.push(e);
    this.options.onEvent?.(e);
  }

  private condition(type: AutoscalerCondition['type'], status: AutoscalerCondition['status'], reason: string, message: string): void {
    this.state.conditions = [...this.state.conditions.filter((c) => c.type !== type), { type, status, reason, message }];
  }

  /** The pods as metrics-server reports them: CPU over the time since the previous sync (nothing yet for a pod first seen). */
  private samples(target: ScaleTarget, now: number): PodSample[] {
    const seen = new Set<string>();
    const samples = target.pods().map((p) => {
      seen.add(p.name);
      const usage = p.usage();
      const before = this.previous.get(p.name);
      let cpu: number | undefined;
      if (usage !== undefined) {
        if (before !== undefined && now > before.at) cpu = (Math.max(0, usage.cpuSeconds - before.cpuSeconds) * 1000) / ((now - before.at) / 1000);
        this.previous.set(p.name, { at: now, cpuSeconds: usage.cpuSeconds });
      }
      return { name: p.name, ready: p.ready, usage: { ...(cpu !== undefined ? { cpu } : {}), ...(usage !== undefined ? { memory: usage.memoryBytes } : {}) }, requests: p.requests };
    });
    for (const name of this.previous.keys()) if (!seen.has(name)) this.previous.delete(name);
    return samples;
  }

  /** One pass of the control loop. */
  async sync(): Promise<void> {
    if (this.closed) return;
    const targetName = this.spec.spec.scaleTargetRef.name;
    const target = this.target(targetName);
    const current = target?.replicas();
    if (target === undefined || current === undefined) {
      const message = `the HPA controller was unable to get the target's current scale: Rollout "${targetName}" not found`;
      if (this.state.conditions.find((c) => c.type === 'AbleToScale')?.reason !== 'FailedGetScale') this.event('FailedGetScale', message);
      this.condition('AbleToScale', 'False', 'FailedGetScale', message);
      return this.notify();
    }
    const now = this.now();
    const pods = this.samples(target, now);
    const decision = this.recommender.decide(current, pods, now);
    this.record(decision, current, pods, now);
    if (decision.replicas !== current) {
      const reason = reasonText(decision, current);
      // Like the HPA controller, this sets the scale and goes on: the Rollout brings the pods up (or drains them) in its own time.
      const failed = (err: Error) => {
        this.event('FailedRescale', `New size: ${decision.replicas}; reason: ${reason}; error: ${err.message}`);
        this.condition('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${err.message}`);
        this.notify();
      };
      let scaling: Promise<void> | undefined;
      try {
        scaling = target.scale(decision.replicas, reason);
      } catch (err) {
        failed(err as Error);
      }
      if (scaling !== undefined) {
        scaling.catch(failed);
        this.recommender.scaled(current, decision.replicas, now);
        this.state.lastScaleTime = new Date(now).toISOString();
        this.event('SuccessfulRescale', `New size: ${decision.replicas}; reason: ${reason}`);
        this.condition('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${decision.replicas}`);
      }
    } else {
      this.condition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    }
    this.notify();
  }

  private record(decision: Decision, current: number, pods: PodSample[], now: number): void {
    this.state.currentReplicas = current;
    this.state.desiredReplicas = decision.replicas;
    this.state.currentMetrics = decision.proposals.map((p) => ({ resource: p.resource, kind: p.kind, current: p.current, target: p.target }));
    if (decision.errors.length > 0) {
      const message = `the HPA was unable to compute the replica count: ${decision.errors.join('; ')}`;
      // The first sync has no CPU rate yet (it takes two readings), as metrics-server has none for a new pod: no event for that.
      const firstSync = this.syncs.length === 0 && decision.errors.every((e) => e.startsWith('no '));
      if (!firstSync && this.state.conditions.find((c) => c.type === 'ScalingActive')?.message !== message) this.event('FailedGetResourceMetric', message);
      this.condition('ScalingActive', decision.proposals.length === 0 ? 'False' : 'True', 'FailedGetResourceMetric', message);
    } else {
      this.condition('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${decision.proposals.map((p) => `${p.resource} ${p.kind === 'utilization' ? 'resource utilization (percentage of request)' : 'resource'}`).join(', ')}`);
    }
    const limited = decision.limitedBy === 'TooManyReplicas' || decision.limitedBy === 'TooFewReplicas' || decision.limitedBy === 'ScaleUpLimit' || decision.limitedBy === 'ScaleDownLimit';
    this.condition('ScalingLimited', limited ? 'True' : 'False', decision.limitedBy, limited ? `the desired replica count (${decision.proposed}) was limited: ${decision.limitedBy}` : 'the desired count is within the acceptable range');
    this.syncs.push({
      at: new Date(now).toISOString(),
      replicas: current,
      desired: decision.replicas,
      readyPods: pods.filter((p) => p.ready).length,
      metrics: Object.fromEntries(decision.proposals.map((p) => [p.resource, p.current])),
    });
    if (this.syncs.length > SYNCS_KEPT) this.syncs.splice(0, this.syncs.length - SYNCS_KEPT);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until the status satisfies a predicate, re-checked after every sync; on timeout says what was expected and last seen. */
  async waitFor(predicate: (s: AutoscalerStatus) => boolean, timeoutMs: number, expected: string): Promise<AutoscalerStatus> {
    const started = Date.now();
    for (;;) {
      const s = this.status();
      if (predicate(s)) return s;
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) throw new Error(`autoscaler ${this.name}: expected ${expected} within ${timeoutMs} ms; last seen after ${Date.now() - started} ms: ${describeStatus(s)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.notify();
    await this.syncing.catch(() => {});
  }
}

/** Why the replicas change, in the words of Kubernetes' SuccessfulRescale events. */
function reasonText(decision: Decision, current: number): string {
  if (decision.limitedBy === 'TooManyReplicas' && decision.proposals.length === 0) return 'Current number of replicas above Spec.MaxReplicas';
  if (decision.limitedBy === 'TooFewReplicas' && decision.proposals.length === 0) return 'Current number of replicas below Spec.MinReplicas';
  const up = decision.replicas > current;
  const metric = decision.proposals.find((p) => (up ? p.replicas > current : p.replicas === decision.proposed)) ?? decision.proposals[0];
  if (metric === undefined) return up ? 'scaling up' : 'scaling down';
  const what = metric.kind === 'utilization' ? `${metric.resource} resource utilization (percentage of request)` : `${metric.resource} resource`;
  return `${what} ${up ? 'above' : 'below'} target`;
}

/** One line, as `kubectl get hpa` shows it. */
export function describeStatus(s: AutoscalerStatus): string {
  const metrics = s.currentMetrics.map((m) => (m.kind === 'utilization' ? `${m.resource}: ${m.current}%/${m.target}%` : `${m.resource}: ${Math.round(m.current)}/${m.target}`)).join(', ') || 'targets <unknown>';
  const problems = s.conditions.filter((c) => c.status === 'False' && c.type !== 'ScalingLimited').map((c) => `${c.reason}: ${c.message}`);
  return `${metrics}; replicas ${s.currentReplicas}, desired ${s.desiredReplicas} (min ${s.minReplicas}, max ${s.maxReplicas})${problems.length ? `; ${problems.join('; ')}` : ''}`;
}
