import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultInjector } from '../faults.ts';

test('errors are spread evenly: exactly the configured share over any whole window', () => {
  for (const rate of [0, 0.1, 0.25, 0.5, 1]) {
    const f = new FaultInjector({ errorRate: rate, latencyMs: 0 });
    let failed = 0;
    for (let i = 0; i < 1000; i++) if (f.shouldFail()) failed++;
    assert.equal(failed, Math.round(rate * 1000), `rate ${rate}`);
  }
});

test('half: every second request fails', () => {
  const f = new FaultInjector({ errorRate: 0.5, latencyMs: 0 });
  assert.deepEqual([1, 2, 3, 4].map(() => f.shouldFail()), [false, true, false, true]);
});

test('latency is added only when configured', async () => {
  const slow = new FaultInjector({ errorRate: 0, latencyMs: 30 });
  let start = performance.now();
  await slow.delay();
  assert.ok(performance.now() - start >= 25);
  start = performance.now();
  await new FaultInjector({ errorRate: 0, latencyMs: 0 }).delay();
  assert.ok(performance.now() - start < 20);
});
