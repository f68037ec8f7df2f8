import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { parseDuration } from '../duration.ts';
import { CUTOVER_KINDS } from '../kinds.ts';
import { loadManifestFiles, loadManifestText, ManifestError } from '../load.ts';
import { outlierDetectionOf, type Service } from '../service.ts';

const load = (text: string) => loadManifestText(text, 'test.yaml', CUTOVER_KINDS);

const rollout = (strategy: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: cutover/tinyurl:v1
${extra}  strategy:
${strategy}`;

function problems(text: string): string {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ManifestError);
    return err.message;
  }
  assert.fail('expected a ManifestError');
}

test("Argo's published canary example loads with Argo's defaults", () => {
  const { documents, ignored } = loadManifestFiles(['k8s/examples/rollouts-demo-canary.yaml'], CUTOVER_KINDS);
  assert.deepEqual(documents.map((d) => `${d.kind}/${d.name}`), ['Rollout/rollouts-demo', 'Service/rollouts-demo']);
  const r = documents[0]?.spec as any;
  assert.equal(r.spec.replicas, 5);
  assert.equal(r.spec.strategy.canary.maxSurge, '25%');
  assert.equal(r.spec.strategy.canary.abortScaleDownDelaySeconds, 30);
  assert.equal(r.spec.progressDeadlineSeconds, 600);
  assert.deepEqual(r.spec.strategy.canary.steps[1], { pause: {} });
  assert.deepEqual(ignored, []);
  // Requests and limits are read as Kubernetes quantities: bytes and millicores.
  assert.deepEqual(r.spec.template.spec.containers[0].resources, { requests: { memory: 32 * 2 ** 20, cpu: 5 } });
  assert.equal(documents[1]?.where.line, 41);
});

test('blue-green defaults', () => {
  const { documents } = load(rollout('    blueGreen:\n      activeService: web-active\n      previewService: web-preview\n'));
  const bg = (documents[0]?.spec as any).spec.strategy.blueGreen;
  assert.deepEqual(
    { auto: bg.autoPromotionEnabled, delay: bg.scaleDownDelaySeconds, abort: bg.abortScaleDownDelaySeconds },
    { auto: true, delay: 30, abort: 30 },
  );
});

test('a bad field names the file, line, document, path and what was expected', () => {
  const message = problems(rollout('    canary:\n      steps:\n      - setWeight: 10\n      - setWeight: 150\n'));
  assert.match(message, /^test\.yaml:19 \(document 1\) spec\.strategy\.canary\.steps\[1\]\.setWeight: Too big: expected number to be <=100/);
});

test('a second document is counted as such', () => {
  const message = problems(`apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: B_bad}\nspec: {ports: []}\n`);
  assert.match(message, /test\.yaml:8 \(document 2\) metadata\.name: expected a DNS-1123 name/);
  assert.match(message, /test\.yaml:9 \(document 2\) spec\.ports: expected at least one port/);
});

test('strategy, steps and providers must be exactly one of their kinds', () => {
  assert.match(problems(rollout('    {}\n')), /spec\.strategy: expected exactly one of strategy\.canary or strategy\.blueGreen/);
  assert.match(problems(rollout('    canary:\n      steps:\n      - {setWeight: 10, pause: {}}\n')), /steps\[0\]: expected exactly one of setWeight, pause/);
  assert.match(problems(rollout('    canary:\n      steps:\n      - pause: {duration: soon}\n')), /steps\[0\]\.pause\.duration: expected a duration such as 30s/);
  assert.match(problems(rollout('    canary: {}\n', '  workloadRef: {kind: Deployment}\n')), /workloadRef is not supported/);
  const template = (provider: string) => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  metrics:
  - name: m
    provider:
${provider}`;
  assert.match(problems(template('      datadog: {query: x}\n')), /provider datadog is not supported by cutover/);
  assert.match(problems(template('      {}\n')), /expected exactly one provider/);
  assert.match(problems(template('      web: {url: "http://x"}\n      prometheus: {address: a, query: b}\n')), /expected exactly one provider/);
  assert.match(problems(template("      web: {url: 'http://x'}\n    count: many\n")), /count: expected an integer or "\{\{args.name\}\}"/);
});

