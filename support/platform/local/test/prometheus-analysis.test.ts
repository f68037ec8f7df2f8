// Canary analysis through a real Prometheus, with the templates shipped in
// k8s/analysis: the local platform starts Debian's prometheus, which scrapes
// every replica labelled with its pod-template hash.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { runOpenModelLoad } from '../../../traffic/load.ts';
import { LocalPlatform } from '../platform.ts';
import { PROMETHEUS_INSTALL_HINT, prometheusBinary } from '../prometheus.ts';

const skip = !fs.existsSync(prometheusBinary()) && process.env.CI !== 'true' ? `prometheus is not installed: ${PROMETHEUS_INSTALL_HINT}` : false;
const ANALYSIS = fileURLToPath(new URL('../../../../k8s/analysis/', import.meta.url));
const dir = tempDataDir('prometheus-analysis');
let platform: LocalPlatform | undefined;
after(async () => platform?.close());

const ROLLOUT = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: demo}
spec:
  replicas: 1
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers: [{name: demo, image: "argoproj/rollouts-demo:blue"}]
  strategy:
    canary:
      abortScaleDownDelaySeconds: 0
      analysis:
        templates: [{templateName: success-rate}, {templateName: error-rate}, {templateName: latency}]
        args:
        - {name: canary-hash, valueFrom: {podTemplateHashValue: Latest}}
        - {name: max-p95-seconds, value: "0.5"}
      steps:
      - setWeight: 50
      - pause: {duration: 80}
---
apiVersion: v1
kind: Service
metadata: {name: demo}
spec: {selector: {app: demo}, ports: [{port: 80}]}
`;

test('a healthy canary passes success-rate, error-rate and latency measured by Prometheus; a canary failing half its requests is aborted by them', { skip }, async () => {
  const file = path.join(dir, 'demo.yaml');
  fs.writeFileSync(file, ROLLOUT);
  // Manifest seconds at 1/10: measurements every 3 s after 2 s, an 8 s pause.
  platform = new LocalPlatform({ timeScale: 0.1 });
  await platform.applyFiles([file, ...['success-rate', 'error-rate', 'latency'].map((t) => path.join(ANALYSIS, `${t}.yaml`))]);
  assert.ok(platform.prometheusUrl, 'Prometheus started because a template needs it');
  const demo = platform.rollout('demo');
  const stop = new AbortController();
  const load = runOpenModelLoad({ target: platform.serviceUrl('demo'), ratePerSecond: 200, durationMs: 90_000, request: () => ({ path: '/color' }), signal: stop.signal });
  try {
    await demo.setImage('argoproj/rollouts-demo:yellow');
    const healthy = await demo.waitFor((s) => s.phase === 'Healthy' || s.phase === 'Degraded', 60_000, 'the canary finished');
    const good = platform.runs.at(-1)?.snapshot();
    assert.equal(healthy.phase, 'Healthy', `${healthy.message} ${JSON.stringify(good?.metrics.map((m) => [m.name, m.phase, m.measurements.map((x) => x.value)]))}`);
    const values: Record<string, number[]> = Object.fromEntries(good?.metrics.map((m) => [m.name, m.measurements.filter((x) => x.phase === 'Successful').map((x) => (x.value as number[])[0] as number)]) ?? []);
    assert.ok((values['success-rate'] ?? []).length > 0 && values['success-rate']?.every((v) => v === 1), JSON.stringify(values));
    assert.ok(values['error-rate']?.every((v) => v === 0), JSON.stringify(values));
    assert.ok(values['latency-p95']?.every((v) => v > 0 && v <= 0.5), JSON.stringify(values));

    await demo.setImage('argoproj/rollouts-demo:bad-red');
    const aborted = await demo.waitFor((s) => s.phase === 'Degraded' || s.phase === 'Healthy', 60_000, 'the bad canary aborted');
    assert.equal(aborted.phase, 'Degraded');
    assert.match(aborted.message, /background analysis .* Failed: metric "(success-rate|error-rate)" Failed/);
    const bad = platform.runs.at(-1)?.snapshot();
    const failed = bad?.metrics.find((m) => m.phase === 'Failed');
    const last = failed?.measurements.at(-1)?.value as number[];
    assert.ok(Math.abs((last[0] as number) - 0.5) < 0.1, `half of the canary's /color answers fail: measured ${last[0]}`);
  } finally {
    stop.abort();
    await load;
  }
});
