// Chaos Mesh experiments on the real local platform: real service processes
// behind the real router, a real redis-server as the dependency.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { startRedis } from '../../../services/tinyurl/test/redis.ts';
import { loadManifestText } from '../../manifests/load.ts';
import { processAlive } from '../../platform/local/leftovers.ts';
import { LocalPlatform } from '../../platform/local/platform.ts';
import { CHAOS_KINDS, type ChaosExperiment } from '../model.ts';

const dir = tempDataDir('chaos-manifests');
const platforms: LocalPlatform[] = [];
after(async () => {
  for (const p of platforms) await p.close();
});

async function platform(manifest: string): Promise<LocalPlatform> {
  const p = new LocalPlatform({ timeScale: 0.1, drainTimeoutMs: 2000 });
  platforms.push(p);
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, manifest);
  await p.applyFiles([file]);
  return p;
}

const rollout = (name: string, image: string, env = '') => `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: ${name}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
        readinessProbe: {httpGet: {path: /ready}, periodSeconds: 2, failureThreshold: 1, timeoutSeconds: 1}
${env}
  strategy:
    canary: {steps: [{setWeight: 50}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80}]
`;

function experiment(yaml: string): ChaosExperiment {
  const { documents } = loadManifestText(`apiVersion: chaos-mesh.org/v1alpha1\n${yaml}`, 'chaos/test.yaml', CHAOS_KINDS);
  return documents[0]?.spec as ChaosExperiment;
}

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number; body: string }> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  return { ms: Date.now() - started, status: res.status, body };
}

test('NetworkChaos delay slows every answer of the selected pods for its duration (scaled), then reverts by itself', async () => {
  const p = await platform(rollout('demo', 'argoproj/rollouts-demo:blue'));
  const url = p.serviceUrl('demo');
  const before = await timed(`${url}/color`);
  assert.equal(before.status, 200);
  const injection = await p.injectChaos(
    experiment('kind: NetworkChaos\nmetadata: {name: slow}\nspec: {action: delay, mode: all, selector: {labelSelectors: {app: demo}}, delay: {latency: 200ms}, duration: 20s}'),
  );
  assert.equal(injection.targets.length, 2);
  for (let i = 0; i < 4; i++) {
    const r = await timed(`${url}/color`);
    assert.equal(r.status, 200);
    assert.ok(r.ms >= 195, `answer ${i} took ${r.ms} ms under a 200 ms delay`);
  }
  // 20 s at time scale 0.1 is 2 s.
  const ended = await injection.ended;
  assert.ok(ended - injection.injectedAt >= 1900 && ended - injection.injectedAt < 4000, `reverted after ${ended - injection.injectedAt} ms`);
  const afterRevert = await timed(`${url}/color`);
  assert.ok(afterRevert.ms < 150, `answer after the revert took ${afterRevert.ms} ms`);
  assert.ok(p.events.some((e) => e.reason === 'ChaosRecovered' && e.source === 'chaos/slow'));
});

