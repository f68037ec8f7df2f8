import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { AnalysisTemplateSchema, type AnalysisTemplate } from '../model.ts';
import { jobProvider } from '../providers/job.ts';
import { evaluateJsonPath } from '../providers/jsonpath.ts';
import { prometheusProvider } from '../providers/prometheus.ts';
import { webProvider } from '../providers/web.ts';
import { AnalysisRun, substituteArgs } from '../run.ts';

// A real HTTP server whose answers the tests set per path.
const answers = new Map<string, { status: number; body: string }[]>();
const hits = new Map<string, number>();
let base = '';
const server = http.createServer((req, res) => {
  const key = (req.url ?? '/').split('?')[0] as string;
  hits.set(key, (hits.get(key) ?? 0) + 1);
  const queue = answers.get(key) ?? [];
  const next = queue.length > 1 ? (queue.shift() as { status: number; body: string }) : (queue[0] ?? { status: 404, body: '{}' });
  res.writeHead(next.status, { 'content-type': 'application/json', 'x-seen-query': req.url ?? '' });
  res.end(next.body);
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const template = (metrics: unknown[], extra: Record<string, unknown> = {}): AnalysisTemplate =>
  AnalysisTemplateSchema.parse({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name: 't' }, spec: { metrics, ...extra } });

const web = (p: string, more: Record<string, unknown> = {}) => ({ web: { url: `${base}${p}`, ...more } });
const run = (templates: AnalysisTemplate[], args: { name: string; value: string }[] = []) =>
  new AnalysisRun({ name: 'r', templates, args, providers: { web: webProvider(), prometheus: prometheusProvider(), job: jobProvider({ timeScale: 0.001 }) }, timeScale: 0.001 });

test('web metric measured count times on its interval: jsonPath picks the value, the condition judges each', async () => {
  answers.set('/ok', [{ status: 200, body: JSON.stringify({ data: { rate: 0.99 } }) }]);
  const r = run([template([{ name: 'rate', interval: '10s', count: 3, successCondition: 'result >= 0.95', provider: web('/ok', { jsonPath: '{$.data.rate}' }) }])]);
  assert.equal(await r.done, 'Successful');
  const [metric] = r.snapshot().metrics;
  assert.equal(metric?.measurements.length, 3);
  assert.deepEqual(metric?.measurements.map((m) => [m.phase, m.value]), [['Successful', 0.99], ['Successful', 0.99], ['Successful', 0.99]]);
});

test('a metric measured many times leaves no listener behind on the run (no MaxListenersExceededWarning)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    answers.set('/many', [{ status: 200, body: '{"ok": 1}' }]);
    const r = run([template([{ name: 'many', interval: '10s', count: 25, successCondition: 'result.ok == 1', provider: web('/many') }])]);
    assert.equal(await r.done, 'Successful');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('failureLimit: the run fails on the measurement past the limit, and says which metric and why', async () => {
  answers.set('/bad', [{ status: 200, body: '0.5' }]);
  const r = run([template([{ name: 'rate', interval: '5s', count: 10, failureLimit: 2, successCondition: 'result >= 0.95', provider: web('/bad') }])]);
  assert.equal(await r.done, 'Failed');
  assert.equal(r.snapshot().metrics[0]?.measurements.length, 3);
  assert.match(r.message ?? '', /metric "rate" Failed: 3 failed measurements exceed the failure limit 2/);
});

test('a non-2xx answer is an Error measurement; consecutive errors past the limit end the run in Error', async () => {
  answers.set('/down', [{ status: 503, body: 'unavailable' }]);
  const r = run([template([{ name: 'up', interval: '1s', count: 10, consecutiveErrorLimit: 1, provider: web('/down') }])]);
  assert.equal(await r.done, 'Error');
  const m = r.snapshot().metrics[0];
  assert.equal(m?.measurements.length, 2);
  assert.match(m?.measurements[0]?.message ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/down answered 503: unavailable/);
});

test('errors then a success reset the consecutive count', async () => {
  answers.set('/flaky', [{ status: 500, body: 'x' }, { status: 500, body: 'x' }, { status: 200, body: '1' }]);
  const r = run([template([{ name: 'up', interval: '1s', count: 4, consecutiveErrorLimit: 2, successCondition: 'result == 1', provider: web('/flaky') }])]);
  assert.equal(await r.done, 'Successful');
  assert.deepEqual(r.snapshot().metrics[0]?.measurements.map((m) => m.phase), ['Error', 'Error', 'Successful', 'Successful']);
});

test('args fill {{args.x}} (with or without spaces) from the template defaults and the rollout; a missing arg makes the run an Error', async () => {
  answers.set('/svc/tinyurl', [{ status: 200, body: '{"ok":true}' }]);
  const t = template([{ name: 'ok', successCondition: 'result == true', provider: web('/svc/{{ args.service }}?env={{args.env}}', { jsonPath: '$.ok' }) }], { args: [{ name: 'service' }, { name: 'env', value: 'prod' }] });
  const r = run([t], [{ name: 'service', value: 'tinyurl' }]);
  assert.equal(await r.done, 'Successful');
  assert.equal(r.snapshot().metrics[0]?.spec.provider.web?.url, `${base}/svc/tinyurl?env=prod`);
  const missing = run([t]);
  assert.equal(await missing.done, 'Error');
  assert.match(missing.message ?? '', /analysis args without a value: service/);
  assert.throws(() => substituteArgs('{{args.nope}}', new Map()), /\{\{args\.nope\}\} has no value/);
});

test('a failing dry-run metric never decides the run', async () => {
  answers.set('/good', [{ status: 200, body: '1' }]);
  answers.set('/worse', [{ status: 200, body: '0' }]);
  const r = run([template([
    { name: 'real', successCondition: 'result == 1', provider: web('/good') },
    { name: 'trial', successCondition: 'result == 1', provider: web('/worse') },
  ], { dryRun: [{ metricName: 'trial' }] })]);
  assert.equal(await r.done, 'Successful');
  assert.deepEqual(r.snapshot().metrics.map((m) => [m.name, m.phase, m.dryRun]), [['real', 'Successful', false], ['trial', 'Failed', true]]);
});

test('one failed metric ends the run at once; terminate stops an endless metric as Successful', async () => {
  answers.set('/good', [{ status: 200, body: '1' }]);
  answers.set('/worse', [{ status: 200, body: '0' }]);
  const r = run([template([
    { name: 'forever', interval: '5s', successCondition: 'result == 1', provider: web('/good') },
    { name: 'late-fail', initialDelay: '100s', successCondition: 'result == 1', provider: web('/worse') },
  ])]);
  assert.equal(await r.done, 'Failed');
  const before = r.snapshot().metrics[0]?.measurements.length ?? 0;
  assert.ok(before >= 2, `the endless metric was measured during the initial delay (${before})`);
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(r.snapshot().metrics[0]?.measurements.length, before, 'no measurement after the run ended');

  const endless = run([template([{ name: 'forever', interval: '5s', successCondition: 'result == 1', provider: web('/good') }])]);
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(endless.phase, 'Running');
  endless.terminate();
  assert.equal(await endless.done, 'Successful');
  assert.equal(endless.message, 'terminated');
});

test('count without interval, and a metric name in two templates, are refused with the template and metric named', async () => {
  const r = run([template([{ name: 'm', count: 3, provider: web('/good') }])]);
  assert.equal(await r.done, 'Error');
  assert.match(r.message ?? '', /template t, metric m: count 3 needs an interval/);
  const twice = run([template([{ name: 'm', provider: web('/good') }]), template([{ name: 'm', provider: web('/good') }])]);
  assert.match((await twice.done, twice.message) ?? '', /metric "m" appears in more than one template/);
});

test('jsonPath: dots, indexes and quoted names; a miss says where', () => {
  const data = { items: [{ 'a-b': { v: 3 } }] };
  assert.equal(evaluateJsonPath(data, "{$.items[0]['a-b'].v}"), 3);
  assert.deepEqual(evaluateJsonPath(data, '$'), data);
  assert.throws(() => evaluateJsonPath(data, '{$.items[1]}'), /nothing at \.items\[1\]/);
  assert.throws(() => evaluateJsonPath(data, 'items'), /expected it to start with \$/);
  assert.throws(() => evaluateJsonPath(data, '$..x'), /cannot read/);
});

test('prometheus provider: a vector becomes an array of numbers, a scalar a number, a failed query an Error with its message', async () => {
  answers.set('/vec/api/v1/query', [{ status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.97'] }, { metric: {}, value: [1, 'NaN'] }] } }) }]);
  answers.set('/sca/api/v1/query', [{ status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }) }]);
  answers.set('/err/api/v1/query', [{ status: 400, body: JSON.stringify({ status: 'error', error: 'parse error at char 5' }) }]);
  const measure = prometheusProvider();
  const signal = new AbortController().signal;
  const spec = (p: string) => template([{ name: 'q', provider: { prometheus: { address: `${base}${p}/`, query: 'sum(up)' } } }]).spec.metrics[0] as AnalysisTemplate['spec']['metrics'][number];
  const vec = await measure(spec('/vec'), signal);
  assert.equal((vec.value as number[])[0], 0.97);
  assert.ok(Number.isNaN((vec.value as number[])[1]));
  assert.deepEqual(await measure(spec('/sca'), signal), { value: 2 });
  await assert.rejects(measure(spec('/err'), signal), /Prometheus query failed: parse error at char 5; query: sum\(up\)/);
  await assert.rejects(measure(spec('/nothing'), signal), /something that is not its API/);
  await assert.rejects(measure({ ...spec('/x'), provider: { prometheus: { address: 'http://127.0.0.1:1', query: 'up' } } } as never, signal), /did not answer/);
});

test('job metric: exit 0 succeeds, a failure is retried backoffLimit times, the deadline stops it', async () => {
  const dir = tempDataDir('job');
  const marks = path.join(dir, 'attempts');
  const job = (script: string, spec: Record<string, unknown> = {}) => ({
    job: { spec: { ...spec, template: { spec: { containers: [{ name: 'check', image: 'busybox', command: ['sh', '-c'], args: [script] }], restartPolicy: 'Never' } } } },
  });
  const ok = run([template([{ name: 'ok', provider: job('echo checked') }])]);
  assert.equal(await ok.done, 'Successful');
  assert.match(ok.snapshot().metrics[0]?.measurements[0]?.message ?? '', /succeeded \(attempt 1\): checked/);

  const failing = run([template([{ name: 'no', provider: job(`echo x >> ${marks}; echo broken >&2; exit 3`, { backoffLimit: 2 }) }])]);
  assert.equal(await failing.done, 'Failed');
  assert.equal(fs.readFileSync(marks, 'utf8').trim().split('\n').length, 3);
  assert.match(failing.snapshot().metrics[0]?.measurements[0]?.message ?? '', /failed after 3 attempt\(s\): the last exited with 3; output:\nbroken/);

  // 300 s at a time scale of 0.001 is 300 ms.
  const slow = run([template([{ name: 'slow', provider: job('sleep 5', { backoffLimit: 0, activeDeadlineSeconds: 300 }) }])]);
  assert.equal(await slow.done, 'Failed');
  assert.match(slow.snapshot().metrics[0]?.measurements[0]?.message ?? '', /stopped at its deadline of 300 s/);
});
