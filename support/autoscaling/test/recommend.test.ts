import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HorizontalPodAutoscalerSchema, type HorizontalPodAutoscaler } from '../model.ts';
import { proposeForMetric, Recommender, type PodSample } from '../recommend.ts';

function hpa(spec: Record<string, unknown> = {}): HorizontalPodAutoscaler {
  return HorizontalPodAutoscalerSchema.parse({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'app' },
    spec: { scaleTargetRef: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'app' }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...spec },
  });
}

/** Pods requesting 100m CPU and 100 MB, each using the CPU given (undefined: not measured yet; null: not ready). */
const pods = (...cpu: (number | undefined | null)[]): PodSample[] =>
  cpu.map((c, i) => ({ name: `p${i}`, ready: c !== null, usage: c === undefined || c === null ? {} : { cpu: c, memory: 50e6 }, requests: { cpu: 100, memory: 100e6 } }));

const cpu50 = hpa().spec.metrics[0]!;

test('one metric: ceil(pods × usage / target), no change within the 10 % tolerance', () => {
  assert.equal((proposeForMetric(cpu50, 2, pods(100, 100)) as { replicas: number }).replicas, 4);
  assert.equal((proposeForMetric(cpu50, 2, pods(54, 54)) as { replicas: number }).replicas, 2, '108 % of target is within tolerance');
  assert.equal((proposeForMetric(cpu50, 4, pods(10, 10, 10, 10)) as { replicas: number }).replicas, 1);
  const p = proposeForMetric(cpu50, 2, pods(75, 25));
  assert.deepEqual(p, { resource: 'cpu', current: 50, target: 50, kind: 'utilization', replicas: 2 });
});

test('pods not ready count as idle when scaling up, pods not measured yet as busy when scaling down: neither makes it overshoot', () => {
  // 2 measured at 100 % (ratio 2) + 2 unready at 0 → ratio 1: no change rather than 4 more.
  assert.equal((proposeForMetric(cpu50, 4, pods(50, 50, null, null)) as { replicas: number }).replicas, 4);
  // 2 at 400 % of target + 2 unready at 0: ratio 2 over 4 pods → 8.
  assert.equal((proposeForMetric(cpu50, 4, pods(200, 200, null, null)) as { replicas: number }).replicas, 8);
  // Scaling down with a pod not measured yet: it is assumed at its request (200 % of target), so no scale-down.
  assert.equal((proposeForMetric(cpu50, 3, pods(10, 10, undefined)) as { replicas: number }).replicas, 3);
  assert.equal((proposeForMetric(cpu50, 3, pods(5, 5, 5)) as { replicas: number }).replicas, 1);
});

test('a metric without measurements or requests proposes nothing, and says why', () => {
  assert.match((proposeForMetric(cpu50, 2, pods(undefined, undefined)) as { error: string }).error, /no cpu measurement of any ready pod yet/);
  const noRequest = pods(50, 50).map((p) => ({ ...p, requests: {} }));
  assert.match((proposeForMetric(cpu50, 2, noRequest) as { error: string }).error, /missing request for cpu in pod p0/);
  const average = hpa({ metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '25M' } } }] }).spec.metrics[0]!;
  assert.equal((proposeForMetric(average, 2, noRequest) as { replicas: number }).replicas, 4, 'an average value needs no request: 50 MB each against 25 MB');
});

