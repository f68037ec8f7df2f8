import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceSchema, type Service } from '../../manifests/service.ts';
import { podTemplateHash, withImage, type Revision } from '../revision.ts';
import { serviceRoutes } from '../routing.ts';
import { rollout } from './fakes.ts';

const service = (name: string, selector: Record<string, string>): Service =>
  ServiceSchema.parse({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ports: [{ port: 80 }] } });

const canary = rollout({ canary: { canaryService: 'app-canary', stableService: 'app-stable', steps: [{ setWeight: 10 }] } });
const v1: Revision = { number: 1, hash: podTemplateHash(canary.spec.template), template: canary.spec.template, image: 'cutover/demo:v1' };
const v2t = withImage(canary.spec.template, 'cutover/demo:v2');
const v2: Revision = { number: 2, hash: podTemplateHash(v2t), template: v2t, image: 'cutover/demo:v2' };
const services = [service('app', { app: 'app' }), service('app-canary', { app: 'app' }), service('app-stable', { app: 'app' }), service('other', { app: 'other' })];
const summary = (routes: ReturnType<typeof serviceRoutes>) => Object.fromEntries([...routes].map(([k, gs]) => [k, gs.map((g) => `${g.name}:${g.revision.number}:${g.weight}`)]));

test('canary: the root Service is split by weight, the canary and stable Services each see their own pods, unrelated Services nothing', () => {
  assert.deepEqual(summary(serviceRoutes(canary, { strategy: 'canary', stable: v1, canary: v2, canaryWeight: 10 }, services)), {
    app: ['stable:1:90', 'canary:2:10'],
    'app-canary': ['canary:2:100'],
    'app-stable': ['stable:1:100'],
  });
  // With no canary, Argo points the canary Service at the stable pods; weight 100 leaves only the canary.
  assert.deepEqual(summary(serviceRoutes(canary, { strategy: 'canary', stable: v1, canaryWeight: 0 }, services)).app, ['stable:1:100']);
  assert.deepEqual(summary(serviceRoutes(canary, { strategy: 'canary', stable: v1, canaryWeight: 0 }, services))['app-canary'], ['canary:1:100']);
  assert.deepEqual(summary(serviceRoutes(canary, { strategy: 'canary', stable: v1, canary: v2, canaryWeight: 100 }, services)).app, ['canary:2:100']);
});

test('blue-green: the preview Service goes to the preview pods, every other selecting Service to the active ones', () => {
  const bg = rollout({ blueGreen: { activeService: 'app', previewService: 'app-preview' } });
  const routes = serviceRoutes(bg, { strategy: 'blueGreen', active: v1, preview: v2 }, [...services, service('app-preview', { app: 'app' })]);
  assert.deepEqual(summary(routes), { app: ['active:1:100'], 'app-canary': ['active:1:100'], 'app-stable': ['active:1:100'], 'app-preview': ['preview:2:100'] });
});

test('pod-template hashes are stable for equal templates, whatever the key order, and differ when the image does', () => {
  const reordered = { spec: canary.spec.template.spec, metadata: canary.spec.template.metadata };
  assert.equal(podTemplateHash(reordered), v1.hash);
  assert.notEqual(v1.hash, v2.hash);
  assert.match(v1.hash, /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  assert.throws(() => withImage(canary.spec.template, 'x:1', 'sidecar'), /no container "sidecar": it has app/);
});
