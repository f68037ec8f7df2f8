import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestService } from '../../../services/common/testing.ts';
import { metrics } from '../../../services/metrics/app.ts';
import { MetricPointWriter } from '../metric-points.ts';

test('every write the Monitoring Web Service acknowledged is counted, and its stored count read back matches', async (t) => {
  const s = await startTestService(metrics, { RATE_LIMIT_PER_MINUTE: '0', API_TOKEN: 'token' });
  t.after(s.stop);
  const writer = new MetricPointWriter(s.url, 'ledger.points', 'token');
  writer.start(20, 60_000);
  await new Promise((r) => setTimeout(r, 500));
  await writer.stop();
  assert.ok(writer.acknowledged > 5, `${writer.acknowledged} acknowledged`);
  assert.equal(writer.refused, 0);
  assert.deepEqual(await writer.stored(), { status: 200, count: writer.acknowledged });
});

test('writes without the right token are refused, not counted as stored', async (t) => {
  const s = await startTestService(metrics, { RATE_LIMIT_PER_MINUTE: '0', API_TOKEN: 'token' });
  t.after(s.stop);
  const writer = new MetricPointWriter(s.url, 'ledger.refused', 'wrong');
  writer.start(20, 60_000);
  await new Promise((r) => setTimeout(r, 200));
  await writer.stop();
  assert.equal(writer.acknowledged, 0);
  assert.ok(writer.refused > 0);
  assert.deepEqual(await writer.stored(), { status: 404, count: undefined });
});
