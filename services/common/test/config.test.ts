import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, faultsFromVersion, readServiceConfig } from '../config.ts';

test('defaults: port, version v1, no faults, 100 requests per minute', () => {
  const c = readServiceConfig('tinyurl', 5000, {});
  assert.equal(c.port, 5000);
  assert.equal(c.version, 'v1');
  assert.deepEqual(c.faults, { errorRate: 0, latencyMs: 0 });
  assert.equal(c.rateLimitPerMinute, 100);
  assert.equal(c.dataDir, 'data/tinyurl');
  assert.deepEqual(c.trustedProxies, []);
  assert.equal(c.drainTimeoutMs, 10_000);
  assert.equal(c.drainGraceMs, 0);
});

test('in a Kubernetes pod the drain grace defaults to a second, and the environment still overrides it', () => {
  const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
  assert.equal(readServiceConfig('demo', 1, inPod).drainGraceMs, 1000);
  assert.equal(readServiceConfig('demo', 1, { ...inPod, DRAIN_GRACE_MS: '0' }).drainGraceMs, 0);
});

test('a -faulty tag means error rate 0.5 and a -slow tag +300 ms', () => {
  assert.deepEqual(readServiceConfig('x', 1, { APP_VERSION: 'v2-faulty' }).faults, { errorRate: 0.5, latencyMs: 0 });
  assert.deepEqual(readServiceConfig('x', 1, { APP_VERSION: 'v2-slow' }).faults, { errorRate: 0, latencyMs: 300 });
  assert.deepEqual(faultsFromVersion('v2'), { errorRate: 0, latencyMs: 0 });
});

test('the environment overrides what the tag implies', () => {
  const c = readServiceConfig('x', 1, { APP_VERSION: 'v2-faulty', FAULT_ERROR_RATE: '0.1', FAULT_LATENCY_MS: '5', PORT: '7000' });
  assert.deepEqual(c.faults, { errorRate: 0.1, latencyMs: 5 });
  assert.equal(c.port, 7000);
});

test('trusted proxies are a comma-separated list', () => {
  assert.deepEqual(readServiceConfig('x', 1, { TRUSTED_PROXIES: '127.0.0.1, ::1,' }).trustedProxies, ['127.0.0.1', '::1']);
});

test('a bad value names the variable, the value and what was expected', () => {
  assert.throws(
    () => readServiceConfig('tinyurl', 1, { FAULT_ERROR_RATE: '2', PORT: 'abc' }),
    (err: Error) =>
      err instanceof ConfigError &&
      err.message.includes('service "tinyurl"') &&
      err.message.includes('FAULT_ERROR_RATE="2": expected a fraction between 0 and 1') &&
      err.message.includes('PORT="abc"'),
  );
  assert.throws(() => readServiceConfig('x', 1, { APP_VERSION: 'bad tag!' }), /APP_VERSION="bad tag!": expected an image tag/);
});

test('a service may change the default rate limit; the environment still wins', () => {
  assert.equal(readServiceConfig('demo', 1, {}, { defaultRateLimitPerMinute: 0 }).rateLimitPerMinute, 0);
  assert.equal(readServiceConfig('demo', 1, { RATE_LIMIT_PER_MINUTE: '50' }, { defaultRateLimitPerMinute: 0 }).rateLimitPerMinute, 50);
});
