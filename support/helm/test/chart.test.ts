// The chart in k8s/helm/ as helm renders it (skipped where helm is not built,
// except in CI, where .ci/run builds it from its Go module before npm test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { HelmCli, helmBinary } from '../cli.ts';

const binary = helmBinary();
const skip = binary === undefined && !process.env.CI ? 'helm is not built (GOTOOLCHAIN=go1.27.3 go install helm.sh/helm/v4/cmd/helm@v4.3.2)' : false;
const chart = 'k8s/helm/monitoring-web-service';
const values = [`${chart}/values-prod.yaml`, 'k8s/helm/values-single-node.yaml'];

const render = (set: Record<string, string>) =>
  new HelmCli({ cwd: process.cwd(), log: () => undefined, ...(binary ? { binary } : {}) }).template({ release: 'mws-blue', chart, namespace: 'ns', valuesFiles: values, set });

test('the chart renders every object of the spec, and each pod spec meets the restricted pod security standard', { skip }, async () => {
  const docs = parseAllDocuments(await render({ 'persistence.existingClaim': 'shared' })).map((d) => d.toJS()).filter(Boolean);
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, ['Deployment', 'HorizontalPodAutoscaler', 'Job', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
  for (const workload of docs.filter((d) => d.kind === 'Deployment' || d.kind === 'Job')) {
    const pod = workload.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true, workload.kind);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', workload.kind);
    for (const c of pod.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.ok(c.resources.limits.cpu && c.resources.limits.memory);
    }
    assert.deepEqual(pod.volumes.map((v: Record<string, unknown>) => Object.keys(v).filter((k) => k !== 'name')[0]), ['persistentVolumeClaim', 'emptyDir']);
  }
  const job = docs.find((d) => d.kind === 'Job');
  assert.equal(job.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
  assert.deepEqual(job.spec.template.spec.containers[0].command, ['node', 'services/run.js', 'metrics', 'migrate']);
  const deployment = docs.find((d) => d.kind === 'Deployment');
  assert.equal(deployment.spec.replicas, 3);
  assert.ok(deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.length === 2, 'single-node values: spread where nodes allow');
});

test('production values require one pod per node', { skip }, async () => {
  const docs = parseAllDocuments(await render({ 'persistence.existingClaim': 'shared', antiAffinity: 'required' })).map((d) => d.toJS()).filter(Boolean);
  const affinity = docs.find((d) => d.kind === 'Deployment').spec.template.spec.affinity.podAntiAffinity;
  assert.equal(affinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
});

test('without a shared claim or folder the chart refuses to render, saying why', { skip }, async () => {
  await assert.rejects(render({}), /persistence\.existingClaim or persistence\.hostPath is required: the blue and green releases share one database/);
});
