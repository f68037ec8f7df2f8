import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseThreshold } from '../../slo/threshold.ts';
import { TrafficRecording } from '../../traffic/recording.ts';
import { SteadyStateProbe, type FaultSpan } from '../steady-state.ts';

// 100 requests per second from t=0 to 10 s: fast and fine, except 3 s–5 s (slow, some failing) and 5 s–6 s (slow).
function recording(): TrafficRecording {
  const r = new TrafficRecording('http://127.0.0.1:1');
  for (let at = 0; at < 10_000; at += 10) {
    const broken = at >= 3000 && at < 6000;
    r.add({ at, latencyMs: broken ? 300 : 5, status: at >= 3000 && at < 5000 && at % 100 === 0 ? 503 : 200, version: 'v1' });
  }
  return r;
}

const thresholds = [parseThreshold('http_req_duration: p(95)<100'), parseThreshold('http_req_failed: rate<0.05')];

test('checks are labelled before, during and after the fault, and no window spans a fault boundary', () => {
  const faults: FaultSpan[] = [{ start: 3000, end: 5000 }];
  const probe = new SteadyStateProbe('tinyurl', thresholds, recording(), () => faults);
  for (let t = 1000; t <= 10_000; t += 500) probe.check(t);
  const at = (t: number) => probe.checks.find((c) => c.at === t);
  assert.deepEqual([at(2500)?.phase, at(2500)?.holds], ['before', true]);
  assert.deepEqual([at(4000)?.phase, at(4000)?.from, at(4000)?.holds], ['during', 3000, false]);
  // 5.5 s: after the fault, only requests since its end (5 s) are looked at.
  assert.deepEqual([at(5500)?.phase, at(5500)?.from], ['after', 5000]);
  assert.equal(probe.checks.some((c) => c.at === 3000 + 250), false);
  assert.equal(at(3000), undefined, 'a phase younger than the minimum window is not measured');
});

test('recovery is measured from the fault end to the first window that held for good', () => {
  const faults: FaultSpan[] = [{ start: 3000, end: 5000 }];
  const probe = new SteadyStateProbe('tinyurl', thresholds, recording(), () => faults);
  for (let t = 1000; t <= 10_000; t += 500) probe.check(t);
  const r = probe.recovery();
  // Slow until 6 s: the first 2 s window entirely after that starts at 6 s (checked at 8 s).
  assert.equal(r?.recoveredMs, 1000);
  // Settled: the last check (10 s) holds over a full window after the fault's end.
  assert.equal(probe.settledRecoveryMs(), 1000);
  assert.ok((r?.brokenChecks ?? 0) > 0);
  assert.deepEqual(probe.summary().before, { checks: 4, held: 4 });
});

test('no recovery while a fault is active, and none when it never held again', () => {
  const active: FaultSpan[] = [{ start: 3000, end: undefined }];
  assert.equal(new SteadyStateProbe('x', thresholds, recording(), () => active).recovery(), undefined);
  const late: FaultSpan[] = [{ start: 3000, end: 5000 }];
  const probe = new SteadyStateProbe('x', thresholds, recording(), () => late);
  probe.check(5900);
  assert.equal(probe.recovery()?.recoveredMs, undefined);
  assert.equal(probe.settledRecoveryMs(), undefined);
});
