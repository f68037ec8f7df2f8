import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { call, startTestService, tempDataDir } from '../../common/testing.ts';
import { metrics } from '../app.ts';
import { lineChartSvg, MAX_BUCKETS } from '../chart.ts';

const start = (env: Record<string, string> = {}) => startTestService(metrics, { RATE_LIMIT_PER_MINUTE: '0', ...env });

test('points written with the token are counted and drawn as a chart', async (t) => {
  const s = await start({ API_TOKEN: 'secret-token' });
  t.after(s.stop);
  const auth = { authorization: 'Bearer secret-token' };
  const at = new Date().toISOString();
  for (const value of [1, 3, 2]) {
    const written = await call(`${s.url}/api/v1/metrics`, { body: { metric: 'test.deployment', value, timestamp: at }, headers: auth });
    assert.equal(written.status, 201);
    assert.equal(written.json.metric, 'test.deployment');
  }
  const summary = await call(`${s.url}/api/v1/metrics/test.deployment`);
  assert.equal(summary.json.count, 3);
  const chart = await fetch(`${s.url}/api/v1/charts/generate?metric=test.deployment&timeRange=1h`);
  assert.equal(chart.status, 200);
  assert.match(chart.headers.get('content-type') ?? '', /image\/svg\+xml/);
  assert.equal(chart.headers.get('x-chart-points'), '3');
  assert.match(chart.headers.get('server-timing') ?? '', /^chart;dur=\d/);
  assert.match(await chart.text(), /<svg[^>]*>.*3 points, 1 to 3/);
});

test('writes without the token, bad points and unknown ranges are refused with the field', async (t) => {
  const s = await start({ API_TOKEN: 'secret-token' });
  t.after(s.stop);
  assert.equal((await call(`${s.url}/api/v1/metrics`, { body: { metric: 'a', value: 1 } })).status, 401);
  assert.equal((await call(`${s.url}/api/v1/metrics`, { body: { metric: 'a', value: 1 }, headers: { authorization: 'Bearer wrong' } })).status, 401);
  const bad = await call(`${s.url}/api/v1/metrics`, { body: { metric: '1bad', value: 'x' }, headers: { authorization: 'Bearer secret-token' } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.fields.map((f: { field: string }) => f.field).sort(), ['body.metric', 'body.value']);
  const range = await call(`${s.url}/api/v1/charts/generate?metric=a&timeRange=2y`);
  assert.equal(range.status, 400);
  assert.equal(range.json.fields[0].field, 'query.timeRange');
  assert.equal((await call(`${s.url}/api/v1/metrics/nothing.here`)).status, 404);
});

test('a bad setting fails the start with its name', async () => {
  await assert.rejects(start({ MAX_CONCURRENT_CHARTS: '-1' }), /MAX_CONCURRENT_CHARTS="-1": expected a positive number/);
});

test('many points are averaged into a bounded number of buckets', () => {
  const points = Array.from({ length: 10_000 }, (_, i) => ({ at: i * 1000, value: i % 7 }));
  const svg = lineChartSvg('m', points);
  const segments = (/d="([^"]*)"/.exec(svg)?.[1] ?? '').split(' ').length;
  assert.equal(segments, MAX_BUCKETS);
  assert.match(lineChartSvg('m', []), /no points/);
});

test('"migrate" applies the migrations and exits, as the chart\'s migration job runs it', async () => {
  const dir = tempDataDir('metrics-migrate');
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'services/run.ts', 'metrics', 'migrate'], { env: { ...process.env, DATA_DIR: dir } });
  assert.match(stdout, /metrics\.db: migrations applied: 1 points/);
  await assert.rejects(run(process.execPath, ['--import', 'tsx', 'services/run.ts', 'metrics', 'nonsense'], { env: { ...process.env, DATA_DIR: dir } }), /unknown command "nonsense"/);
});
