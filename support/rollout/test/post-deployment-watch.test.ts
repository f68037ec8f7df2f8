// The watch after a deployment, on a clock of its own: every check looks at
// the rollout, its pods, the alerts and the last window of traffic, and the
// first breach ends it with when and what.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateThreshold, parseThreshold } from '../../slo/threshold.ts';
import { TrafficRecording } from '../../traffic/recording.ts';
import type { RolloutStatus } from '../controller.ts';
import { watchAfterDeployment, type WatchSources } from '../post-deployment-watch.ts';

const healthy = { phase: 'Healthy', message: '', revision: 2, currentImage: 'app:v2', stableImage: 'app:v2', abort: false, canaryWeight: 0 } as RolloutStatus;

function world(overrides: Partial<{ at: (t: number) => Partial<{ status: RolloutStatus; restarts: number; alerts: string[]; failing: boolean }> }> = {}) {
  let t = 1_000_000;
  const recording = new TrafficRecording('app');
  const threshold = parseThreshold('http_req_failed: rate<0.01');
  const state = () => ({ status: healthy, restarts: 0, alerts: [] as string[], failing: false, ...overrides.at?.(t - 1_000_000) });
  const sources: WatchSources = {
    status: () => state().status,
    pods: () => [{ name: 'app-2-a', restarts: state().restarts, ready: true }, { name: 'app-2-b', restarts: 0, ready: true }],
    firingAlerts: async () => state().alerts,
    traffic: (from, to) => [evaluateThreshold(threshold, recording, { name: 'w', from, to })],
  };
  const sleep = async (ms: number) => {
    // 10 requests a second, failing while the world says so.
    for (let s = t; s < t + ms; s += 100) recording.add({ at: s, latencyMs: 5, status: state().failing ? 500 : 200, version: 'v2' });
    t += ms;
  };
  return { sources, options: { durationMs: 60_000, intervalMs: 1000, now: () => t, sleep } };
}

const watch = (w: ReturnType<typeof world>) => watchAfterDeployment(w.sources, w.options);

test('a quiet period: one check a second for the whole minute, none broken', async () => {
  const w = world();
  const r = await watchAfterDeployment(w.sources, w.options);
  assert.equal(r.breach, undefined);
  assert.equal(r.checks.length, 60);
  assert.equal(r.image, 'app:v2');
});

test('a pod restarting ends the watch at that check, naming the pod', async () => {
  const w = world({ at: (t) => (t >= 20_000 ? { restarts: 1 } : {}) });
  const r = await watchAfterDeployment(w.sources, w.options);
  assert.equal(r.breach?.afterMs, 20_000);
  assert.deepEqual(r.breach?.problems, ['pod app-2-a restarted (1 time(s))']);
  assert.equal(r.checks.length, 20);
});

test('failed requests, an alert, or the rollout leaving Healthy each break it and say so', async () => {
  const failing = await watch(world({ at: (t) => ({ failing: t >= 30_000 }) }));
  assert.equal(failing.breach?.afterMs, 31_000);
  assert.match(failing.breach?.problems.join() ?? '', /http_req_failed/);
  const alert = await watch(world({ at: (t) => (t >= 5_000 ? { alerts: ['HighLatency (app)'] } : {}) }));
  assert.deepEqual(alert.breach?.problems, ['alert HighLatency (app) is firing']);
  const degraded = await watch(world({ at: (t) => (t >= 9_000 ? { status: { ...healthy, phase: 'Degraded', message: 'pods not ready', stableImage: 'app:v1' } as RolloutStatus } : {}) }));
  assert.deepEqual(degraded.breach?.problems, ['the rollout is Degraded: pods not ready', 'the stable image is app:v1, where app:v2 was released']);
});

test('a watch does not start on a rollout that is not Healthy', async () => {
  const w = world({ at: () => ({ status: { ...healthy, phase: 'Progressing', message: 'updating' } as RolloutStatus }) });
  await assert.rejects(watchAfterDeployment(w.sources, w.options), /starts after a deployment, but the rollout is Progressing: updating/);
});
