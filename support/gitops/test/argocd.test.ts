import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { autoSyncOf, loadApplication, reviewApplication, targetApplication } from '../application.ts';
import { adaptInstall, installManifestPath, readApplicationStatus, withServiceHosts } from '../argocd.ts';

// The shape of Argo CD's install.yaml, cut down: a CRD, a Service, the redis Deployment with its
// init container, the server, Dex.
const deployment = (name: string, containers: unknown[], initContainers: unknown[] = []) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { template: { spec: { containers, initContainers } } },
});
const install = [
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'applications.argoproj.io' } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'argocd-redis' } },
  deployment('argocd-redis', [{ name: 'redis', image: 'public.ecr.aws/docker/library/redis:8.10.1-alpine', imagePullPolicy: 'Always' }], [{ name: 'secret-init', image: 'quay.io/argoproj/argocd:v3.6.2' }]),
  deployment('argocd-server', [{ name: 'argocd-server', image: 'quay.io/argoproj/argocd:v3.6.2', imagePullPolicy: 'Always' }]),
  deployment('argocd-dex-server', [{ name: 'dex', image: 'ghcr.io/dexidp/dex:v2.46.0' }], [{ name: 'copyutil', image: 'quay.io/argoproj/argocd:v3.6.2' }]),
]
  .map((o) => stringify(o))
  .join('---\n');

test("Argo CD's install manifest is adapted to the images built here, without Dex, each change said", () => {
  const { version, objects, changes } = adaptInstall(install, 'install.yaml');
  assert.equal(version, 'v3.6.2');
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata?.name}`), ['CustomResourceDefinition/applications.argoproj.io', 'Service/argocd-redis', 'Deployment/argocd-redis', 'Deployment/argocd-server']);
  const images = objects.flatMap((o) => {
    const spec = (o.spec?.template as { spec: { containers: { image: string; imagePullPolicy: string }[]; initContainers?: { image: string; imagePullPolicy: string }[] } } | undefined)?.spec;
    return spec ? [...spec.containers, ...(spec.initContainers ?? [])].map((c) => `${c.image} ${c.imagePullPolicy}`) : [];
  });
  assert.deepEqual(images, ['cutover/argocd-redis:v3.6.2 IfNotPresent', 'cutover/argocd:v3.6.2 IfNotPresent', 'cutover/argocd:v3.6.2 IfNotPresent']);
  assert.equal(changes.length, 4);
  assert.match(changes[0] as string, /argocd-dex-server left out/);

  const [, , redis] = withServiceHosts(objects, [{ name: 'argocd-redis', ip: '10.96.0.20' }, { name: 'headless', ip: 'None' }], 'argocd');
  assert.deepEqual((redis?.spec?.template as { spec: { hostAliases: unknown } }).spec.hostAliases, [
    { ip: '10.96.0.20', hostnames: ['argocd-redis', 'argocd-redis.argocd', 'argocd-redis.argocd.svc', 'argocd-redis.argocd.svc.cluster.local'] },
  ]);

  assert.throws(() => adaptInstall(stringify(deployment('x', [{ name: 'x', image: 'nginx:1' }])), 'other.yaml'), /other\.yaml: expected Argo CD's install manifest.*found none/);
  assert.throws(() => adaptInstall('a: [', 'bad.yaml'), /bad\.yaml: document 1 is not YAML/);
});

test('the install manifest is found beside kubectl, or named by CUTOVER_ARGOCD_MANIFEST; missing, it says how to get it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-argocd-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'kubectl'), '');
    fs.writeFileSync(path.join(dir, 'argocd-install.yaml'), '');
    assert.equal(installManifestPath({ PATH: `/nowhere${path.delimiter}${dir}` }), path.join(dir, 'argocd-install.yaml'));
    assert.equal(installManifestPath({ CUTOVER_ARGOCD_MANIFEST: '/x/install.yaml', PATH: dir }), '/x/install.yaml');
    assert.throws(() => installManifestPath({ PATH: '/nowhere' }), /bash ci\/cluster\/build\.sh builds Argo CD.*CUTOVER_ARGOCD_MANIFEST/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the project\'s Application files are read, reviewed, and pointed at a scenario\'s repository and namespace', () => {
  const app = loadApplication('k8s/argocd/applications/canary-app.yaml');
  assert.deepEqual(reviewApplication(app), {
    name: 'rollouts-demo-canary',
    path: 'canary',
    targetRevision: 'main',
    destinationNamespace: 'rollouts-demo',
    automated: true,
    prune: true,
    selfHeal: true,
    syncOptions: ['CreateNamespace=true'],
    cascadingDelete: true,
    subscriptions: ['on-sync-succeeded.release'],
  });
  const target = targetApplication(app, { suffix: 'ab12', repoURL: 'http://10.0.0.1:4000/deploy.git', namespace: 'cutover-1-ab12', argoCdNamespace: 'argocd' });
  assert.equal(target.metadata.name, 'rollouts-demo-canary-ab12');
  assert.deepEqual([target.spec.source.repoURL, target.spec.source.path, target.spec.destination.namespace], ['http://10.0.0.1:4000/deploy.git', 'canary', 'cutover-1-ab12']);
  assert.equal(autoSyncOf(target).automated, true);
  const manual = targetApplication(app, { suffix: 'ab12', repoURL: 'x', namespace: 'n', argoCdNamespace: 'argocd', automated: false });
  assert.equal(autoSyncOf(manual).automated, false);
  assert.deepEqual(manual.spec.syncPolicy?.syncOptions, ['CreateNamespace=true'], 'the rest of the sync policy kept');
  assert.equal(autoSyncOf(app).automated, true, 'the file read is not changed');
});

test('a malformed Application names its file, line and field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-app-test-'));
  try {
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: Bad_Name\nspec:\n  project: default\n  source:\n    repoURL: x\n  destination:\n    namespace: n\n');
    assert.throws(() => loadApplication(file), (err: Error) => {
      assert.match(err.message, /app\.yaml:4 metadata\.name: expected a DNS label/);
      assert.match(err.message, /spec\.source\.path: /);
      assert.match(err.message, /spec\.destination.*expected a destination server/);
      return true;
    });
    assert.throws(() => loadApplication(path.join(dir, 'none.yaml')), /cannot read the Argo CD Application .*none\.yaml/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an Application's status is read as the UI shows it: sync, health, revision, operation, history", () => {
  const s = readApplicationStatus({
    metadata: { name: 'a' },
    status: {
      sync: { status: 'OutOfSync', revision: 'abc' },
      health: { status: 'Suspended' },
      operationState: { phase: 'Succeeded', message: 'successfully synced' },
      history: [{ id: 0, revision: 'old', deployedAt: '2026-01-01T00:00:00Z' }],
      conditions: [{ type: 'SyncError', message: 'boom' }],
      resources: [{ kind: 'Rollout', name: 'r', status: 'Synced', health: { status: 'Suspended' } }],
    },
  });
  assert.deepEqual([s.sync, s.health, s.revision, s.operationPhase, s.history[0]?.revision, s.conditions[0], s.resources[0]?.health], ['OutOfSync', 'Suspended', 'abc', 'Succeeded', 'old', 'SyncError: boom', 'Suspended']);
  assert.deepEqual([readApplicationStatus({}).sync, readApplicationStatus({}).health], ['Unknown', 'Unknown']);
});
