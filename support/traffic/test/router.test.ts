import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort, startTestService } from '../../../services/common/testing.ts';
import { demo } from '../../../services/demo/app.ts';
import { runOpenModelLoad } from '../load.ts';
import type { OutlierDetection } from '../outlier-detection.ts';
import { ServiceRouter, type Backend } from '../router.ts';

/** A backend that answers with its name as version and echoes what it saw. */
async function backend(name: string, handler?: http.RequestListener) {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-app-version': name });
        res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const b: Backend = { id: name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, version: name };
  return { backend: b, server, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function router(t: { after: (fn: () => unknown) => void }, opts: Partial<ConstructorParameters<typeof ServiceRouter>[0]> = {}) {
  const r = new ServiceRouter({ service: 'web', ...opts });
  await r.listen();
  t.after(() => r.close());
  return r;
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, version: res.headers.get('x-app-version'), body: await res.text() };
};

test('weights are exact over every window: 10/90 gives 10 and 90 of each 100 requests', async (t) => {
  const stable = await backend('stable');
  const canary = await backend('canary');
  t.after(stable.close);
  t.after(canary.close);
  const r = await router(t);
  await r.setGroups([
    { name: 'stable', weight: 90, backends: [stable.backend] },
    { name: 'canary', weight: 10, backends: [canary.backend] },
  ]);
  for (let window = 0; window < 3; window++) {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const v = (await get(r.url)).version as string;
      seen[v] = (seen[v] ?? 0) + 1;
    }
    assert.deepEqual(seen, { stable: 90, canary: 10 });
  }
  const stats = r.stats();
  assert.equal(stats.backends.find((b) => b.id === 'canary')?.byClass['2xx'], 30);
  assert.deepEqual(stats.groups, [
    { name: 'stable', weight: 90, backends: ['stable'] },
    { name: 'canary', weight: 10, backends: ['canary'] },
  ]);
});

test('replicas of a group share its traffic in turn; a group without backends gets none', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  t.after(a.close);
  t.after(b.close);
  const r = await router(t);
  await r.setGroups([
    { name: 'stable', weight: 50, backends: [a.backend, b.backend] },
    { name: 'canary', weight: 50, backends: [] },
  ]);
  const versions = [];
  for (let i = 0; i < 6; i++) versions.push((await get(r.url)).version);
  assert.deepEqual(versions, ['a', 'b', 'a', 'b', 'a', 'b']);
});

test('forwarded headers are added and the client headers preserved', async (t) => {
  const a = await backend('a');
  t.after(a.close);
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [a.backend] }]);
  const seen = JSON.parse((await get(`${r.url}/path?q=1`, { 'x-custom': 'kept', 'x-forwarded-for': '203.0.113.9' })).body);
  assert.equal(seen.url, '/path?q=1');
  assert.equal(seen.headers['x-custom'], 'kept');
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], new URL(r.url).host);
});

test('no backend: a 503 that names the service', async (t) => {
  const r = await router(t);
  const res = await get(r.url);
  assert.equal(res.status, 503);
  assert.equal(JSON.parse(res.body).error, 'no ready backend for service "web"');
  assert.equal(r.stats().noBackend, 1);
  await assert.rejects(r.setGroups([{ name: 'x', weight: -1, backends: [] }]), /weight of group "x" must be 0 or more/);
});

test('a refused connection is retried on another backend; a dead group alone answers 502', async (t) => {
  const live = await backend('live');
  t.after(live.close);
  const dead: Backend = { id: 'dead', url: `http://127.0.0.1:${await freePort()}`, version: 'dead' };
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [dead, live.backend] }]);
  for (let i = 0; i < 6; i++) assert.equal((await get(r.url)).status, 200);
  assert.ok(r.stats().retries >= 3, `retries ${r.stats().retries}`);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [dead] }]);
  const res = await get(r.url);
  assert.equal(res.status, 502);
  assert.match(JSON.parse(res.body).error, /backend dead of service "web" failed: connect ECONNREFUSED/);
  assert.equal(r.stats().backends.find((b) => b.id === 'dead')?.byClass.error, 1);
});

