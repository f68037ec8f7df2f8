// The control API of `cutover up` over a real local platform: every route in
// CONTROL_ROUTES is served and documented, nothing is served without the
// run's token, bad input is a 400 that names the field, a refused transition
// a 409 that says why, and every answer carries the security headers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from '../../../services/common/testing.ts';
import { LocalPlatform } from '../../platform/local/platform.ts';
import { demoCanary } from '../../platform/local/test/demo-manifests.ts';
import { CONTROL_ROUTES, RateLimit, callControl, startControlServer } from '../control.ts';

const DOC = fileURLToPath(new URL('../../../docs/control-api.md', import.meta.url));
const dir = tempDataDir('control-api');
const manifest = path.join(dir, 'demo.yaml');
fs.writeFileSync(manifest, demoCanary('demo'));
const TOKEN = 'a-token-for-this-test';
const platform = new LocalPlatform({ timeScale: 0.05, dataDir: path.join(dir, 'data') });
let server: Awaited<ReturnType<typeof startControlServer>>;

before(async () => {
  await platform.applyFiles([manifest]);
  server = await startControlServer(platform, { token: TOKEN, apply: (files) => platform.applyFiles(files) });
});
after(async () => {
  await server?.close();
  await platform.close();
});

async function call(method: string, route: string, body?: unknown, token: string | null = TOKEN, raw?: string) {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> & { error?: string } };
}

test('nothing is served without the token: 401 saying where the token is', async () => {
  for (const token of [null, 'wrong', `${TOKEN}x`]) {
    const r = await call('GET', '/api/status', undefined, token);
    assert.equal(r.status, 401);
    assert.match(r.body.error ?? '', /Authorization: Bearer <token>.*\.cutover\/control\.json/);
  }
  const r = await call('POST', '/api/rollouts/demo/abort', {}, 'wrong');
  assert.equal(r.status, 401, 'a refused caller changes nothing');
  assert.equal(platform.rollout('demo').status().phase, 'Healthy');
});

test('every answer is JSON with the security headers', async () => {
  for (const route of ['/api/status', '/api/nowhere']) {
    const r = await call('GET', route);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  }
});

