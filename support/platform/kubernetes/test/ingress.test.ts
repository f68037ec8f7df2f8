// The routes cutover's router takes in front of a cluster's Services: split by
// the canary weight, and a hash reached only through a Service whose endpoints
// lead to nothing else (so no request passes through endpoints kube-proxy has
// not yet moved). Pure: no cluster needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { RolloutStatus } from '../../../rollout/controller.ts';
import { addDataVolume } from '../platform.ts';
import { ingressRoutes } from '../ingress.ts';
import type { ArgoRollout } from '../status.ts';

const service = (name: string): k8s.V1Service => ({ metadata: { name }, spec: { selector: { app: 'tinyurl' } } });
const services = ['tinyurl', 'tinyurl-stable', 'tinyurl-canary'].map(service);
const canary: ArgoRollout = {
  metadata: { name: 'tinyurl' },
  spec: {
    template: { metadata: { labels: { app: 'tinyurl' } }, spec: { containers: [{ name: 'tinyurl', image: 'cutover/tinyurl:v2' }] } },
    strategy: { canary: { canaryService: 'tinyurl-canary', stableService: 'tinyurl-stable', steps: [{ setWeight: 10 }, { pause: {} }] } },
  },
};
const status = (s: Partial<RolloutStatus>): RolloutStatus => ({
  name: 'tinyurl',
  strategy: 'canary',
  phase: 'Paused',
  message: '',
  abort: false,
  revision: 2,
  currentPodHash: 'new',
  stableRS: 'old',
  currentImage: 'cutover/tinyurl:v2',
  stableImage: 'cutover/tinyurl:v1',
  canaryWeight: 10,
  pauseConditions: [],
  replicaSets: [],
  analysisRuns: [],
  timeScale: 1,
  ...s,
});
const summary = (routes: ReturnType<typeof ingressRoutes>) => Object.fromEntries([...routes].map(([k, gs]) => [k, gs.map((g) => `${g.name}:${g.target}:${g.weight}`)]));

test('a canary splits the Service by weight between the stable and canary Services once the canary Service reaches only canary pods', () => {
  const endpoints = { 'tinyurl-stable': ['old'], 'tinyurl-canary': ['new'], tinyurl: ['old', 'new'] } as Record<string, string[]>;
  const routes = ingressRoutes(services, [{ rollout: canary, status: status({}) }], (s) => endpoints[s] ?? []);
  assert.deepEqual(summary(routes), {
    tinyurl: ['stable:tinyurl-stable:90', 'canary:tinyurl-canary:10'],
    'tinyurl-stable': ['stable:tinyurl-stable:100'],
    'tinyurl-canary': ['canary:tinyurl-canary:100'],
  });
});

test('the canary gets nothing while its Service still leads to stable pods, and nothing after an abort', () => {
  const lagging = { 'tinyurl-stable': ['old'], 'tinyurl-canary': ['old'] } as Record<string, string[]>;
  assert.deepEqual(summary(ingressRoutes(services, [{ rollout: canary, status: status({}) }], (s) => lagging[s] ?? [])).tinyurl, ['stable:tinyurl-canary:100']);
  const moved = { 'tinyurl-stable': ['old'], 'tinyurl-canary': ['new'] } as Record<string, string[]>;
  assert.deepEqual(summary(ingressRoutes(services, [{ rollout: canary, status: status({ abort: true, canaryWeight: 0 }) }], (s) => moved[s] ?? [])).tinyurl, [
    'stable:tinyurl-stable:100',
  ]);
});

test('once the canary is stable, traffic stays on the canary Service until the stable Service leads only to the new pods', () => {
  const done = status({ stableRS: 'new', currentPodHash: 'new', stableImage: 'cutover/tinyurl:v2', canaryWeight: 100, phase: 'Healthy' });
  const before = { 'tinyurl-stable': ['old'], 'tinyurl-canary': ['new'] } as Record<string, string[]>;
  assert.deepEqual(summary(ingressRoutes(services, [{ rollout: canary, status: done }], (s) => before[s] ?? [])).tinyurl, ['stable:tinyurl-canary:100']);
});

