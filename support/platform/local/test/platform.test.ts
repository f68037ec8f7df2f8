// The local platform end to end: real demo-service processes behind the real
// router, driven by the rollout controller, under open-model load of at least
// 200 requests per second, with every request counted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { runOpenModelLoad, type LoadResult } from '../../../traffic/load.ts';
import { LocalPlatform } from '../platform.ts';
import { demoBlueGreen, demoCanary } from './demo-manifests.ts';

// Manifest seconds run at 1/50: a 10 s pause takes 200 ms.
const SCALE = 0.02;
const RATE = 200;
const dir = tempDataDir('platform-manifests');
const platforms: LocalPlatform[] = [];
after(async () => {
  for (const p of platforms) await p.close();
});

function manifest(name: string, text: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

async function platform(): Promise<LocalPlatform> {
  const p = new LocalPlatform({ timeScale: SCALE, drainTimeoutMs: 5000 });
  platforms.push(p);
  return p;
}

/** Load on a Service until stopped (bounded at 60 s), counting every request. */
function loadUntilStopped(url: string, pathName = '/color') {
  const stop = new AbortController();
  const result = runOpenModelLoad({ target: url, ratePerSecond: RATE, durationMs: 60_000, request: () => ({ path: pathName }), signal: stop.signal, timeoutMs: 5000 });
  return { stop: async (): Promise<LoadResult> => (stop.abort(), result) };
}

const CANARY = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers:
      - name: demo
        image: argoproj/rollouts-demo:blue
        ports: [{containerPort: 8080}]
  strategy:
    canary:
      canaryService: demo-canary
      stableService: demo-stable
      abortScaleDownDelaySeconds: 10
      steps:
      - setWeight: 25
      - pause: {}
      - setWeight: 50
      - pause: {duration: 10}
      - analysis:
          templates: [{templateName: canary-answers}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: canary-answers}
spec:
  metrics:
  - name: color
    interval: 5s
    count: 3
    consecutiveErrorLimit: 0
    successCondition: len(result) > 0
    provider:
      web:
        url: http://demo-canary.default.svc.cluster.local/color
---
apiVersion: v1
kind: Service
metadata: {name: demo}
spec:
  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: demo-canary}
spec:
  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: demo-stable}
spec:
  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
