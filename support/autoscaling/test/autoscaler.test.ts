import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Autoscaler, describeStatus, type ScaleTarget } from '../autoscaler.ts';
import { Registry } from 'prom-client';
import { registerAutoscalerMetrics } from '../metrics.ts';
import { HorizontalPodAutoscalerSchema } from '../model.ts';

const spec = HorizontalPodAutoscalerSchema.parse({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web' },
  spec: { scaleTargetRef: { kind: 'Rollout', name: 'web' }, minReplicas: 2, maxReplicas: 6, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
});

/** A Rollout whose pods have used `cpuSeconds` so far each, requesting 100m; scale() adds or removes pods. */
class FakeRollout implements ScaleTarget {
  replicaCount = 2;
  cpuSeconds = new Map<string, number>([['web-0', 0], ['web-1', 0]]);
  scaledTo: string[] = [];
  replicas() {
    return this.replicaCount;
  }
  pods() {
    return [...this.cpuSeconds].map(([name, cpu]) => ({ name, ready: true, requests: { cpu: 100 }, usage: () => ({ cpuSeconds: cpu, memoryBytes: 1, readBytes: undefined, writeBytes: undefined }) }));
  }
  async scale(replicas: number, reason: string) {
    this.scaledTo.push(`${replicas}: ${reason}`);
    for (let i = this.replicaCount; i < replicas; i++) this.cpuSeconds.set(`web-${i}`, 0);
    for (let i = replicas; i < this.replicaCount; i++) this.cpuSeconds.delete(`web-${i}`);
    this.replicaCount = replicas;
  }
  /** Each pod uses this many cores for `seconds`. */
  burn(cores: number, seconds: number) {
    for (const [name, cpu] of this.cpuSeconds) this.cpuSeconds.set(name, cpu + cores * seconds);
  }
}

/** An autoscaler that synced twice, 15 s apart, over pods that used 0.2 cores each in between (200 % of their request). */
async function overloadedFor15s(target: FakeRollout): Promise<Autoscaler> {
  let now = 0;
  const autoscaler = new Autoscaler(spec, () => target, { timeScale: 1, now: () => now });
  await autoscaler.sync();
  target.burn(0.2, 15);
  now += 15_000;
  await autoscaler.sync();
  return autoscaler;
}

test('the loop measures CPU as a rate between syncs, scales the target, and reports it as kubectl describe hpa does', async () => {
  const target = new FakeRollout();
  let now = 1_000_000;
  const autoscaler = new Autoscaler(spec, (name) => (name === 'web' ? target : undefined), { timeScale: 1, now: () => now });
  await autoscaler.sync();
  assert.deepEqual(autoscaler.status().currentMetrics, [], 'the first sync has one reading: no rate yet');
  assert.equal(autoscaler.events.length, 0, 'and says nothing about it');
  assert.equal(autoscaler.status().conditions.find((c) => c.type === 'ScalingActive')?.status, 'False');

  // 15 s at 0.2 cores each: 200 % of the 100m request against 50 % → 4 × 2 = 8, capped at 6.
  target.burn(0.2, 15);
  now += 15_000;
  await autoscaler.sync();
  assert.deepEqual(target.scaledTo, ['6: cpu resource utilization (percentage of request) above target']);
  const s = autoscaler.status();
  assert.deepEqual(s.currentMetrics, [{ resource: 'cpu', kind: 'utilization', current: 200, target: 50 }]);
  assert.deepEqual([s.currentReplicas, s.desiredReplicas], [2, 6]);
  assert.equal(s.conditions.find((c) => c.type === 'ScalingLimited')?.reason, 'TooManyReplicas');
  assert.match(autoscaler.events.at(-1)?.message ?? '', /^New size: 6; reason: cpu resource utilization \(percentage of request\) above target$/);
  assert.match(describeStatus(s), /^cpu: 200%\/50%; replicas 2, desired 6 \(min 2, max 6\)/);
  assert.deepEqual(autoscaler.syncs.map((x) => [x.replicas, x.desired, x.metrics.cpu]), [[2, 2, undefined], [2, 6, 200]]);

  // A target that is gone: FailedGetScale, once, and nothing scaled.
  const orphan = new Autoscaler({ ...spec, spec: { ...spec.spec, scaleTargetRef: { kind: 'Rollout', name: 'gone' } } }, () => undefined, { timeScale: 1 });
  await orphan.sync();
  await orphan.sync();
  assert.deepEqual(orphan.events.map((e) => e.reason), ['FailedGetScale']);
  assert.match(orphan.status().conditions[0]?.message ?? '', /Rollout "gone" not found/);
  await assert.rejects(orphan.waitFor((x) => x.desiredReplicas > 0, 50, 'a replica count'), /autoscaler web: expected a replica count within 50 ms; last seen after \d+ ms: targets <unknown>; replicas 0, desired 0 .*FailedGetScale/);
  await autoscaler.close();
  await orphan.close();
});

test('a scale the target refuses is a FailedRescale event and AbleToScale False', async () => {
  const target = new FakeRollout();
  target.scale = async () => {
    throw new Error('rollout web has been shut down');
  };
  const autoscaler = await overloadedFor15s(target);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(autoscaler.events.map((e) => e.reason), ['SuccessfulRescale', 'FailedRescale']);
  assert.equal(autoscaler.status().conditions.find((c) => c.type === 'AbleToScale')?.reason, 'FailedUpdateScale');
  await autoscaler.close();
});

test('Prometheus reads the autoscalers under kube-state-metrics\' names', async () => {
  const target = new FakeRollout();
  const autoscaler = await overloadedFor15s(target);
  const registry = new Registry();
  registerAutoscalerMetrics(registry, () => [{ namespace: 'default', status: autoscaler.status() }]);
  const text = await registry.metrics();
  for (const line of [
    'kube_horizontalpodautoscaler_spec_max_replicas{namespace="default",horizontalpodautoscaler="web"} 6',
    'kube_horizontalpodautoscaler_status_current_replicas{namespace="default",horizontalpodautoscaler="web"} 2',
    'kube_horizontalpodautoscaler_status_desired_replicas{namespace="default",horizontalpodautoscaler="web"} 6',
    'kube_horizontalpodautoscaler_status_target_metric{namespace="default",horizontalpodautoscaler="web",metric_name="cpu",metric_target_type="utilization"} 200',
    'kube_horizontalpodautoscaler_status_condition{namespace="default",horizontalpodautoscaler="web",condition="ScalingLimited",status="true"} 1',
  ]) {
    assert.ok(text.includes(line), `missing: ${line}`);
  }
  await autoscaler.close();
});