test('every route is served: status, events, set-image, pause, promote, abort, retry, undo, apply', async () => {
  const served = new Set<string>();
  const hit = async (method: string, route: string, body?: unknown) => {
    const r = await call(method, route, body);
    assert.notEqual(r.status, 404, `${method} ${route}: ${r.body.error}`);
    served.add(`${method} ${route.replace('/demo', '/{name}').replace(/\?.*/, '')}`);
    return r;
  };
  const status = await hit('GET', '/api/status');
  assert.deepEqual((status.body.rollouts as { name: string }[]).map((r) => r.name), ['demo']);
  assert.equal((await hit('GET', '/api/rollouts/demo')).body.phase, 'Healthy');
  const pods = (await hit('GET', '/api/pods')).body as unknown as { rollout: string; revision: number; state: string; health: { probes: number; last?: { ok: boolean } } }[];
  assert.deepEqual(pods.map((p) => [p.rollout, p.revision, p.state, p.health.last?.ok]), [['demo', 1, 'ready', true]]);
  assert.deepEqual((await hit('GET', '/api/health')).body, { level: 'Healthy', rollouts: [{ rollout: 'demo', level: 'Healthy', ready: 1, total: 1, restarts: 0, notReady: [] }] });
  assert.equal((await hit('POST', '/api/rollouts/demo/set-image', { image: 'argoproj/rollouts-demo:green' })).status, 200);
  await platform.rollout('demo').waitFor((s) => s.phase === 'Paused', 30_000, 'Paused at 50%');
  const since = new Date(Date.now() - 60_000).toISOString();
  const events = await hit('GET', `/api/rollouts/demo/events?since=${encodeURIComponent(since)}`);
  assert.ok((events.body as unknown as { reason: string }[]).some((e) => e.reason === 'RolloutUpdated'));
  assert.equal((await hit('POST', '/api/rollouts/demo/pause', {})).status, 200);
  assert.equal((await hit('POST', '/api/rollouts/demo/abort', {})).body.abort, true);
  assert.equal((await hit('POST', '/api/rollouts/demo/retry', {})).body.abort, false);
  assert.equal((await hit('POST', '/api/rollouts/demo/promote', { full: true })).status, 200);
  await platform.rollout('demo').waitFor((s) => s.phase === 'Healthy', 30_000, 'Healthy at green');
  assert.equal((await hit('POST', '/api/rollouts/demo/undo', { toRevision: 1 })).status, 200);
  assert.equal((await hit('POST', '/api/apply', { files: [manifest] })).status, 200);
  assert.deepEqual([...served].sort(), CONTROL_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  await platform.rollout('demo').waitFor((s) => s.phase === 'Paused' || s.phase === 'Healthy', 30_000, 'settled');
});

test('bad input is a 400 naming the field; a refused transition a 409 saying why; unknown things a 404 listing what there is', async () => {
  const cases: [string, string, unknown, number, RegExp, string?][] = [
    ['POST', '/api/rollouts/demo/set-image', {}, 400, /expected "image" to be a non-empty string/],
    ['POST', '/api/rollouts/demo/set-image', { image: 'not an image!' }, 400, /"image": "not an image!" is not an image reference such as cutover\/tinyurl:v2/],
    ['POST', '/api/rollouts/demo/set-image', { image: 'argoproj/rollouts-demo:green', container: 7 }, 400, /expected "container" to be a non-empty string/],
    ['POST', '/api/rollouts/demo/undo', { toRevision: 'two' }, 400, /"toRevision": expected a revision number \(an integer from 1\), got "two"/],
    ['POST', '/api/rollouts/demo/undo', { toRevision: 0 }, 400, /"toRevision": expected a revision number/],
    ['POST', '/api/rollouts/demo/promote', { full: 'yes' }, 400, /"full": expected true or false, got "yes"/],
    ['POST', '/api/rollouts/demo/promote', undefined, 400, /expected a JSON object body/, '{not json'],
    ['POST', '/api/rollouts/demo/promote', undefined, 400, /expected a JSON object body/, '[1, 2]'],
    ['POST', '/api/apply', { files: 'demo.yaml' }, 400, /expected "files": a list of manifest paths/],
    ['POST', '/api/apply', { files: [path.join(dir, 'missing.yaml')] }, 400, /missing\.yaml/],
    ['POST', '/api/rollouts/demo/undo', { toRevision: 9 }, 409, /has no revision 9 to undo to \(revisions: /],
    ['POST', '/api/rollouts/demo/frobnicate', {}, 404, /unknown action "frobnicate": set-image, promote, abort, retry, pause or undo/],
    ['GET', '/api/rollouts/nope', undefined, 404, /no rollout "nope" .*\(rollouts: demo\)/],
    ['GET', '/api/nowhere', undefined, 404, /no such endpoint: GET \/api\/nowhere/],
  ];
  for (const [method, route, body, status, message, raw] of cases) {
    const r = await call(method, route, body, TOKEN, raw);
    assert.equal(r.status, status, `${method} ${route} ${raw ?? JSON.stringify(body)}: ${r.body.error}`);
    assert.match(r.body.error ?? '', message);
  }
  const big = await call('POST', '/api/rollouts/demo/promote', undefined, TOKEN, JSON.stringify({ pad: 'x'.repeat(1_100_000) }));
  assert.equal(big.status, 413);
  assert.match(big.body.error ?? '', /request body over 1 MB/);
});

test('the client sends the token and turns errors into messages', async () => {
  const view = await callControl<{ rollouts: unknown[] }>({ url: server.url, token: TOKEN }, 'GET', '/api/status');
  assert.equal(view.rollouts.length, 1);
  await assert.rejects(callControl({ url: server.url }, 'GET', '/api/status'), /Authorization: Bearer <token>/);
  await assert.rejects(callControl({ url: 'http://127.0.0.1:9' }, 'GET', '/api/status'), /cannot reach `cutover up` at http:\/\/127\.0\.0\.1:9: .*\(is it still running\?\)/);
});

test('docs/control-api.md documents every route', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  for (const r of CONTROL_ROUTES) assert.ok(doc.includes(`\`${r.method} ${r.path}\``), `docs/control-api.md does not document ${r.method} ${r.path}`);
});

test('past its limits a caller gets 429 with Retry-After, a wrong token costs budget too, and the budget comes back', async () => {
  const limited = await startControlServer(platform, { token: TOKEN, limits: { requestsPerMinute: 5, changesPerMinute: 2 } });
  try {
    const at = (method: string, route: string, token: string | null = TOKEN) =>
      fetch(`${limited.url}${route}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
    assert.equal((await at('POST', '/api/rollouts/demo/pause')).status, 200);
    assert.equal((await at('POST', '/api/rollouts/nowhere/pause')).status, 404);
    const third = await at('POST', '/api/rollouts/demo/pause');
    assert.equal(third.status, 429, 'the third change within the minute');
    assert.match(((await third.json()) as { error: string }).error, /takes 2 changes a minute; try again in \d+ s/);
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    assert.equal((await at('GET', '/api/status', 'wrong')).status, 401);
    assert.equal((await at('GET', '/api/status')).status, 200, 'reads have their own, larger budget');
    const over = await at('GET', '/api/status');
    assert.equal(over.status, 429, 'the sixth request: the wrong token counted');
    assert.equal(over.headers.get('x-content-type-options'), 'nosniff');
  } finally {
    await limited.close();
  }
  const bucket = { t: 0 };
  const limit = new RateLimit(60, () => bucket.t);
  for (let i = 0; i < 60; i++) assert.equal(limit.take().ok, true);
  assert.deepEqual(limit.take(), { ok: false, retryAfterSeconds: 1 });
  bucket.t += 1000;
  assert.equal(limit.take().ok, true, 'one a second comes back');
  assert.equal(limit.take().ok, false);
});

test('an unexpected failure is a 500 saying only "internal error" and an id; the details are in the log under that id', async () => {
  const lines: string[] = [];
  const failing = Object.create(platform) as LocalPlatform;
  failing.podHealth = () => {
    throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/cutover/secret-state.db');
  };
  const s = await startControlServer(failing, { token: TOKEN, log: (l) => lines.push(l) });
  try {
    const res = await fetch(`${s.url}/api/pods`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.doesNotMatch(text, /SQLITE|secret-state|\/var\/lib|at .*\.ts/);
    const id = /internal error \(id ([0-9a-f]{12})/.exec(text)?.[1];
    assert.ok(id, text);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', new RegExp(`GET /api/pods failed \\(error id ${id}\\): Error: SQLITE_CORRUPT`));
  } finally {
    await s.close();
  }
});
