import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../../services/common/testing.ts';
import { runOpenModelLoad } from '../load.ts';

async function server(handler: http.RequestListener) {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
}

test('sends exactly rate × duration requests and counts every answer by status and version', async (t) => {
  let n = 0;
  const s = await server((req, res) => {
    n++;
    res.writeHead(n % 4 === 0 ? 503 : 200, { 'x-app-version': n % 2 ? 'v1' : 'v2' });
    res.end(req.url);
  });
  t.after(s.close);
  const seen: string[] = [];
  const result = await runOpenModelLoad({
    target: s.url,
    ratePerSecond: 200,
    durationMs: 1000,
    request: (i) => {
      seen.push(`/item/${i}`);
      return { path: `/item/${i}` };
    },
  });
  assert.equal(result.scheduled, 200);
  assert.equal(result.sent, 200);
  assert.equal(result.completed, 200);
  assert.equal(n, 200, 'the server saw every request');
  assert.deepEqual(result.statuses, { '200': 150, '503': 50 });
  assert.equal(result.failed, 50);
  assert.deepEqual(result.versions, { v1: 100, v2: 100 });
  assert.equal(seen.length, 200);
  assert.ok(result.achievedRate > 180 && result.achievedRate <= 201, `achieved ${result.achievedRate}`);
  assert.equal(result.keptRate, true);
  assert.equal(result.latency.count, 200);
});

test('latency is measured from the schedule: a slow server shows its delay', async (t) => {
  const s = await server((_req, res) => setTimeout(() => res.end('ok'), 80));
  t.after(s.close);
  const result = await runOpenModelLoad({ target: s.url, ratePerSecond: 50, durationMs: 600 });
  assert.ok(result.latency.p50Ms >= 80, `p50 ${result.latency.p50Ms}`);
  assert.ok(result.latency.maxMs < 1000);
  assert.equal(result.completed, 30);
});

test('transport errors are counted by code', async () => {
  const port = await freePort();
  const result = await runOpenModelLoad({ target: `http://127.0.0.1:${port}`, ratePerSecond: 20, durationMs: 500 });
  assert.equal(result.completed, 0);
  assert.equal(result.failed, 10);
  assert.deepEqual(result.errors, { ECONNREFUSED: 10 });
});

test('a generator that cannot keep the rate says so', async (t) => {
  const s = await server((_req, res) => setTimeout(() => res.end('ok'), 300));
  t.after(s.close);
  const result = await runOpenModelLoad({ target: s.url, ratePerSecond: 100, durationMs: 500, maxInFlight: 5 });
  assert.ok(result.skipped > 0);
  assert.equal(result.keptRate, false);
  assert.equal(result.sent + result.skipped, result.scheduled);
});

test('timeouts, bodies, methods, progress, and an early stop', async (t) => {
  const bodies: string[] = [];
  const s = await server((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(`${req.method} ${body}`);
      if (body === 'hang') return;
      res.end();
    });
  });
  t.after(s.close);
  const progress: number[] = [];
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 1300);
  const result = await runOpenModelLoad({
    target: s.url,
    ratePerSecond: 10,
    durationMs: 5000,
    timeoutMs: 200,
    request: (i) => ({ method: 'POST', path: '/', body: i === 0 ? 'hang' : `n${i}`, headers: { 'content-type': 'text/plain' } }),
    onProgress: (p) => progress.push(p.sent),
    signal: controller.signal,
  });
  assert.ok(result.sent >= 12 && result.sent <= 15, `sent ${result.sent}`);
  assert.deepEqual(result.errors, { UND_ERR_HEADERS_TIMEOUT: 1 });
  assert.equal(bodies[1], 'POST n1');
  assert.ok(progress.length >= 1);
  assert.ok(result.achievedRate > 8 && result.achievedRate < 12, `achieved ${result.achievedRate}`);
  await assert.rejects(runOpenModelLoad({ target: s.url, ratePerSecond: 0, durationMs: 1 }), /rate above 0/);
});

test('a generator whose sends stall says so, and the stall shows as latency', async (t) => {
  const s = await server((_req, res) => res.end('ok'));
  t.after(s.close);
  // The event loop is blocked for 900 ms: the requests due meanwhile go out late.
  setTimeout(() => {
    const until = Date.now() + 900;
    while (Date.now() < until);
  }, 100);
  const result = await runOpenModelLoad({ target: s.url, ratePerSecond: 100, durationMs: 1000 });
  assert.equal(result.skipped, 0);
  assert.ok(result.sendLagP99Ms > 500, `send lag p99 ${result.sendLagP99Ms} ms`);
  assert.equal(result.keptRate, false);
  assert.ok(result.latency.p99Ms > 500, `latency p99 ${result.latency.p99Ms} ms counts the lateness`);
});