test('a backend that accepts and closes without answering (a port proxy in front of a dead container): GETs are sent again elsewhere, a POST is not', async (t) => {
  const live = await backend('live');
  t.after(live.close);
  const net = await import('node:net');
  const hangUp = net.createServer((socket) => socket.destroy());
  await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => hangUp.close(() => r())));
  const gone: Backend = { id: 'gone', url: `http://127.0.0.1:${(hangUp.address() as AddressInfo).port}`, version: 'gone' };
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [gone, live.backend] }]);
  for (let i = 0; i < 6; i++) assert.equal((await get(r.url)).status, 200);
  assert.ok(r.stats().retries >= 3, `retries ${r.stats().retries}`);
  const posts = await Promise.all([0, 1].map(async () => (await fetch(r.url, { method: 'POST', body: 'x' })).status));
  assert.deepEqual(posts.sort(), [200, 502], 'the POST that reached the closing backend is not sent twice');
});

test('bodies stream through for POST; the backend answers as it likes', async (t) => {
  const echo = await backend('echo', (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(201, { 'x-app-version': 'echo' });
      res.end(`${req.method} ${body}`);
    });
  });
  t.after(echo.close);
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [echo.backend] }]);
  const res = await fetch(r.url, { method: 'POST', body: 'hello' });
  assert.equal(res.status, 201);
  assert.equal(await res.text(), 'POST hello');
});

test('switching groups under 200 req/s loses no request, and the old backend drains', async (t) => {
  const blue = await startTestService(demo, { APP_VERSION: 'blue', RATE_LIMIT_PER_MINUTE: '0', FAULT_LATENCY_MS: '20' });
  const green = await startTestService(demo, { APP_VERSION: 'green', RATE_LIMIT_PER_MINUTE: '0', FAULT_LATENCY_MS: '20' });
  t.after(blue.stop);
  t.after(green.stop);
  const r = await router(t);
  await r.setGroups([{ name: 'active', weight: 1, backends: [{ id: 'blue-0', url: blue.url, version: 'blue' }] }]);
  let switched: Promise<{ drained: boolean }> | undefined;
  setTimeout(() => {
    switched = r.setGroups([{ name: 'active', weight: 1, backends: [{ id: 'green-0', url: green.url, version: 'green' }] }]);
  }, 1000);
  const result = await runOpenModelLoad({ target: r.url, ratePerSecond: 200, durationMs: 2000, request: () => ({ path: '/color' }) });
  assert.equal(result.sent, 400);
  assert.deepEqual(result.statuses, { '200': 400 }, JSON.stringify(result.errors));
  assert.equal(result.failed, 0);
  assert.ok((result.versions.blue ?? 0) > 150 && (result.versions.green ?? 0) > 150, JSON.stringify(result.versions));
  assert.deepEqual(await switched, { drained: true });
  assert.deepEqual(r.stats().backends.map((b) => b.id), ['green-0']);
  for (let i = 0; i < 5; i++) assert.equal((await get(`${r.url}/color`)).body, '"green"');
});

test('a backend removed with requests in flight finishes them; past the drain timeout they are cut', async (t) => {
  const slow = await backend('slow', (_req, res) => setTimeout(() => res.end('late'), 400));
  const fast = await backend('fast');
  t.after(slow.close);
  t.after(fast.close);
  const patient = await router(t, { drainTimeoutMs: 2000 });
  await patient.setGroups([{ name: 'g', weight: 1, backends: [slow.backend] }]);
  const inFlight = get(patient.url);
  await new Promise((r) => setTimeout(r, 100));
  const switched = await patient.setGroups([{ name: 'g', weight: 1, backends: [fast.backend] }]);
  assert.deepEqual(switched, { drained: true });
  assert.equal((await inFlight).body, 'late');

  const hasty = await router(t, { drainTimeoutMs: 100 });
  await hasty.setGroups([{ name: 'g', weight: 1, backends: [{ ...slow.backend, id: 'slow-2' }] }]);
  const cut = get(hasty.url);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await hasty.setGroups([{ name: 'g', weight: 1, backends: [fast.backend] }]), { drained: false });
  const answer = await cut;
  assert.equal(answer.status, 502);
  assert.match(JSON.parse(answer.body).error, /drain timeout: request cut/);
});