`;

test('a healthy canary under 200 req/s: exact weights while paused, analysis through the canary Service, promoted with zero failed requests', async () => {
  const p = await platform();
  await p.applyFiles([manifest('canary', CANARY)]);
  const demo = p.rollout('demo');
  assert.equal(demo.status().phase, 'Healthy');
  const url = p.serviceUrl('demo');
  const load = loadUntilStopped(url);
  await demo.setImage('argoproj/rollouts-demo:yellow');
  await demo.waitFor((s) => s.phase === 'Paused' && s.canaryWeight === 25, 60_000, 'paused at weight 25');
  // While paused at 25%, an exact quarter of the router's requests in any window reach the canary
  // (smooth weighted round-robin: off by at most one request, whichever client sent them).
  const byGroup = () => Object.fromEntries(['stable', 'canary'].map((g) => [g, p.router('demo').stats().backends.filter((b) => b.group === g).reduce((n, b) => n + b.requests, 0)]));
  const before = byGroup();
  const window = await runOpenModelLoad({ target: url, ratePerSecond: RATE, durationMs: 2000, request: () => ({ path: '/color' }) });
  const afterWindow = byGroup();
  assert.equal(window.failed, 0);
  const canaryShare = (afterWindow.canary as number) - (before.canary as number);
  const total = canaryShare + (afterWindow.stable as number) - (before.stable as number);
  assert.ok(Math.abs(canaryShare - total / 4) <= 1, `canary got ${canaryShare} of ${total}`);
  const canaryOnly = await runOpenModelLoad({ target: p.serviceUrl('demo-canary'), ratePerSecond: 50, durationMs: 400, request: () => ({ path: '/color' }) });
  assert.deepEqual(Object.keys(canaryOnly.versions), ['yellow']);
  demo.promote();
  const done = await demo.waitFor((s) => s.phase === 'Healthy', 60_000, 'Healthy');
  const during = await load.stop();
  assert.equal(done.stableImage, 'argoproj/rollouts-demo:yellow');
  assert.ok(during.sent >= RATE * 3, `load ran through the rollout (${during.sent} requests)`);
  assert.equal(during.failed, 0, JSON.stringify({ statuses: during.statuses, errors: during.errors }));
  assert.equal(during.completed, during.sent);
  assert.ok((during.versions.blue ?? 0) > 0 && (during.versions.yellow ?? 0) > 0);
  const run = p.runs.at(-1)?.snapshot();
  assert.equal(run?.phase, 'Successful');
  assert.deepEqual(run?.metrics[0]?.measurements.map((m) => m.value), ['yellow', 'yellow', 'yellow']);
  const weights = demo.events.filter((e) => e.reason === 'TrafficWeightUpdated').map((e) => e.data?.weight);
  assert.deepEqual(weights, [25, 50, 100]);
  const after = await runOpenModelLoad({ target: url, ratePerSecond: RATE, durationMs: 1000, request: () => ({ path: '/color' }) });
  assert.deepEqual(after.versions, { yellow: after.completed });
});

test('a canary whose analysis fails is aborted: afterwards 100% of new requests go to stable, and the canary pods go after the abort delay', async () => {
  const p = await platform();
  await p.applyFiles([manifest('canary-bad', CANARY)]);
  const demo = p.rollout('demo');
  await demo.setImage('argoproj/rollouts-demo:bad-red');
  await demo.waitFor((s) => s.phase === 'Paused', 60_000, 'paused at weight 25');
  demo.promote();
  const s = await demo.waitFor((x) => x.phase === 'Degraded', 60_000, 'Degraded');
  assert.match(s.message, /RolloutAborted: .*metric "color" Error/);
  const aborted = demo.events.find((e) => e.reason === 'RolloutAborted');
  const restored = demo.events.find((e) => e.reason === 'TrafficRestored');
  assert.ok(aborted && restored);
  assert.ok(Date.parse(restored.at) - Date.parse(aborted.at) < 5000, 'traffic back on stable within 5 s of the abort');
  assert.ok(p.replicas('demo').some((r) => r.image.endsWith('bad-red')), 'kept during abortScaleDownDelaySeconds');
  const after = await runOpenModelLoad({ target: p.serviceUrl('demo'), ratePerSecond: RATE, durationMs: 1000, request: () => ({ path: '/color' }) });
  assert.equal(after.failed, 0);
  assert.deepEqual(after.versions, { blue: after.completed });
  await demo.waitFor(() => !p.replicas('demo').some((r) => r.image.endsWith('bad-red')), 10_000, 'the canary scaled down');
});

const BLUE_GREEN = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bg}
spec:
  replicas: 2
  selector: {matchLabels: {app: bg}}
  template:
    metadata: {labels: {app: bg}}
    spec:
      containers:
      - name: demo
        image: argoproj/rollouts-demo:blue
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
  strategy:
    blueGreen:
      activeService: bg-active
      previewService: bg-preview
      autoPromotionEnabled: false
      scaleDownDelaySeconds: 10
      prePromotionAnalysis:
        templates: [{templateName: smoke}]
        args: [{name: host, value: bg-preview}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  args: [{name: host}]
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: check
                image: alpine:3.19
                command: [node, -e]
                args: ["fetch('http://{{args.host}}/color').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(2))"]
---
apiVersion: v1
kind: Service
metadata: {name: bg-active}
spec: {selector: {app: bg}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bg-preview}
spec: {selector: {app: bg}, ports: [{port: 80}]}
`;