test('decisions: bounds, the largest metric wins, scale-down stabilized over its window, scale-up limited by its policies', () => {
  let now = 0;
  const r = new Recommender(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }, { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 25 } } }] }).spec);
  // Out of bounds first, without metrics.
  assert.deepEqual([r.decide(1, [], now).replicas, r.decide(12, [], now).replicas], [2, 10]);
  // Memory (50 % of request against 25 %) asks for 4, CPU (10 %) for 1: 4.
  const d = r.decide(2, pods(10, 10), now);
  assert.equal(d.replicas, 4);
  assert.deepEqual(d.proposals.map((p) => [p.resource, p.replicas]), [['cpu', 1], ['memory', 4]]);
  r.scaled(2, 4, now);

  // Default scale-up policies: double or +4 per 15 s, the larger. 4 pods at 500 % ask for 40 → 8 (Percent 100 %) vs 8 (+4): 8.
  const up = new Recommender(hpa({ maxReplicas: 100 }).spec);
  assert.equal(up.decide(4, pods(250, 250, 250, 250), now).replicas, 8);
  up.scaled(4, 8, now);
  now += 5_000;
  // Within the same 15 s the period started at 4: at most 8 in all, so no further step.
  const limited = up.decide(8, pods(250, 250, 250, 250, 250, 250, 250, 250), now);
  assert.deepEqual([limited.replicas, limited.limitedBy], [8, 'ScaleUpLimit']);
  now += 15_000;
  assert.equal(up.decide(8, pods(250, 250, 250, 250, 250, 250, 250, 250), now).replicas, 16);

  // Scale-down waits for the highest recommendation of the last 300 s (the default window).
  const down = new Recommender(hpa().spec);
  now = 0;
  assert.equal(down.decide(6, pods(50, 50, 50, 50, 50, 50), now).replicas, 6);
  now += 60_000;
  const held = down.decide(6, pods(5, 5, 5, 5, 5, 5), now);
  assert.deepEqual([held.replicas, held.proposed, held.limitedBy], [6, 1, 'ScaleDownStabilized']);
  now += 241_000;
  assert.equal(down.decide(6, pods(5, 5, 5, 5, 5, 5), now).replicas, 2);
});

test('scale-down policies: 50 % per minute halves at most once a minute; Disabled never scales down', () => {
  const behavior = { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } };
  const r = new Recommender(hpa({ minReplicas: 1, behavior }).spec);
  let now = 0;
  const idle = (n: number) => pods(...Array.from({ length: n }, () => 1));
  assert.equal(r.decide(8, idle(8), now).replicas, 4);
  r.scaled(8, 4, now);
  now += 30_000;
  assert.deepEqual([r.decide(4, idle(4), now).replicas, r.decide(4, idle(4), now).limitedBy], [4, 'ScaleDownLimit']);
  now += 31_000;
  assert.equal(r.decide(4, idle(4), now).replicas, 2);
  const never = new Recommender(hpa({ behavior: { scaleDown: { selectPolicy: 'Disabled' } } }).spec);
  assert.equal(never.decide(6, idle(6), 0).replicas, 6);
});

test('a malformed HorizontalPodAutoscaler is refused with the field and what was expected', () => {
  const issues = (spec: Record<string, unknown>) => {
    const r = HorizontalPodAutoscalerSchema.safeParse({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'app' }, spec: { scaleTargetRef: { kind: 'Rollout', name: 'app' }, maxReplicas: 4, ...spec } });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({}), []);
  assert.deepEqual(issues({ minReplicas: 5 }), ['spec.maxReplicas: expected at least minReplicas (5)']);
  assert.match(issues({ scaleTargetRef: { kind: 'Deployment', name: 'app' } })[0] ?? '', /^spec\.scaleTargetRef\.kind: expected kind Rollout/);
  assert.match(issues({ metrics: [{ type: 'Pods', pods: {} }] })[0] ?? '', /^spec\.metrics\.0\.type: expected type Resource/);
  assert.match(issues({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: 'lots' } } }] })[0] ?? '', /averageValue: "lots" is not a cpu quantity/);
  assert.match(issues({ behavior: { scaleDown: { policies: [{ type: 'Percent', value: 50, periodSeconds: 3600 }] } } })[0] ?? '', /periodSeconds: expected at most 1800 seconds/);
  // Defaults as Kubernetes documents them.
  const d = hpa({ behavior: undefined, metrics: undefined, minReplicas: undefined }).spec;
  assert.equal(d.minReplicas, 1);
  assert.deepEqual(d.metrics, [{ resource: 'cpu', kind: 'utilization', target: 80 }]);
  assert.equal(d.behavior.scaleDown.stabilizationWindowSeconds, 300);
  assert.deepEqual(d.behavior.scaleUp.policies.map((p) => `${p.value} ${p.type}/${p.periodSeconds}s`), ['100 Percent/15s', '4 Pods/15s']);
});