test('of the Services that lead only to the pods, the one whose endpoints settled first is taken (kube-proxy follows a change a moment later)', () => {
  // After an abort Argo points the canary Service back at the stable pods: the stable Service never moved.
  const aborted = status({ abort: true, canaryWeight: 0 });
  const both = { 'tinyurl-stable': ['old'], 'tinyurl-canary': ['old'] } as Record<string, string[]>;
  const since = { 'tinyurl-stable': 1000, 'tinyurl-canary': 5000 } as Record<string, number>;
  assert.deepEqual(summary(ingressRoutes(services, [{ rollout: canary, status: aborted }], (s) => both[s] ?? [], (s) => since[s] ?? 0)).tinyurl, ['stable:tinyurl-stable:100']);
  // After completion Argo moves the stable Service to the new pods: the canary Service has led to them all along.
  const done = status({ stableRS: 'new', currentPodHash: 'new', stableImage: 'cutover/tinyurl:v2', canaryWeight: 100, phase: 'Healthy' });
  const after = { 'tinyurl-stable': ['new'], 'tinyurl-canary': ['new'] } as Record<string, string[]>;
  const moved = { 'tinyurl-stable': 9000, 'tinyurl-canary': 2000 } as Record<string, number>;
  assert.deepEqual(summary(ingressRoutes(services, [{ rollout: canary, status: done }], (s) => after[s] ?? [], (s) => moved[s] ?? 0)).tinyurl, ['stable:tinyurl-canary:100']);
});

test('a blue-green active Service is reached through the preview Service once that leads to the promoted pods', () => {
  const bg: ArgoRollout = { ...canary, spec: { ...canary.spec, strategy: { blueGreen: { activeService: 'tinyurl', previewService: 'tinyurl-preview' } } } };
  const svcs = ['tinyurl', 'tinyurl-preview'].map(service);
  const promoted = status({ strategy: 'blueGreen', activeSelector: 'new', previewSelector: 'new', stableRS: 'new' });
  const endpoints = { tinyurl: ['old'], 'tinyurl-preview': ['new'] } as Record<string, string[]>;
  assert.deepEqual(summary(ingressRoutes(svcs, [{ rollout: bg, status: promoted }], (s) => endpoints[s] ?? [])), {
    tinyurl: ['active:tinyurl-preview:100'],
    'tinyurl-preview': ['preview:tinyurl-preview:100'],
  });
  const waiting = status({ strategy: 'blueGreen', activeSelector: 'old', previewSelector: 'new' });
  assert.deepEqual(summary(ingressRoutes(svcs, [{ rollout: bg, status: waiting }], (s) => endpoints[s] ?? [])).tinyurl, ['active:tinyurl:100']);
});

test('a Service no rollout uses is reached as it is', () => {
  assert.deepEqual(summary(ingressRoutes([service('redis')], [], () => [])), { redis: ['service:redis:100'] });
});

test('every container of a rollout gets the data folder at /data, unless the template mounts something there', () => {
  const obj = { kind: 'Rollout', spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }] }] } } } };
  addDataVolume(obj, '/tmp/x');
  assert.deepEqual(obj.spec.template.spec, {
    containers: [{ name: 'app', env: [{ name: 'A', value: '1' }, { name: 'DATA_DIR', value: '/data' }], volumeMounts: [{ name: 'cutover-data', mountPath: '/data' }] }],
    volumes: [{ name: 'cutover-data', hostPath: { path: '/tmp/x', type: 'DirectoryOrCreate' } }],
  });
  const own = { kind: 'Rollout', spec: { template: { spec: { containers: [{ name: 'app', volumeMounts: [{ name: 'pvc', mountPath: '/data' }] }] } } } };
  addDataVolume(own, '/tmp/x');
  assert.equal((own.spec.template.spec as { volumes?: unknown }).volumes, undefined);
});