test('blue-green under 200 req/s: preview checked by a job, manual promotion, zero failed requests across the switch', async () => {
  const p = await platform();
  await p.applyFiles([manifest('bg', BLUE_GREEN)]);
  const bg = p.rollout('bg');
  const load = loadUntilStopped(p.serviceUrl('bg-active'));
  await bg.setImage('argoproj/rollouts-demo:green');
  const paused = await bg.waitFor((s) => s.phase === 'Paused', 60_000, 'paused before promotion');
  assert.deepEqual(paused.analysisRuns.map((r) => [r.kind, r.phase]), [['prePromotion', 'Successful']]);
  const preview = await runOpenModelLoad({ target: p.serviceUrl('bg-preview'), ratePerSecond: 50, durationMs: 400, request: () => ({ path: '/color' }) });
  assert.deepEqual(Object.keys(preview.versions), ['green']);
  bg.promote();
  await bg.waitFor((s) => s.phase === 'Healthy', 60_000, 'Healthy');
  // Keep the load on a little after the switch, then count.
  await new Promise((r) => setTimeout(r, 500));
  const during = await load.stop();
  assert.equal(during.failed, 0, JSON.stringify({ statuses: during.statuses, errors: during.errors }));
  assert.equal(during.completed, during.sent);
  assert.ok((during.versions.blue ?? 0) > 0 && (during.versions.green ?? 0) > 0, JSON.stringify(during.versions));
  const switchAt = Date.parse(bg.events.find((e) => e.reason === 'SwitchService')?.at ?? '');
  assert.ok(Number.isFinite(switchAt));
  // The old stack stays for scaleDownDelaySeconds (10 s × 0.02), then goes.
  await bg.waitFor(() => p.replicas('bg').every((r) => r.image.endsWith(':green')), 10_000, 'the blue stack scaled down');
});

test('bad input: a Rollout naming a Service that was not applied, an image with no local runnable, and a missing template are reported clearly', async () => {
  const p = await platform();
  const noService = CANARY.split('---').slice(0, 2).join('---');
  await assert.rejects(p.applyFiles([manifest('no-service', noService)]), /rollout demo names Service "demo-canary", which is not among the applied manifests/);
  const q = await platform();
  await assert.rejects(q.applyFiles([manifest('bad-image', CANARY.replace('argoproj/rollouts-demo:blue', 'registry.example.com/shop:v1'))]), /no local runnable for image "registry.example.com\/shop:v1"/);
  const r = await platform();
  await r.applyFiles([manifest('no-template', CANARY.replace('templateName: canary-answers', 'templateName: nowhere').replace('steps:', 'steps:\n      - analysis: {templates: [{templateName: nowhere}]}'))]);
  const demo = r.rollout('demo');
  await demo.setImage('argoproj/rollouts-demo:green');
  const s = await demo.waitFor((x) => x.phase === 'Degraded', 30_000, 'Degraded');
  assert.match(s.message, /not applied: AnalysisTemplate nowhere/);
  assert.throws(() => r.rollout('nope'), /no rollout "nope" on the local platform \(rollouts: demo\)/);
  assert.throws(() => r.serviceUrl('nope'), /no Service "nope"/);
});

test('the rollouts-demo examples in k8s/examples run unchanged: blue-green with its manual gate, canary with a job step analysis and a background web metric', async () => {
  const examples = new URL('../../../../k8s/examples/', import.meta.url).pathname;
  const p = await platform();
  await p.applyFiles([path.join(examples, 'rollouts-demo-bluegreen.yaml'), path.join(examples, 'rollouts-demo-analysis.yaml')]);
  const bg = p.rollout('rollouts-demo-bluegreen');
  await bg.setImage('argoproj/rollouts-demo:green');
  await bg.waitFor((s) => s.phase === 'Paused', 60_000, 'the manual gate');
  bg.promote();
  const promoted = await bg.waitFor((s) => s.phase === 'Healthy', 60_000, 'Healthy');
  assert.equal(promoted.activeSelector, promoted.currentPodHash);
  const active = await runOpenModelLoad({ target: p.serviceUrl('rollouts-demo-bluegreen-active'), ratePerSecond: 50, durationMs: 400, request: () => ({ path: '/color' }) });
  assert.deepEqual(Object.keys(active.versions), ['green']);

  const canary = p.rollout('rollouts-demo-analysis');
  await canary.setImage('argoproj/rollouts-demo:purple');
  const end = await canary.waitFor((s) => s.phase === 'Healthy' || s.phase === 'Degraded', 60_000, 'the canary finished');
  // The job flips a coin twice and tolerates one failure: the verdict must follow what it measured.
  const step = p.runs.find((r) => r.name.includes('-step'))?.snapshot();
  const flips = step?.metrics[0]?.measurements.map((m) => m.phase) ?? [];
  const failures = flips.filter((f) => f === 'Failed').length;
  assert.equal(end.phase, failures > 1 ? 'Degraded' : 'Healthy', `flips ${flips.join(', ')}: ${end.message}`);
  const background = p.runs.find((r) => r.name.includes('-background'))?.snapshot();
  // It starts with the update, when the canary Service still points at stable (as Argo does), so it may see blue first.
  const seen = background?.metrics[0]?.measurements ?? [];
  assert.ok(seen.length > 0 && seen.every((m) => m.phase === 'Successful' && (m.value === 'purple' || m.value === 'blue')), JSON.stringify(seen));
  if (end.phase === 'Healthy') assert.ok(seen.some((m) => m.value === 'purple'), JSON.stringify(seen));
});

