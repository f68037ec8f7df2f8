import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessMetric, assessRun, compileConditions, effectiveCount, isComplete, judgeMeasurement, type Measurement, type MeasurementPhase, type MetricLimits } from '../assess.ts';

const at = '2026-11-23T00:00:00Z';
const m = (phase: MeasurementPhase, message?: string): Measurement => ({ phase, startedAt: at, finishedAt: at, message });
const limits = (over: Partial<MetricLimits> = {}): MetricLimits => ({ failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, hasInterval: true, ...over });

test('only a success condition: not meeting it fails', () => {
  const c = compileConditions({ successCondition: 'result[0] >= 0.95' });
  assert.equal(judgeMeasurement(c, [0.99]).phase, 'Successful');
  assert.deepEqual(judgeMeasurement(c, [0.5]), { phase: 'Failed', message: 'failure condition met by [0.5]' });
});

test('only a failure condition: not meeting it succeeds', () => {
  const c = compileConditions({ failureCondition: 'result > 0.05' });
  assert.equal(judgeMeasurement(c, 0.01).phase, 'Successful');
  assert.equal(judgeMeasurement(c, 0.5).phase, 'Failed');
});

test('both: meeting neither is Inconclusive, and failure wins over success', () => {
  const c = compileConditions({ successCondition: 'result >= 0.90', failureCondition: 'result < 0.50' });
  assert.equal(judgeMeasurement(c, 0.95).phase, 'Successful');
  assert.equal(judgeMeasurement(c, 0.3).phase, 'Failed');
  assert.equal(judgeMeasurement(c, 0.7).phase, 'Inconclusive');
  const both = compileConditions({ successCondition: 'result > 0', failureCondition: 'result > 0' });
  assert.equal(judgeMeasurement(both, 1).phase, 'Failed');
});

test('no condition succeeds; an expression error is an Error measurement; extra variables are visible', () => {
  assert.equal(judgeMeasurement(compileConditions({}), 'anything').phase, 'Successful');
  const broken = judgeMeasurement(compileConditions({ successCondition: 'result[0] > 1' }), []);
  assert.equal(broken.phase, 'Error');
  assert.match(broken.message ?? '', /index 0 out of range/);
  assert.equal(judgeMeasurement(compileConditions({ successCondition: 'result > threshold' }), 5, { threshold: 3 }).phase, 'Successful');
});

test('failureLimit: failures up to the limit are tolerated', () => {
  assert.equal(assessMetric([m('Failed')], limits()).phase, 'Failed');
  assert.equal(assessMetric([m('Failed'), m('Successful')], limits({ failureLimit: 1 })).phase, 'Running');
  const r = assessMetric([m('Failed'), m('Failed')], limits({ failureLimit: 1 }));
  assert.equal(r.phase, 'Failed');
  assert.match(r.message ?? '', /2 failed measurements exceed the failure limit 1/);
  assert.equal(assessMetric([m('Failed'), m('Failed'), m('Failed')], limits({ failureLimit: -1, count: 3 })).phase, 'Successful');
});

test('inconclusiveLimit', () => {
  assert.equal(assessMetric([m('Inconclusive')], limits()).phase, 'Inconclusive');
  assert.equal(assessMetric([m('Inconclusive')], limits({ inconclusiveLimit: 1 })).phase, 'Running');
});

test('consecutiveErrorLimit counts only errors in a row (default 4)', () => {
  const four = [m('Error'), m('Error'), m('Error'), m('Error', 'timeout')];
  assert.equal(assessMetric(four, limits()).phase, 'Running');
  const five = assessMetric([...four, m('Error', 'connection refused')], limits());
  assert.equal(five.phase, 'Error');
  assert.match(five.message ?? '', /5 consecutive errors exceed the limit 4; last: connection refused/);
  assert.equal(assessMetric([...four, m('Successful'), m('Error')], limits()).phase, 'Running');
  assert.equal(assessMetric([m('Error')], limits({ consecutiveErrorLimit: 0 })).phase, 'Error');
});

test('count: complete after count measurements; one measurement without an interval; forever with one', () => {
  assert.equal(effectiveCount(limits({ count: 3 })), 3);
  assert.equal(effectiveCount(limits({ hasInterval: false })), 1);
  assert.equal(effectiveCount(limits()), Infinity);
  assert.equal(assessMetric([], limits({ count: 2 })).phase, 'Pending');
  assert.equal(assessMetric([m('Successful')], limits({ count: 2 })).phase, 'Running');
  const done = assessMetric([m('Successful'), m('Successful')], limits({ count: 2 }));
  assert.equal(done.phase, 'Successful');
  assert.deepEqual(done.tally, { measured: 2, successful: 2, failed: 0, inconclusive: 0, errors: 0, consecutiveErrors: 0 });
  assert.equal(assessMetric([m('Successful')], limits({ hasInterval: false })).phase, 'Successful');
});

test('a stopped metric that breached nothing is Successful', () => {
  assert.equal(assessMetric([m('Successful')], limits(), true).phase, 'Successful');
  assert.equal(assessMetric([], limits(), true).message, 'stopped before any measurement');
  assert.equal(assessMetric([m('Failed')], limits(), true).phase, 'Failed');
});

test('run phase: failure or error ends it; otherwise it waits for every metric; dry-run metrics never decide', () => {
  const run = (...phases: [string, boolean][]) => assessRun(phases.map(([phase, dryRun], i) => ({ name: `m${i}`, phase: phase as never, dryRun })));
  assert.equal(run(['Failed', false], ['Running', false]), 'Failed');
  assert.equal(run(['Error', false], ['Running', false]), 'Error');
  assert.equal(run(['Successful', false], ['Running', false]), 'Running');
  assert.equal(run(['Successful', false], ['Pending', false]), 'Running');
  assert.equal(run(['Successful', false], ['Inconclusive', false]), 'Inconclusive');
  assert.equal(run(['Successful', false], ['Successful', false]), 'Successful');
  assert.equal(run(['Failed', true], ['Successful', false]), 'Successful');
  assert.equal(run(['Failed', true]), 'Successful');
  assert.equal(run(['Running', true]), 'Running');
  assert.equal(isComplete('Running'), false);
  assert.equal(isComplete('Pending'), false);
  assert.equal(isComplete('Inconclusive'), true);
});
