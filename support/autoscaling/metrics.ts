// The autoscalers' state under kube-state-metrics' names
// (kube_horizontalpodautoscaler_*), so a dashboard or alert written for a
// cluster (kubernetes-mixin's KubeHpaMaxedOut, say) reads the local
// platform alike. Read from the autoscalers at scrape time.
import { Gauge, type Registry } from 'prom-client';
import type { AutoscalerStatus } from './autoscaler.ts';

export function registerAutoscalerMetrics(registry: Registry, source: () => { namespace: string; status: AutoscalerStatus }[]): void {
  const gauge = (name: string, help: string, pick: (s: AutoscalerStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'horizontalpodautoscaler'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { namespace, status } of source()) this.set({ namespace, horizontalpodautoscaler: status.name }, pick(status));
      },
    });
  gauge('kube_horizontalpodautoscaler_spec_min_replicas', 'Lower limit for the number of pods that can be set by the autoscaler', (s) => s.minReplicas);
  gauge('kube_horizontalpodautoscaler_spec_max_replicas', 'Upper limit for the number of pods that can be set by the autoscaler', (s) => s.maxReplicas);
  gauge('kube_horizontalpodautoscaler_status_current_replicas', 'Current number of replicas of pods managed by this autoscaler', (s) => s.currentReplicas);
  gauge('kube_horizontalpodautoscaler_status_desired_replicas', 'Desired number of replicas of pods managed by this autoscaler', (s) => s.desiredReplicas);
  new Gauge({
    name: 'kube_horizontalpodautoscaler_status_target_metric',
    help: 'The current metric status the autoscaler uses to decide (utilization in percent, average in millicores or bytes)',
    labelNames: ['namespace', 'horizontalpodautoscaler', 'metric_name', 'metric_target_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { namespace, status } of source()) {
        for (const m of status.currentMetrics) this.set({ namespace, horizontalpodautoscaler: status.name, metric_name: m.resource, metric_target_type: m.kind === 'utilization' ? 'utilization' : 'average' }, m.current);
      }
    },
  });
  new Gauge({
    name: 'kube_horizontalpodautoscaler_status_condition',
    help: 'The condition of this autoscaler (1 for the status it has)',
    labelNames: ['namespace', 'horizontalpodautoscaler', 'condition', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { namespace, status } of source()) {
        for (const c of status.conditions) for (const v of ['true', 'false', 'unknown']) this.set({ namespace, horizontalpodautoscaler: status.name, condition: c.type, status: v }, c.status.toLowerCase() === v ? 1 : 0);
      }
    },
  });
}