test('a drain is watched in the stats (state, requests and upgrades in flight) and cancelled when the backend is listed again before it has drained', async (t) => {
  const slow = await backend('slow', (_req, res) => setTimeout(() => res.end('late'), 500));
  const fast = await backend('fast');
  t.after(slow.close);
  t.after(fast.close);
  const r = await router(t, { drainTimeoutMs: 5000 });
  await r.setGroups([{ name: 'g', weight: 1, backends: [slow.backend] }]);
  const inFlight = get(r.url);
  await new Promise((resolve) => setTimeout(resolve, 100));
  let settled = false;
  const removed = r.setGroups([{ name: 'g', weight: 1, backends: [fast.backend] }]).then((x) => ((settled = true), x));
  const draining = r.stats().backends.find((b) => b.id === slow.backend.id);
  assert.deepEqual({ state: draining?.state, inFlight: draining?.inFlight, openUpgrades: draining?.openUpgrades }, { state: 'draining', inFlight: 1, openUpgrades: 0 });
  // Listed again (a rollback within the drain): the drain ends at once, nothing is cut.
  await r.setGroups([{ name: 'g', weight: 1, backends: [slow.backend] }]);
  assert.deepEqual(await removed, { drained: true });
  assert.ok(settled);
  const back = r.stats().backends.find((b) => b.id === slow.backend.id);
  assert.equal(back?.state, 'active');
  assert.equal(r.stats().drainsCancelled, 1);
  assert.equal((await inFlight).body, 'late', 'the request in flight finished on its backend');
  assert.equal((await get(r.url)).body, 'late', 'and the backend takes new requests');
});

test('WebSocket upgrades are proxied and count against draining', async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    wss.close();
    server.close();
  });
  const r = await router(t, { drainTimeoutMs: 300 });
  await r.setGroups([{ name: 'g', weight: 1, backends: [{ id: 'ws', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }] }]);
  const ws = new WebSocket(`${r.url.replace('http', 'ws')}/socket`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const reply = new Promise((resolve) => ws.once('message', (m) => resolve(String(m))));
  ws.send('hi');
  assert.equal(await reply, 'echo hi');
  const closed = new Promise((resolve) => ws.once('close', resolve));
  assert.deepEqual(await r.setGroups([]), { drained: false }, 'an open WebSocket is cut at the drain timeout');
  await closed;
});