test('PodChaos pod-failure: the pod stops answering and leaves its Service while the other serves; it is back after the duration', async () => {
  const p = await platform(rollout('demo', 'argoproj/rollouts-demo:blue'));
  const injection = await p.injectChaos(experiment('kind: PodChaos\nmetadata: {name: freeze}\nspec: {action: pod-failure, mode: one, selector: {labelSelectors: {app: demo}}, duration: 30s}'), () => 0);
  const [frozen] = injection.targets;
  const state = () => p.pods().find((x) => x.name === frozen)?.ready;
  const deadline = Date.now() + 3000;
  while (state() !== false && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(state(), false, 'the frozen pod should fail its readiness probe');
  for (let i = 0; i < 10; i++) assert.equal((await timed(`${p.serviceUrl('demo')}/color`)).status, 200);
  await injection.ended;
  const back = Date.now() + 5000;
  while (state() !== true && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
  assert.equal(state(), true, 'the pod should be ready again after SIGCONT');
  assert.equal(p.pods().find((x) => x.name === frozen)?.restarts, 0, 'pod-failure does not restart the pod');
});

test('NetworkChaos partition from an external Redis: TinyURL answers from SQLite, every link resolves to its own URL, the cache works again after', async () => {
  const redis = await startRedis();
  after(() => redis.stop());
  const env = '        env: [{name: REDIS_URL, value: "redis://redis:6379"}, {name: RATE_LIMIT_PER_MINUTE, value: "0"}]';
  const p = new LocalPlatform({ timeScale: 0.1, drainTimeoutMs: 2000 });
  platforms.push(p);
  p.addExternal('redis', redis.url);
  const file = path.join(dir, 'tinyurl-redis.yaml');
  fs.writeFileSync(file, rollout('tinyurl', 'cutover/tinyurl:v1', env));
  await p.applyFiles([file]);
  const url = p.serviceUrl('tinyurl');
  const shorten = async (target: string) => JSON.parse((await timed(`${url}/shorten`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: target }) })).body) as { code: string };
  const links = await Promise.all(Array.from({ length: 5 }, (_, i) => shorten(`http://127.0.0.1/chaos/${i}`)));
  const resolve = async (code: string) => {
    const res = await fetch(`${url}/${code}`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.headers.get('location');
  };
  for (const [i, l] of links.entries()) assert.equal(await resolve(l.code), `http://127.0.0.1/chaos/${i}`);

  const injection = await p.injectChaos(
    experiment('kind: NetworkChaos\nmetadata: {name: cut-redis}\nspec: {action: partition, mode: all, direction: to, externalTargets: [redis], selector: {labelSelectors: {app: tinyurl}}}'),
  );
  for (const [i, l] of links.entries()) assert.equal(await resolve(l.code), `http://127.0.0.1/chaos/${i}`, 'a redirect during the partition must still be right');
  const cacheStats = () => Promise.all(Array.from({ length: 6 }, async () => JSON.parse((await timed(`${url}/api/cache`)).body) as { hits: number; errors: number }));
  const during = await cacheStats();
  assert.ok(during.some((c) => c.errors > 0), `the cache should have timed out during the partition: ${JSON.stringify(during)}`);
  await injection.revert();
  assert.ok(injection.revertedAt !== undefined);
  const hitsDuring = Math.max(...during.map((c) => c.hits));
  let hitsAfter = hitsDuring;
  for (const deadline = Date.now() + 5000; hitsAfter <= hitsDuring && Date.now() < deadline; ) {
    for (const [i, l] of links.entries()) assert.equal(await resolve(l.code), `http://127.0.0.1/chaos/${i}`);
    hitsAfter = Math.max(...(await cacheStats()).map((c) => c.hits));
  }
  assert.ok(hitsAfter > hitsDuring, `the cache should answer again once the partition heals (hits ${hitsDuring} → ${hitsAfter})`);
});

test('StressChaos starts CPU and memory burners for the selected pods and stops them at the revert', async () => {
  const p = await platform(rollout('demo', 'argoproj/rollouts-demo:blue'));
  const injection = await p.injectChaos(
    experiment('kind: StressChaos\nmetadata: {name: burn}\nspec: {mode: one, selector: {labelSelectors: {app: demo}}, stressors: {cpu: {workers: 1, load: 20}, memory: {size: 16MB}}}'),
  );
  const pids = p.events.filter((e) => e.reason === 'ChaosInjected' && /burner pid (\d+)/.test(e.message)).map((e) => Number(/burner pid (\d+)/.exec(e.message)?.[1]));
  assert.equal(pids.length, 2);
  assert.ok(pids.every(processAlive));
  await injection.revert();
  assert.ok(pids.every((pid) => !processAlive(pid)), 'the burners should be gone after the revert');
});

test('bad experiments for this platform fail with what to do instead', async () => {
  const p = await platform(rollout('demo', 'argoproj/rollouts-demo:blue'));
  await assert.rejects(
    p.injectChaos(experiment('kind: NetworkChaos\nmetadata: {name: x}\nspec: {action: partition, mode: all, externalTargets: [db], selector: {labelSelectors: {app: demo}}}')),
    /pod demo-\w+-\w+ does not reach an external "db" \(no external is registered/,
  );
  await assert.rejects(
    p.injectChaos(
      experiment('kind: NetworkChaos\nmetadata: {name: x}\nspec: {action: partition, mode: all, target: {mode: all, selector: {labelSelectors: {app: db}}}, selector: {labelSelectors: {app: demo}}}'),
    ),
    /spec\.target .* is not injected on the local platform/,
  );
  await assert.rejects(p.injectChaos(experiment('kind: PodChaos\nmetadata: {name: x}\nspec: {action: pod-kill, mode: all, selector: {labelSelectors: {app: nothing}}}')), /no pod matches/);
});