test('fields cutover recognises but cannot honour, unknown fields and other kinds are reported, not dropped silently', () => {
  const { documents, ignored } = load(
    rollout('    canary:\n      trafficRouting: {istio: {}}\n      steps:\n      - setHeaderRoute: {name: h}\n      - setWeight: 50\n', '  nodeSelector: {disk: ssd}\n') +
      '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n',
  );
  assert.equal(documents.length, 1);
  const reasons = Object.fromEntries(ignored.map((i) => [i.path, i.reason]));
  assert.match(reasons['spec.strategy.canary.trafficRouting'] ?? '', /split by the cutover router by weight/);
  assert.match(reasons['spec.strategy.canary.steps[0].setHeaderRoute'] ?? '', /traffic router plugin/);
  assert.match(reasons['spec.nodeSelector'] ?? '', /Rollout field not used/);
  assert.match(reasons.kind ?? '', /kind Deployment is not run locally/);
});

test('YAML syntax errors, non-mappings and missing kinds', () => {
  assert.match(problems('a: [1, 2\n'), /test\.yaml:\d+ \(document 1\): invalid YAML/);
  assert.match(problems('- just a list\n'), /expected a mapping with apiVersion, kind/);
  assert.match(problems('apiVersion: v1\n'), /kind: expected one of Rollout, AnalysisTemplate, ClusterAnalysisTemplate, Service/);
  assert.deepEqual(load('---\n---\n').documents, []);
});

test('several files: every problem of every file at once; unreadable files named', () => {
  const dir = tempDataDir('manifests');
  fs.writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0}]}\n');
  assert.throws(
    () => loadManifestFiles([path.join(dir, 'a.yaml'), path.join(dir, 'missing.yaml')], CUTOVER_KINDS),
    (err: Error) => /a\.yaml:4 \(document 1\) spec\.ports\[0\]\.port/.test(err.message) && /missing\.yaml \(document 1\): cannot read: ENOENT/.test(err.message),
  );
});

test('a directory is every .yaml and .yml file in it, in name order, as kubectl apply -f reads it; one with none is an error', () => {
  const dir = tempDataDir('manifest-dir');
  const service = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`;
  fs.writeFileSync(path.join(dir, 'b.yml'), service('b'));
  fs.writeFileSync(path.join(dir, 'a.yaml'), service('a'));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
  assert.deepEqual(loadManifestFiles([dir], CUTOVER_KINDS).documents.map((d) => d.name), ['a', 'b']);
  const empty = tempDataDir('manifest-empty');
  assert.throws(() => loadManifestFiles([empty], CUTOVER_KINDS), /manifest-empty-\w+ \(document 1\): no \.yaml or \.yml file there/);
});

test('durations: Go style, bare seconds, and refusals', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration(10), 10_000);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration('100us'), 0.1);
  assert.equal(parseDuration('5 minutes'), undefined);
  assert.equal(parseDuration(-1), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('a Service turns on outlier detection by annotation: defaults filled, times in milliseconds; a bad policy names the line, the annotation and the field', () => {
  const service = (policy: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    cutover.dev/outlier-detection: "${policy}"\nspec: {ports: [{port: 80}]}\n`;
  const [doc] = load(service('{consecutive5xxErrors: 3, baseEjectionTime: 10s}')).documents;
  assert.deepEqual(outlierDetectionOf(doc?.spec as Service), { consecutiveFailures: 3, baseEjectionMs: 10_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 });
  assert.deepEqual(outlierDetectionOf(load(service('')).documents[0]?.spec as Service), { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 });
  assert.equal(outlierDetectionOf(load(service('{}').replace(/ {2}annotations:\n.*\n/, '')).documents[0]?.spec as Service), undefined);
  assert.match(problems(service('{consecutive5xxErrors: 0}')), /^test\.yaml:6 \(document 1\) metadata\.annotations\.cutover\.dev\/outlier-detection: consecutive5xxErrors: expected a whole number of failures in a row, at least 1/);
  assert.match(problems(service('{baseEjectionTime: soon}')), /outlier-detection: baseEjectionTime: expected a duration such as 30s/);
  assert.match(problems(service('{maxEjectionPercent: 150}')), /maxEjectionPercent: expected a percentage from 0 to 100/);
  assert.match(problems(service('{interval: 10s}')), /unknown field\(s\) interval: expected a YAML mapping such as/);
  assert.match(problems(service('5')), /outlier-detection: expected a YAML mapping such as/);
});
