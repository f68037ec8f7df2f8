import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrafficRecording } from '../../traffic/recording.ts';
import { evaluateThreshold, parseThreshold, ThresholdError } from '../threshold.ts';
import { resolveWindow } from '../windows.ts';

test('parses k6 thresholds: metric, tag filter, aggregation, operator, value', () => {
  assert.deepEqual(parseThreshold('http_req_duration: p(95)<50'), {
    source: 'http_req_duration: p(95)<50',
    metric: 'http_req_duration',
    filter: {},
    aggregation: { kind: 'p', percentile: 95 },
    operator: '<',
    value: 50,
  });
  assert.deepEqual(parseThreshold('http_req_duration{version:v2}: p(99.9) <= 100').filter, { version: 'v2' });
  assert.equal(parseThreshold('http_req_failed: rate<0.01').aggregation.kind, 'rate');
  assert.equal(parseThreshold('http_reqs: count>=1000').operator, '>=');
  assert.equal(parseThreshold('checks: rate>0.99').value, 0.99);
});

test('a bad threshold fails with the reason and the accepted forms', () => {
  for (const [text, why] of [
    ['http_req_duration p(95)<50', /expected "<metric>: <aggregation><operator><number>"/],
    ['latency: p(95)<50', /unknown metric "latency"/],
    ['http_req_duration: p95<50', /unknown aggregation "p95"/],
    ['http_req_failed: p(95)<50', /http_req_failed takes rate, not p\(95\)/],
    ['http_req_duration: p(120)<50', /percentile 120 is outside/],
    ['http_req_duration{pod:a}: avg<5', /unknown tag filter "pod:a"/],
  ] as const) {
    assert.throws(() => parseThreshold(text), (err: Error) => err instanceof ThresholdError && why.test(err.message) && err.message.includes('Accepted forms:\n  http_req_duration: p(95)<50'), text);
  }
});

function recording(): TrafficRecording {
  const r = new TrafficRecording('http://127.0.0.1:1');
  // 100 requests over 10 s: latency 1..100 ms; every 10th a 500; the last 20 answered by v2.
  for (let i = 0; i < 100; i++) r.add({ at: 1000 + i * 100, latencyMs: i + 1, status: i % 10 === 9 ? 500 : 200, version: i >= 80 ? 'v2' : 'v1', check: i !== 0 });
  return r;
}

test('evaluates over the samples of a window, with exact percentiles and what was measured', () => {
  const r = recording();
  const whole = { name: 'whole', from: 0, to: 20_000 };
  const p95 = evaluateThreshold(parseThreshold('http_req_duration: p(95)<50'), r, whole);
  assert.equal(p95.measured, 95);
  assert.equal(p95.passed, false);
  assert.equal(p95.stats.requests, 100);
  assert.equal(evaluateThreshold(parseThreshold('http_req_duration: p(95)<=95'), r, whole).passed, true);
  assert.equal(evaluateThreshold(parseThreshold('http_req_failed: rate<0.11'), r, whole).measured, 0.1);
  assert.equal(evaluateThreshold(parseThreshold('checks: rate>=0.99'), r, whole).measured, 0.99);
  assert.equal(evaluateThreshold(parseThreshold('http_reqs: count==100'), r, whole).passed, true);
  const v2 = evaluateThreshold(parseThreshold('http_req_duration{version:v2}: min>=81'), r, whole);
  assert.deepEqual([v2.measured, v2.passed, v2.stats.requests], [81, true, 20]);
  const firstHalf = evaluateThreshold(parseThreshold('http_req_duration: max<=50'), r, { name: 'half', from: 1000, to: 6000 });
  assert.deepEqual([firstHalf.measured, firstHalf.passed], [50, true]);
});

test('a window without requests is never a pass', () => {
  const v = evaluateThreshold(parseThreshold('http_req_failed: rate<0.01'), recording(), { name: 'later', from: 50_000, to: 60_000 });
  assert.equal(v.passed, false);
  assert.match(v.problem ?? '', /no requests in the window "later"/);
});

test('named windows come from the update start and the rollout events', () => {
  const events = [
    { at: new Date(5000).toISOString(), reason: 'RolloutAborted' },
    { at: new Date(6000).toISOString(), reason: 'TrafficRestored' },
    { at: new Date(9000).toISOString(), reason: 'RolloutCompleted' },
  ];
  const timeline = { startedAt: 1000, now: 12_000, rolloutStartedAt: 3000, events };
  assert.deepEqual(resolveWindow('during the whole scenario', timeline), { name: 'the whole scenario', from: 1000, to: 12_000 });
  assert.deepEqual(resolveWindow('before the rollout', timeline), { name: 'before the rollout', from: 1000, to: 3000 });
  assert.deepEqual(resolveWindow('during the rollout', timeline), { name: 'the rollout', from: 3000, to: 9000 });
  assert.deepEqual(resolveWindow('after the abort', timeline), { name: 'after the abort', from: 5000, to: 12_000 });
  assert.deepEqual(resolveWindow('after the rollout', timeline), { name: 'after the rollout', from: 9000, to: 12_000 });
  assert.throws(() => resolveWindow('after the switch', timeline), /none happened since the update started/);
  assert.throws(() => resolveWindow('during the rollout', { startedAt: 0, now: 1, events: [] }), /needs an update to have been started/);
});
