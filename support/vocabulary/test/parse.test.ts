import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canaryWeights, delayBetween, longestAnswerGap, timeUntilOnlyVersion } from '../../rollout/observations.ts';
import { parseHumanDuration, parseNumberList, parseObjectName, parsePercent, parseRate, versionOfImage } from '../parse.ts';

test('durations: words or Go syntax, in milliseconds; anything else lists the accepted forms', () => {
  assert.equal(parseHumanDuration('2 minutes'), 120_000);
  assert.equal(parseHumanDuration('1 minute and 30 seconds'), 90_000);
  assert.equal(parseHumanDuration('1.5 hours'), 5_400_000);
  assert.equal(parseHumanDuration('500 milliseconds'), 500);
  assert.equal(parseHumanDuration('1h30m'), 5_400_000);
  assert.equal(parseHumanDuration('250ms'), 250);
  assert.equal(parseHumanDuration('250 ms'), 250);
  assert.equal(parseHumanDuration('30 s'), 30_000);
  for (const bad of ['2 mins', 'soon', '5', '3 fortnights']) {
    assert.throws(() => parseHumanDuration(bad), /is not a duration: accepted forms are "2 minutes", "30 seconds"/, bad);
  }
});

test('percentages, rates, names, images and number lists', () => {
  assert.equal(parsePercent('25%'), 25);
  assert.equal(parsePercent('99.9 percent'), 99.9);
  assert.throws(() => parsePercent('120%'), /accepted forms are "10%"/);
  assert.equal(parseRate('300 requests per second'), 300);
  assert.equal(parseRate('1 request per second'), 1);
  assert.equal(parseRate('600 requests per minute'), 10);
  assert.equal(parseRate('50 req/s'), 50);
  assert.throws(() => parseRate('300 rps'), /accepted forms are "300 requests per second"/);
  assert.throws(() => parseRate('0 requests per second'), /above 0/);
  assert.equal(parseObjectName('rollout', 'tinyurl'), 'tinyurl');
  assert.throws(() => parseObjectName('rollout', 'TinyURL'), /not a rollout name/);
  assert.equal(versionOfImage('cutover/tinyurl:v2-faulty'), 'v2-faulty');
  assert.deepEqual(parseNumberList('10, 25, 50 and 100'), [10, 25, 50, 100]);
});

test('observations: canary weights in order, and when traffic last reached another version', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const events = [
    { at: at(500), reason: 'TrafficWeightUpdated', message: '', data: { weight: 100 } },
    { at: at(1000), reason: 'TrafficWeightUpdated', message: '', data: { weight: 10 } },
    { at: at(2000), reason: 'RolloutPaused', message: '' },
    { at: at(3000), reason: 'TrafficWeightUpdated', message: '', data: { weight: 25 } },
    { at: at(4000), reason: 'TrafficWeightUpdated', message: '', data: { weight: 0 } },
  ];
  assert.deepEqual(canaryWeights(events, 1000), [10, 25, 0]);
  const samples = [
    { at: 900, latencyMs: 1, status: 200, version: 'v2' },
    { at: 1100, latencyMs: 1, status: 200, version: 'v2' },
    { at: 1200, latencyMs: 1, status: 200, version: 'v1' },
    { at: 1500, latencyMs: 1, status: 0, version: '', error: 'ECONNRESET' },
    { at: 1600, latencyMs: 1, status: 200, version: 'v1' },
    { at: 1700, latencyMs: 1, status: 200, version: 'v1' },
  ];
  assert.deepEqual(timeUntilOnlyVersion(samples, 1000, 'v1'), { from: 1000, lastOtherAt: 1500, lastOtherVersion: 'no answer (ECONNRESET)', ms: 500, answeredAfter: 2, requestsAfter: 5 });
  assert.equal(timeUntilOnlyVersion(samples, 1550, 'v1').ms, 0);
});

test('observations: the delay between two events, and the longest time without a successful answer', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const events = [
    { at: at(500), reason: 'SwitchService', message: '' },
    { at: at(1000), reason: 'RolloutPaused', message: '', data: { reason: 'BlueGreenPause' } },
    { at: at(8500), reason: 'SwitchService', message: '' },
  ];
  const paused = (e: { reason: string; data?: Record<string, unknown> }) => e.reason === 'RolloutPaused' && e.data?.reason === 'BlueGreenPause';
  assert.deepEqual(delayBetween(events, 0, paused, (e) => e.reason === 'SwitchService'), { fromAt: 1000, toAt: 8500, ms: 7500 });
  assert.deepEqual(delayBetween(events, 0, (e) => e.reason === 'SwitchService', (e) => e.reason === 'ScalingReplicaSet'), { fromAt: 500 });
  assert.deepEqual(delayBetween(events, 9000, paused, paused), {});
  // Answers complete at 11, 21, (a failure at 31), 331: the gap counts from success to success, by completion.
  const samples = [
    { at: 10, latencyMs: 1, status: 200, version: 'v1' },
    { at: 20, latencyMs: 1, status: 200, version: 'v1' },
    { at: 30, latencyMs: 1, status: 503, version: 'v1' },
    { at: 40, latencyMs: 291, status: 200, version: 'v2' },
  ];
  assert.deepEqual(longestAnswerGap(samples), { ms: 310, from: 21, to: 331, successful: 3 });
  assert.deepEqual(longestAnswerGap([]), { ms: 0, successful: 0 });
});
