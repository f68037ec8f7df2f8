// The Argo Rollouts controller's own metrics, under the names the real
// controller exports on :8090 (rollout_info, rollout_info_replicas_*,
// rollout_events_total, analysis_run_info), so one Grafana dashboard
// (k8s/monitoring/dashboards/rollouts.json) reads the local platform and a
// real cluster alike. Values are read from the controllers at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RolloutStatus } from '../../rollout/controller.ts';

export interface RolloutMetricsSource {
  rollouts(): { namespace: string; desiredReplicas: number; availableReplicas: number; status: RolloutStatus }[];
  analysisRuns(): { name: string; namespace: string; phase: string }[];
}

export class RolloutMetrics {
  private readonly events: Counter<'name' | 'namespace' | 'reason' | 'type'>;
  private readonly durations: Histogram<'name' | 'namespace' | 'outcome'>;
  /** When each rollout's update in progress started (its RolloutUpdated or RolloutRetried event). */
  private readonly updating = new Map<string, number>();

  constructor(registry: Registry, source: RolloutMetricsSource) {
    const strategyLabel = (s: RolloutStatus['strategy']) => (s === 'blueGreen' ? 'blueGreen' : 'canary');
    new Gauge({
      name: 'rollout_info',
      help: 'Information about a rollout (1), labelled with its phase and strategy',
      labelNames: ['name', 'namespace', 'phase', 'strategy', 'traffic_router'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of source.rollouts()) {
          // The local platform routes like Argo's trafficRouting, with its own router.
          this.set({ name: r.status.name, namespace: r.namespace, phase: r.status.phase, strategy: strategyLabel(r.status.strategy), traffic_router: 'cutover' }, 1);
        }
      },
    });
    const replicas = (name: string, help: string, pick: (r: ReturnType<RolloutMetricsSource['rollouts']>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['name', 'namespace'],
        registers: [registry],
        collect() {
          this.reset();
          for (const r of source.rollouts()) this.set({ name: r.status.name, namespace: r.namespace }, pick(r));
        },
      });
    replicas('rollout_info_replicas_desired', 'Desired replicas of a rollout (spec.replicas)', (r) => r.desiredReplicas);
    replicas('rollout_info_replicas_available', 'Replicas of a rollout that pass their readiness probe, all revisions', (r) => r.availableReplicas);
    new Gauge({
      name: 'analysis_run_info',
      help: 'Information about an analysis run (1), labelled with its phase',
      labelNames: ['name', 'namespace', 'phase'],
      registers: [registry],
      collect() {
        this.reset();
        for (const a of source.analysisRuns()) this.set({ name: a.name, namespace: a.namespace, phase: a.phase }, 1);
      },
    });
    this.events = new Counter({ name: 'rollout_events_total', help: 'Events a rollout emitted, by reason', labelNames: ['name', 'namespace', 'reason', 'type'], registers: [registry] });
    // Argo's controller has no such histogram: cutover's own name, from the same events.
    this.durations = new Histogram({
      name: 'cutover_rollout_duration_seconds',
      help: 'Time from an update of a rollout to its completion (outcome="completed") or abort (outcome="aborted")',
      labelNames: ['name', 'namespace', 'outcome'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers: [registry],
    });
  }

  /** Counts one controller event (Argo's events are Normal, or Warning for aborts and failures). */
  event(rollout: string, namespace: string, reason: string): void {
    const warning = /Abort|Fail|Error|Degraded|Inconclusive/.test(reason);
    this.events.inc({ name: rollout, namespace, reason, type: warning ? 'Warning' : 'Normal' });
    const key = `${namespace}/${rollout}`;
    // A retry starts the aborted update over: its duration counts from the retry.
    if (reason === 'RolloutUpdated' || reason === 'RolloutRetried') this.updating.set(key, performance.now());
    const started = this.updating.get(key);
    if (started !== undefined && (reason === 'RolloutCompleted' || reason === 'RolloutAborted')) {
      this.durations.observe({ name: rollout, namespace, outcome: reason === 'RolloutCompleted' ? 'completed' : 'aborted' }, (performance.now() - started) / 1000);
      this.updating.delete(key);
    }
  }
}
