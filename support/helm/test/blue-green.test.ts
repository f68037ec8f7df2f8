import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chartValues, mergeValues, quantity, RollbackGuard, type RollbackTriggers } from '../blue-green.ts';
import { summariseSamples, type TrafficSample } from '../../traffic/recording.ts';

test('values files merge as helm merges them: maps key by key, lists and scalars replaced', () => {
  assert.deepEqual(mergeValues({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { c: [3] }, e: true }), { a: { b: 1, c: [3] }, d: 'x', e: true });
});

test('quantities in cores and bytes', () => {
  assert.equal(quantity('100m'), 0.1);
  assert.equal(quantity('2'), 2);
  assert.equal(quantity('256Mi'), 256 * 2 ** 20);
  assert.equal(quantity('1G'), 1e9);
  assert.ok(Number.isNaN(quantity('lots')));
});

test("the chart's values, as the checks read them from the real chart and the single-node values", () => {
  const v = chartValues('k8s/helm/monitoring-web-service', ['k8s/helm/monitoring-web-service/values-prod.yaml', 'k8s/helm/values-single-node.yaml']);
  assert.equal(v.replicas, 3);
  assert.deepEqual(v.requests, { cpu: 0.1, memory: 256 * 2 ** 20 });
  assert.deepEqual(v.secrets, [{ name: 'monitoring-web-service-api', key: 'api-token' }]);
  assert.equal(v.storageClass, 'fast-ssd');
  assert.equal(v.port, 3000);
});

test('a values file that is not a map fails with its name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-values-'));
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, '- a\n- b\n');
  assert.throws(() => chartValues('k8s/helm/monitoring-web-service', [bad]), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected a map of values at the top, found a list`));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the rollback triggers fire on the error rate or the p95 of the window, and not on too few requests', () => {
  const t: RollbackTriggers = { maxErrorRate: 0.05, maxP95Ms: 200, healthFailingMs: 120_000, windowMs: 5000, minRequests: 20 };
  const window = { name: 'w', from: 0, to: 5000 };
  const samples = (n: number, failed: number, latencyMs = 5): TrafficSample[] =>
    Array.from({ length: n }, (_, i) => ({ at: i * 100, latencyMs, status: i < failed ? 500 : 200, version: 'v2' }));
  assert.equal(RollbackGuard.verdict(summariseSamples(samples(40, 2), window), t), undefined);
  assert.match(RollbackGuard.verdict(summariseSamples(samples(40, 3), window), t) ?? '', /^error rate 7\.5% over 5000 ms > 5%/);
  assert.match(RollbackGuard.verdict(summariseSamples(samples(40, 0, 400), window), t) ?? '', /^p95 40\d ms over 5000 ms > 200 ms/);
  assert.equal(RollbackGuard.verdict(summariseSamples(samples(10, 10), window), t), undefined);
});
