import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createServiceApp, createStoredServiceApp } from '../app.ts';
import { readServiceConfig } from '../config.ts';
import { startService } from '../lifecycle.ts';
import { call, tempDataDir } from '../testing.ts';
import { parseInput } from '../validation.ts';

async function startProbe(env: Record<string, string> = {}, ready = () => true) {
  const config = readServiceConfig('probe', 0, { PORT: '0', LOG_LEVEL: 'silent', ...env });
  const service = await createServiceApp({ service: 'probe', config, isReady: ready });
  service.app.post('/echo', async (request) => parseInput(z.object({ name: z.string().min(2) }), request.body, 'body'));
  service.app.get('/boom', async () => {
    throw new Error('secret detail at /srv/app.ts:12');
  });
  service.app.get('/teapot', async () => {
    throw Object.assign(new Error('short and stout'), { statusCode: 418 });
  });
  const running = await startService(service, config);
  return { url: running.url, stop: running.stop, service };
}

test('every response carries X-App-Version; health, ready and metrics answer', async (t) => {
  const s = await startProbe({ APP_VERSION: 'v7' });
  t.after(s.stop);
  const health = await call(`${s.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('x-app-version'), 'v7');
  assert.deepEqual(health.json, { status: 'ok', version: 'v7' });
  assert.equal((await call(`${s.url}/ready`)).status, 200);
  const missing = await call(`${s.url}/nope?x=1`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('x-app-version'), 'v7');
  assert.equal(missing.json.error, 'no route for GET /nope');
  const metrics = await call(`${s.url}/metrics`);
  assert.match(metrics.text, /http_requests_total\{method="GET",route="\/health",status="200",version="v7",service="probe"\} 1/);
  assert.match(metrics.text, /http_request_duration_seconds_bucket\{le="0.05",service="probe",method="GET",route="\/health",status="200",version="v7"\} 1/);
  assert.match(metrics.text, /process_cpu_user_seconds_total/);
  // The scrape itself is in flight while it is answered, on an open connection.
  assert.match(metrics.text, /http_requests_in_flight\{version="v7",service="probe"\} 1\n/);
  assert.match(metrics.text, /http_open_connections\{service="probe"\} [1-9]/);
  assert.match(metrics.text, /route="unmatched",status="404"/);
  // The trace id of a well-formed traceparent answers back (and is every log line's reqId); otherwise a new one.
  const traced = await call(`${s.url}/health`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
  assert.equal(traced.headers.get('x-trace-id'), '4bf92f3577b34da6a3ce929d0e0e4736');
  const untraced = await call(`${s.url}/health`, { headers: { traceparent: 'nonsense' } });
  assert.match(untraced.headers.get('x-trace-id') ?? '', /^[0-9a-f]{32}$/);
  assert.notEqual(untraced.headers.get('x-trace-id'), (await call(`${s.url}/health`)).headers.get('x-trace-id'));
});

test('readiness follows storage and fails while draining', async (t) => {
  let ready = false;
  const s = await startProbe({}, () => ready);
  t.after(s.stop);
  assert.equal((await call(`${s.url}/ready`)).json.status, 'not ready');
  ready = true;
  assert.equal((await call(`${s.url}/ready`)).status, 200);
  s.service.startDraining();
  const draining = await call(`${s.url}/ready`);
  assert.equal(draining.status, 503);
  assert.equal(draining.json.status, 'draining');
  assert.equal(draining.headers.get('connection'), 'close');
});

test('secure headers on every response', async (t) => {
  const s = await startProbe();
  t.after(s.stop);
  const h = (await call(`${s.url}/health`)).headers;
  assert.match(h.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
  assert.match(h.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(h.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(h.get('x-frame-options'), 'DENY');
  assert.equal(h.get('x-content-type-options'), 'nosniff');
});

test('validation errors are 400 with field-level messages; other errors hide their detail', async (t) => {
  const s = await startProbe();
  t.after(s.stop);
  const bad = await call(`${s.url}/echo`, { body: { name: 'x' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error, 'invalid input');
  assert.equal(bad.json.fields[0].field, 'body.name');
  assert.equal((await call(`${s.url}/echo`, { body: { name: 'ok' } })).json.name, 'ok');
  const malformed = await call(`${s.url}/echo`, { body: '{not json' });
  assert.equal(malformed.status, 400);
  const boom = await call(`${s.url}/boom`);
  assert.equal(boom.status, 500);
  assert.deepEqual(boom.json, { error: 'internal error' });
  assert.doesNotMatch(boom.text, /secret|\.ts|at /);
  assert.equal((await call(`${s.url}/teapot`)).status, 418);
});

test('request bodies over the limit are refused with 413', async (t) => {
  const s = await startProbe({ BODY_LIMIT_BYTES: '1024' });
  t.after(s.stop);
  const big = await call(`${s.url}/echo`, { body: { name: 'x'.repeat(2000) } });
  assert.equal(big.status, 413);
});

test('fault knobs: the configured share of user requests fail, operational routes never', async (t) => {
  const s = await startProbe({ FAULT_ERROR_RATE: '0.5' });
  t.after(s.stop);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await call(`${s.url}/echo`, { body: { name: 'ok' } })).status);
  assert.equal(statuses.filter((x) => x === 500).length, 5);
  for (let i = 0; i < 5; i++) assert.equal((await call(`${s.url}/health`)).status, 200);
});

test('rate limit: 100 per minute per client by default; health checks are exempt', async (t) => {
  const s = await startProbe();
  t.after(s.stop);
  const statuses: number[] = [];
  for (let i = 0; i < 101; i++) statuses.push((await call(`${s.url}/nope`)).status);
  assert.equal(statuses.filter((x) => x === 404).length, 100);
  const limited = await call(`${s.url}/nope`);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('x-app-version'), 'v1');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await call(`${s.url}/health`)).status, 200);
});

test('X-Forwarded-For is believed only from a trusted proxy', async (t) => {
  const untrusting = await startProbe({ RATE_LIMIT_PER_MINUTE: '3' });
  t.after(untrusting.stop);
  for (let i = 0; i < 3; i++) {
    await call(`${untrusting.url}/nope`, { headers: { 'x-forwarded-for': `10.0.0.${i}` } });
  }
  // Spoofed addresses do not buy a fresh budget.
  assert.equal((await call(`${untrusting.url}/nope`, { headers: { 'x-forwarded-for': '10.9.9.9' } })).status, 429);

  const trusting = await startProbe({ RATE_LIMIT_PER_MINUTE: '3', TRUSTED_PROXIES: '127.0.0.1' });
  t.after(trusting.stop);
  for (let i = 0; i < 3; i++) await call(`${trusting.url}/nope`, { headers: { 'x-forwarded-for': '192.0.2.1' } });
  assert.equal((await call(`${trusting.url}/nope`, { headers: { 'x-forwarded-for': '192.0.2.1' } })).status, 429);
  assert.equal((await call(`${trusting.url}/nope`, { headers: { 'x-forwarded-for': '192.0.2.2' } })).status, 404);
});

test('rate limiting can be switched off with 0', async (t) => {
  const s = await startProbe({ RATE_LIMIT_PER_MINUTE: '0' });
  t.after(s.stop);
  for (let i = 0; i < 120; i++) assert.equal((await call(`${s.url}/nope`)).status, 404);
});

test('an IPv6 listen address gives a bracketed URL', async (t) => {
  const s = await startProbe({ HOST: '::1' });
  t.after(s.stop);
  assert.match(s.url, /^http:\/\/\[::1\]:\d+$/);
  assert.equal((await call(`${s.url}/health`)).status, 200);
});

test('a stored service opens <dataDir>/<service>.db and is ready once its migrations are applied', async (t) => {
  const dataDir = tempDataDir('stored');
  const config = readServiceConfig('stored', 0, { PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
  const service = await createStoredServiceApp({
    service: 'stored',
    config,
    migrations: [{ id: 1, name: 'notes', sql: 'CREATE TABLE notes (body TEXT)' }],
  });
  const running = await startService(service, config, () => {
    if (service.db.open) service.db.close();
  });
  t.after(running.stop);
  assert.equal(service.db.name, `${dataDir}/stored.db`);
  assert.equal((await call(`${running.url}/ready`)).status, 200);
  service.db.close();
  assert.equal((await call(`${running.url}/ready`)).status, 503, 'closed storage is not ready');
});
