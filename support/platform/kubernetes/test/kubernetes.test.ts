// The kubernetes platform against a real cluster with the real Argo Rollouts
// controller (in CI: the cluster ci/cluster/up.sh builds from upstream parts,
// with the service images imported). Argo's own getting-started examples are
// applied unchanged; traffic goes through the Services' NodePorts.
// Where no cluster answers these tests are skipped, unless
// CUTOVER_REQUIRE_CLUSTER is set (CI sets it once its cluster is up).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { KubeCluster } from '../cluster.ts';
import { KubernetesPlatform, scaleDurations } from '../platform.ts';
import { currentSetWeight, type ArgoRollout } from '../status.ts';

const reachable = await new KubeCluster({ callTimeoutMs: 5000 }).check(5000).then(
  () => true,
  (err: Error) => err.message,
);
const skip = reachable === true ? false : process.env.CUTOVER_REQUIRE_CLUSTER ? false : `no cluster with Argo Rollouts here (${reachable}): bash ci/cluster/up.sh starts one`;

const CANARY = 'k8s/examples/rollouts-demo-canary.yaml';
const BLUE_GREEN = 'k8s/examples/rollouts-demo-bluegreen.yaml';

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        // The router in front of the Service answers 502 when every pod it was sent to refused.
        if (res.statusCode === 502) reject(Object.assign(new Error(`GET ${url}: 502 ${body}`), { code: 'ECONNREFUSED' }));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/**
 * Argo's examples have no readiness probe: a pod counts as ready when its
 * container starts, before the app listens, and a connection kube-proxy sends
 * there is refused (the router in front answers 502 then). Those are tried
 * again (within 10 s); any other error is not.
 */
async function getTextPatiently(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await getText(url);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** n requests to a Service; the colours that answered, counted. */
async function colours(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    // A new connection each time: kube-proxy picks an endpoint per connection.
    const colour = (await getTextPatiently(`${url}/color`)).replace(/"/g, '').trim();
    counts[colour] = (counts[colour] ?? 0) + 1;
  }
  return counts;
}

/**
 * How long until a Service answers with one colour only (kube-proxy follows
 * a selector change within its sync period); fails after timeoutMs.
 */
async function untilOnly(url: string, colour: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const seen = await colours(url, 1);
    if (seen[colour] === 1) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} still answers ${JSON.stringify(seen)} ${timeoutMs} ms after the switch, expected only ${colour}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the canary weight is the one Argo computes for the step (no traffic router)', () => {
  const r = (status: ArgoRollout['status']): ArgoRollout => ({
    metadata: { name: 'r' },
    spec: { template: { spec: { containers: [] } }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }] } } },
    status,
  });
  assert.equal(currentSetWeight(r({ currentStepIndex: 1, currentPodHash: 'b', stableRS: 'a' })), 20);
  assert.equal(currentSetWeight(r({ currentStepIndex: 2, currentPodHash: 'b', stableRS: 'a' })), 40);
  assert.equal(currentSetWeight(r({ currentStepIndex: 3, currentPodHash: 'b', stableRS: 'a' })), 100);
  assert.equal(currentSetWeight(r({ currentStepIndex: 1, currentPodHash: 'b', stableRS: 'a', abort: true })), 0);
  assert.equal(currentSetWeight(r({ currentStepIndex: 3, currentPodHash: 'a', stableRS: 'a' })), 100);
});

test('durations are scaled like the local platform scales them, in whole seconds', () => {
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'r' },
    spec: { strategy: { canary: { steps: [{ pause: { duration: '2m' } }, { pause: {} }, { pause: { duration: 10 } }] }, blueGreen: { autoPromotionSeconds: 30 } } },
  };
  const scaled = scaleDurations(rollout, 0.1) as unknown as typeof rollout;
  assert.deepEqual(scaled.spec.strategy.canary.steps, [{ pause: { duration: '12s' } }, { pause: {} }, { pause: { duration: '1s' } }]);
  assert.equal(scaled.spec.strategy.blueGreen.autoPromotionSeconds, 3);
  assert.equal(rollout.spec.strategy.canary.steps[0]?.pause.duration, '2m', 'the original is left as it was');
});