test('a scale-down drains what is in flight and says so: Draining with the count, then Drained with the time; no request fails', async () => {
  const p = await platform();
  await p.applyFiles([manifest('drain', demoBlueGreen('drain', { image: 'argoproj/rollouts-demo:slow-blue', blueGreen: 'autoPromotionEnabled: true, scaleDownDelaySeconds: 0' }))]);
  // Every request takes a second (slow-*): some are always in flight on the old stack when it goes.
  const stop = new AbortController();
  const load = runOpenModelLoad({ target: p.serviceUrl('drain'), ratePerSecond: 20, durationMs: 30_000, request: () => ({ path: '/color' }), signal: stop.signal, timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 1500));
  await p.rollout('drain').setImage('argoproj/rollouts-demo:slow-green');
  await p.rollout('drain').waitFor((s) => s.phase === 'Healthy' && s.stableImage === 'argoproj/rollouts-demo:slow-green', 30_000, 'Healthy on green');
  const ended = () => p.events.find((e) => e.source === 'rollout/drain' && (e.reason === 'Drained' || e.reason === 'DrainTimeout'));
  for (let i = 0; i < 100 && ended() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  const result = await load;
  const draining = p.events.find((e) => e.source === 'rollout/drain' && e.reason === 'Draining');
  assert.match(draining?.message ?? '', /^1 replica\(s\) of revision 1 \(argoproj\/rollouts-demo:slow-blue\): [1-9]\d* request\(s\) or WebSocket\(s\) in flight$/);
  assert.equal(ended()?.reason, 'Drained', ended()?.message);
  assert.match(ended()?.message ?? '', /drained in \d+ ms/);
  assert.equal(result.failed, 0, `${result.failed} of ${result.sent} requests failed: ${JSON.stringify(result.errors)}`);
});

test('three applications rolled out at the same time on one platform: each update goes its own way, each Service answers only from its own pods', async () => {
  const p = await platform();
  const apps = ['alpha', 'beta', 'gamma'];
  const colours: Record<string, [string, string]> = { alpha: ['blue', 'green'], beta: ['red', 'yellow'], gamma: ['orange', 'purple'] };
  await p.applyFiles(apps.map((app) => manifest(`multi-${app}`, demoCanary(app, { replicas: 2, image: `argoproj/rollouts-demo:${colours[app]?.[0]}`, steps: '[{setWeight: 50}, {pause: {duration: 20}}, {setWeight: 100}]' }))));
  const colourOf = async (app: string) => (await (await fetch(`${p.serviceUrl(app)}/color`)).json()) as string;
  for (const app of apps) assert.equal(await colourOf(app), colours[app]?.[0]);
  // All three updates at once; beta is set twice while in flight: the later image wins, the earlier is abandoned.
  await Promise.all([
    p.rollout('alpha').setImage(`argoproj/rollouts-demo:${colours.alpha?.[1]}`),
    p.rollout('beta').setImage('argoproj/rollouts-demo:orange'),
    p.rollout('gamma').setImage(`argoproj/rollouts-demo:${colours.gamma?.[1]}`),
  ]);
  await p.rollout('beta').setImage(`argoproj/rollouts-demo:${colours.beta?.[1]}`);
  const seen = new Map<string, Set<string>>(apps.map((a) => [a, new Set()]));
  const done = await Promise.all(
    apps.map(async (app) => {
      // While it moves, its Service only ever answers with its own old or new colour (or beta's abandoned orange).
      const watching = (async () => {
        for (let i = 0; i < 200 && p.rollout(app).status().phase !== 'Healthy'; i++) {
          seen.get(app)?.add(await colourOf(app));
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const s = await p.rollout(app).waitFor((x) => x.phase === 'Healthy', 60_000, `${app} Healthy`);
      await watching;
      return s;
    }),
  );
  for (const [i, app] of apps.entries()) {
    assert.equal(done[i]?.stableImage, `argoproj/rollouts-demo:${colours[app]?.[1]}`, app);
    assert.equal(await colourOf(app), colours[app]?.[1]);
    const allowed = new Set([...(colours[app] ?? []), ...(app === 'beta' ? ['orange'] : [])]);
    assert.deepEqual([...(seen.get(app) ?? [])].filter((c) => !allowed.has(c)), [], `${app} answered with another application's colour`);
  }
  assert.equal(done[1]?.revision, 3, 'beta: the abandoned orange was revision 2');
});

/** A port of the node port range nothing listens on now. */
async function freeNodePort(): Promise<number> {
  const net = await import('node:net');
  for (let tries = 0; tries < 50; tries++) {
    const port = 30000 + Math.floor(Math.random() * 2768);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 30000-32767');
}

const nodePortService = (name: string, nodePort: number) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  type: NodePort\n  selector: {app: ${name}}\n  ports: [{port: 80, nodePort: ${nodePort}}]\n`;

test('NodePort Services listen on their own nodePorts; one already allocated, or held by another program, is refused by name; close frees them', async (t) => {
  const net = await import('node:net');
  const platform = new LocalPlatform({ timeScale: 0.05, dataDir: path.join(dir, 'nodeports') });
  t.after(() => platform.close());
  const [a, b] = [await freeNodePort(), await freeNodePort()];
  const file = (name: string, text: string) => {
    const f = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(f, text);
    return f;
  };
  await platform.applyFiles([file('two-services', `${nodePortService('alpha', a)}---\n${nodePortService('beta', b)}`)]);
  assert.equal(platform.serviceUrl('alpha'), `http://127.0.0.1:${a}`);
  assert.equal(platform.serviceUrl('beta'), `http://127.0.0.1:${b}`);
  const answer = await fetch(`http://127.0.0.1:${a}/`);
  assert.equal(answer.status, 503, 'alpha answers on its nodePort: no ready pod yet');
  assert.match(await answer.text(), /alpha/);
  await assert.rejects(platform.applyFiles([file('same-port', nodePortService('gamma', a))]), new RegExp(`Service gamma: nodePort ${a} is already allocated to Service alpha`));
  const held = net.createServer();
  const c = await freeNodePort();
  await new Promise<void>((r) => held.listen(c, '127.0.0.1', () => r()));
  t.after(() => held.close());
  await assert.rejects(platform.applyFiles([file('held-port', nodePortService('delta', c))]), new RegExp(`Service delta: nodePort ${c} on 127.0.0.1 is taken by another program`));
  await assert.rejects(platform.applyFiles([file('moved', nodePortService('alpha', a === 30000 ? 30001 : a - 1))]), /Service alpha: its nodePort cannot change from \d+ to \d+ while it runs/);
  await platform.close();
  for (const port of [a, b]) {
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject);
      s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  }
});

test("a Service's outlier-detection annotation becomes its router's circuit breaker; applied again without it, the breaker is off", async (t) => {
  const platform = new LocalPlatform({ timeScale: 0.05, dataDir: path.join(dir, 'outliers') });
  t.after(() => platform.close());
  const file = (name: string, annotations: string) => {
    const f = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(f, `apiVersion: v1\nkind: Service\nmetadata: {name: guarded, annotations: {${annotations}}}\nspec: {selector: {app: guarded}, ports: [{port: 80}]}\n`);
    return f;
  };
  await platform.applyFiles([file('guarded', '"cutover.dev/outlier-detection": "{consecutive5xxErrors: 2, baseEjectionTime: 5s}"')]);
  assert.deepEqual(platform.router('guarded').stats().outlierDetection, { consecutiveFailures: 2, baseEjectionMs: 5000, maxEjectionMs: 300_000, maxEjectionPercent: 50 });
  await platform.applyFiles([file('unguarded', '')]);
  assert.equal(platform.router('guarded').stats().outlierDetection, undefined);
});