/** Opens a WebSocket through the router: resolves with the HTTP status it was refused with, or 101 once open. */
function wsOpen(url: string): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket`);
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

test('WebSocket errors: no backend is a 503, a refused upgrade passes on what the backend answered, a dead or mute backend a bounded 502, a backend gone mid-conversation closes the client', async (t) => {
  const r = await router(t, { upstreamTimeoutMs: 300 });
  assert.equal((await wsOpen(r.url)).status, 503, 'no backend');

  const refusing = await backend('refusing', (_req, res) => res.writeHead(403).end('no sockets for you'));
  t.after(refusing.close);
  await r.setGroups([{ name: 'g', weight: 1, backends: [refusing.backend] }]);
  assert.equal((await wsOpen(r.url)).status, 403, 'the backend said no: its answer goes on');

  const dead = { id: 'dead', url: `http://127.0.0.1:${await freePort()}`, version: 'dead' };
  await r.setGroups([{ name: 'g', weight: 1, backends: [dead] }]);
  assert.equal((await wsOpen(r.url)).status, 502, 'nobody listens there');

  const held: import('node:stream').Duplex[] = [];
  const mute = http.createServer();
  mute.on('upgrade', (_req, socket) => held.push(socket));
  await new Promise<void>((res) => mute.listen(0, '127.0.0.1', res));
  t.after(() => {
    for (const h of held) h.destroy();
    mute.close();
  });
  await r.setGroups([{ name: 'g', weight: 1, backends: [{ id: 'mute', url: `http://127.0.0.1:${(mute.address() as AddressInfo).port}`, version: 'mute' }] }]);
  const started = Date.now();
  assert.equal((await wsOpen(r.url)).status, 502, 'a backend that never answers the upgrade');
  assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms, the upstream timeout is 300 ms`);

  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', () => ws.terminate()));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => {
    wss.close();
    server.close();
  });
  await r.setGroups([{ name: 'g', weight: 1, backends: [{ id: 'ws', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, version: 'ws' }] }]);
  const open = await wsOpen(r.url);
  assert.equal(open.status, 101);
  const closed = new Promise((resolve) => open.ws?.once('close', resolve));
  open.ws?.send('bye');
  await closed;
  const stats = r.stats().backends;
  assert.equal(stats.find((b) => b.id === 'ws')?.openUpgrades, 0, 'the closed WebSocket no longer holds its backend');
});

test('faults: an even share aborted with a status, a delay added, limited to a group', async (t) => {
  const a = await backend('a');
  t.after(a.close);
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 1, backends: [a.backend] }]);
  r.setFaults({ abortShare: 0.5, abortStatus: 500 });
  const statuses = [];
  for (let i = 0; i < 10; i++) statuses.push((await get(r.url)).status);
  assert.deepEqual(statuses, [200, 500, 200, 500, 200, 500, 200, 500, 200, 500]);
  r.setFaults({ delayMs: 100 });
  const started = performance.now();
  await get(r.url);
  assert.ok(performance.now() - started >= 90);
  r.setFaults({ abortShare: 1, group: 'canary' });
  assert.equal((await get(r.url)).status, 200, 'the fault is only for the canary group');
  assert.equal(r.stats().injectedAborts, 5);
  assert.equal(r.stats().injectedDelays, 1);
});

test('metrics in Prometheus format, per backend and status class', async (t) => {
  const a = await backend('a', (_req, res) => {
    res.writeHead(404, { 'x-app-version': 'v9' });
    res.end();
  });
  t.after(a.close);
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 100, backends: [{ ...a.backend, version: 'v9' }] }]);
  await get(r.url);
  const text = await r.prometheus();
  assert.match(text, /cutover_router_requests_total\{service="web",group="stable",backend="a",version="v9",code_class="4xx"\} 1/);
  assert.match(text, /cutover_router_request_duration_seconds_count\{service="web",group="stable",backend="a",version="v9",code_class="4xx"\} 1/);
  assert.match(text, /cutover_router_group_weight\{service="web",group="stable"\} 100/);
  assert.ok(r.registry);
});

test('bytes to and from each backend and requests in flight, for every router of a shared registry', async (t) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const a = await backend('a', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answer = () => res.writeHead(200).end(`got ${body.length} bytes`);
      if (req.url === '/hold') void held.then(answer);
      else answer();
    });
  });
  t.after(a.close);
  const r1 = await router(t);
  const r2 = await router(t, { service: 'api', registry: r1.registry });
  await r1.setGroups([{ name: 'stable', weight: 100, backends: [a.backend] }]);
  await r2.setGroups([{ name: 'stable', weight: 100, backends: [{ ...a.backend, id: 'a2' }] }]);
  const posted = await fetch(r1.url, { method: 'POST', body: 'x'.repeat(1000) });
  assert.equal(await posted.text(), 'got 1000 bytes');
  const waiting = fetch(`${r2.url}/hold`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const text = await r1.prometheus();
  assert.match(text, /cutover_router_backend_bytes_total\{service="web",group="stable",backend="a",version="a",direction="sent"\} 1000/);
  assert.match(text, /cutover_router_backend_bytes_total\{service="web",group="stable",backend="a",version="a",direction="received"\} 14/);
  assert.match(text, /cutover_router_in_flight_requests\{service="web",group="stable",backend="a",version="a"\} 0/);
  assert.match(text, /cutover_router_in_flight_requests\{service="api",group="stable",backend="a2",version="a"\} 1/);
  release();
  assert.equal((await waiting).status, 200);
});

test("W3C traceparent: the caller's trace goes on with the router as parent; a trace starts when none or an invalid one came", async (t) => {
  const a = await backend('a');
  t.after(a.close);
  const r = await router(t);
  await r.setGroups([{ name: 'stable', weight: 100, backends: [a.backend] }]);
  const seen = async (headers: Record<string, string>) => (JSON.parse((await get(r.url, headers)).body) as { headers: Record<string, string> }).headers.traceparent as string;
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  const kept = await seen({ traceparent: incoming });
  assert.match(kept, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
  assert.notEqual(kept, incoming, 'the router is the new parent');
  for (const bad of [undefined, 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01']) {
    const started = await seen(bad === undefined ? {} : { traceparent: bad });
    assert.match(started, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.ok(!started.includes('00000000000000000000000000000000'));
  }
  assert.notEqual(await seen({}), await seen({}), 'each request its own trace');
});

// Outlier detection: the policy as the Service annotation gives it, in milliseconds.
const breakerPolicy = (over: Partial<OutlierDetection> = {}): OutlierDetection => ({ consecutiveFailures: 3, baseEjectionMs: 300, maxEjectionMs: 1000, maxEjectionPercent: 50, ...over });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A backend that answers 500 while `failing` is set. */
async function flakyBackend(name: string) {
  const state = { failing: true };
  const b = await backend(name, (_req, res) => {
    res.writeHead(state.failing ? 500 : 200, { 'x-app-version': name });
    res.end(state.failing ? 'broken' : 'ok');
  });
  return { ...b, state };
}

test('circuit breaker: a backend failing 3 times in a row is ejected, tried once after the ejection time (longer each time), and back in rotation when it answers', async (t) => {
  const good = await backend('good');
  const flaky = await flakyBackend('flaky');
  t.after(good.close);
  t.after(flaky.close);
  // Ejections of 500 ms, then 1 s: long enough for a slow machine to send the requests within them.
  const r = await router(t, { outlierDetection: breakerPolicy({ baseEjectionMs: 500, maxEjectionMs: 2000 }) });
  await r.setGroups([{ name: 'stable', weight: 1, backends: [good.backend, flaky.backend] }]);
  const statuses = async (n: number) => {
    const seen: number[] = [];
    for (let i = 0; i < n; i++) seen.push((await get(r.url)).status);
    return seen;
  };
  const flakyStats = () => r.stats().backends.find((b) => b.id === 'flaky');
  // In turn: flaky answers every second request until its third failure in a row ejects it.
  assert.deepEqual(await statuses(6), [200, 500, 200, 500, 200, 500]);
  assert.equal(flakyStats()?.breaker?.state, 'open');
  assert.deepEqual(await statuses(10), Array(10).fill(200), 'an ejected backend gets nothing');
  assert.match(await r.prometheus(), /cutover_router_backend_ejected\{service="web",group="stable",backend="flaky",version="flaky"\} 1/);
  // After 500 ms one trial goes through; it fails, so it is ejected again, for 1 s.
  await sleep(550);
  assert.equal(flakyStats()?.breaker?.state, 'half-open');
  const trial = await statuses(4);
  assert.equal(trial.filter((s) => s === 500).length, 1, `one trial: ${trial}`);
  assert.equal(flakyStats()?.breaker?.ejections, 2);
  await sleep(550);
  assert.deepEqual(await statuses(6), Array(6).fill(200), 'the second ejection lasts twice as long');
  // Healed: the next trial succeeds and it shares the traffic again.
  flaky.state.failing = false;
  await sleep(500);
  await statuses(10);
  const stats = flakyStats();
  assert.equal(stats?.breaker?.state, 'closed');
  assert.ok((stats?.byClass['2xx'] ?? 0) >= 4, `back in rotation: ${JSON.stringify(stats?.byClass)}`);
  assert.equal(stats?.byClass['5xx'], 4, 'every failure counted: 3 before the first ejection, 1 trial');
  assert.equal(r.stats().ejections, 2);
  assert.match(await r.prometheus(), /cutover_router_backend_ejections\{service="web",group="stable",backend="flaky",version="flaky"\} 2/);
});

test("circuit breaker: at most maxEjectionPercent of a Service's backends are out; a sole backend is never ejected; an ejected canary's weight goes to stable; all ejected, all serve", async (t) => {
  const stable = await backend('stable');
  const canary = await flakyBackend('canary');
  t.after(stable.close);
  t.after(canary.close);
  const r = await router(t, { outlierDetection: breakerPolicy({ baseEjectionMs: 60_000 }) });
  // A sole backend: 50% of 1 is none, so it keeps answering (its 500s, not 503s).
  await r.setGroups([{ name: 'canary', weight: 1, backends: [canary.backend] }]);
  for (let i = 0; i < 5; i++) assert.equal((await get(r.url)).status, 500);
  assert.equal(r.stats().ejections, 0);
  // Canary beside stable at 50/50: the canary's third failure in a row ejects it and its group gets nothing.
  await r.setGroups([
    { name: 'stable', weight: 50, backends: [stable.backend] },
    { name: 'canary', weight: 50, backends: [canary.backend] },
  ]);
  const versions: string[] = [];
  for (let i = 0; i < 10; i++) versions.push((await get(r.url)).version as string);
  assert.ok(versions.slice(-6).every((v) => v === 'stable'), `after the ejection all goes to stable: ${versions}`);
  assert.equal(r.stats().backends.find((b) => b.id === 'canary')?.breaker?.state, 'open');
  // Both failing, both may be ejected: with no backend left in rotation the router routes to all (panic), not 503.
  const stable2 = await flakyBackend('stable2');
  t.after(stable2.close);
  r.setOutlierDetection(breakerPolicy({ baseEjectionMs: 60_000, maxEjectionPercent: 100 }));
  await r.setGroups([
    { name: 'stable', weight: 50, backends: [stable2.backend] },
    { name: 'canary', weight: 50, backends: [canary.backend] },
  ]);
  for (let i = 0; i < 10; i++) assert.equal((await get(r.url)).status, 500);
  assert.deepEqual(r.stats().backends.filter((b) => b.state === 'active').map((b) => b.breaker?.state), ['open', 'open']);
  // Turned off: every backend back in rotation, no breaker in the stats.
  r.setOutlierDetection(undefined);
  assert.ok(r.stats().backends.every((b) => b.breaker === undefined));
});

test('circuit breaker: a dead backend costs a retry per request until it is ejected, then none', async (t) => {
  const live = await backend('live');
  t.after(live.close);
  const dead: Backend = { id: 'dead', url: `http://127.0.0.1:${await freePort()}`, version: 'dead' };
  const r = await router(t, { outlierDetection: breakerPolicy({ baseEjectionMs: 60_000 }) });
  await r.setGroups([{ name: 'stable', weight: 1, backends: [dead, live.backend] }]);
  for (let i = 0; i < 20; i++) assert.equal((await get(r.url)).status, 200);
  assert.equal(r.stats().retries, 3, 'refused 3 times, then ejected');
  assert.equal(r.stats().backends.find((b) => b.id === 'dead')?.breaker?.state, 'open');
});