test('a cluster that is not there is a clear error naming what to do', async () => {
  const fs = await import('node:fs');
  const file = `/tmp/cutover-no-cluster-${process.pid}.kubeconfig`;
  fs.writeFileSync(
    file,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  try {
    const started = Date.now();
    await assert.rejects(new KubeCluster({ kubeconfig: file }).check(3000), /no Kubernetes API server answers at https:\/\/127\.0\.0\.1:1 .*npx cutover cluster up/);
    assert.ok(Date.now() - started < 5000);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test("Argo's canary example: steps, weights by replicas, promote, abort, retry and completion on the real controller", { skip, timeout: 240_000 }, async () => {
  const platform = new KubernetesPlatform({ timeScale: 1 });
  after(() => platform.close());
  await platform.applyFiles([CANARY]);
  const rollout = platform.rollout('rollouts-demo');
  await rollout.waitFor((s) => s.phase === 'Healthy', 120_000, 'Healthy');
  assert.equal(rollout.status().stableImage, 'argoproj/rollouts-demo:blue');
  const url = platform.serviceUrl('rollouts-demo');
  assert.deepEqual(await colours(url, 10), { blue: 10 });

  await rollout.setImage('argoproj/rollouts-demo:yellow');
  const paused = await rollout.waitFor((s) => s.phase === 'Paused' && s.currentStepIndex === 1, 120_000, 'paused at step 1');
  assert.equal(paused.canaryWeight, 20);
  await rollout.waitFor((s) => s.replicaSets.find((r) => r.role === 'canary')?.replicas === 1, 60_000, 'one canary pod ready');
  // kube-proxy adds the canary pod's endpoint a moment after the ReplicaSet counts it ready.
  const deadline = Date.now() + 15_000;
  while (((await colours(url, 5)).yellow ?? 0) === 0) assert.ok(Date.now() < deadline, 'no answer from the canary pod within 15 s of it being ready');
  // One of five pods is yellow: the Service spreads new connections over all five.
  const split = await colours(url, 100);
  assert.ok((split.yellow ?? 0) >= 5 && (split.yellow ?? 0) <= 45, `yellow answered ${split.yellow ?? 0} of 100 (one pod of five)`);

  await rollout.abort();
  await rollout.waitFor((s) => s.phase === 'Degraded' && s.abort, 60_000, 'Degraded after abort');
  await rollout.waitFor(() => rollout.events.some((e) => e.reason === 'TrafficRestored'), 60_000, 'TrafficRestored (no canary pod left)');
  assert.deepEqual(await colours(url, 20), { blue: 20 });

  await rollout.retry();
  await rollout.waitFor((s) => s.phase === 'Paused' && s.currentStepIndex === 1 && !s.abort, 120_000, 'paused at step 1 again');
  await rollout.promote();
  // The remaining steps pause 10 s each; the rollout completes on its own.
  const done = await rollout.waitFor((s) => s.phase === 'Healthy' && s.stableImage === 'argoproj/rollouts-demo:yellow', 180_000, 'Healthy at yellow');
  assert.equal(done.canaryWeight, 100);
  const weights = rollout.events.filter((e) => e.reason === 'TrafficWeightUpdated').map((e) => e.data?.weight);
  assert.deepEqual(weights.slice(-4), [40, 60, 80, 100], `weights seen: ${weights.join(', ')}`);
  assert.deepEqual(await colours(url, 10), { yellow: 10 });
  assert.ok(platform.logs({ rollout: 'rollouts-demo' }).length > 0, 'pod logs are collected');
});

test("Argo's blue-green example: preview, promotion switches the active Service, undo switches straight back", { skip, timeout: 240_000 }, async () => {
  const platform = new KubernetesPlatform({ timeScale: 1 });
  after(() => platform.close());
  await platform.applyFiles([BLUE_GREEN]);
  const rollout = platform.rollout('rollouts-demo-bluegreen');
  await rollout.waitFor((s) => s.phase === 'Healthy', 120_000, 'Healthy');
  const active = platform.serviceUrl('rollouts-demo-bluegreen-active');
  const preview = platform.serviceUrl('rollouts-demo-bluegreen-preview');
  const first = rollout.status().stableImage.split(':')[1] as string;
  const next = first === 'blue' ? 'green' : 'blue';

  await rollout.setImage(`argoproj/rollouts-demo:${next}`);
  await rollout.waitFor((s) => s.phase === 'Paused' && s.pauseConditions.some((p) => p.reason === 'BlueGreenPause'), 120_000, 'BlueGreenPause');
  assert.deepEqual(await colours(active, 10), { [first]: 10 });
  assert.deepEqual(await colours(preview, 10), { [next]: 10 });

  await rollout.promote();
  await rollout.waitFor((s) => s.phase === 'Healthy' && s.stableImage === `argoproj/rollouts-demo:${next}`, 120_000, `Healthy at ${next}`);
  assert.ok((await untilOnly(active, next, 10_000)) < 10_000);
  assert.deepEqual(await colours(active, 10), { [next]: 10 });

  // Undo within the scale-down delay (30 s): the old stack is still up, so Argo switches back at once, without a pause.
  await rollout.undo();
  await rollout.waitFor((s) => s.phase === 'Healthy' && s.stableImage === `argoproj/rollouts-demo:${first}`, 120_000, `Healthy at ${first} again`);
  await untilOnly(active, first, 10_000);
  assert.deepEqual(await colours(active, 10), { [first]: 10 });
});

test('closing the platform deletes its namespace and everything in it', { skip, timeout: 180_000 }, async () => {
  const platform = new KubernetesPlatform({ timeScale: 1 });
  await platform.applyFiles([CANARY]);
  await platform.rollout('rollouts-demo').waitFor((s) => s.phase === 'Healthy', 120_000, 'Healthy');
  const namespace = platform.namespace;
  await platform.close();
  const cluster = new KubeCluster();
  await assert.rejects(cluster.core.readNamespace({ name: namespace }), (err: Error & { code?: number }) => err.code === 404);
});
