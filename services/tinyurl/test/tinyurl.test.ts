import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, startTestService } from '../../common/testing.ts';
import { MAX_URL_LENGTH, refererHost, tinyurl } from '../app.ts';
import { randomCode } from '../store.ts';

const start = (env: Record<string, string> = {}) => startTestService(tinyurl, { RATE_LIMIT_PER_MINUTE: '0', ...env });

test('shorten, redirect, analytics', async (t) => {
  const s = await start({ APP_VERSION: 'v3' });
  t.after(s.stop);
  const created = await call(`${s.url}/shorten`, { body: { url: 'https://example.com/a?b=1' } });
  assert.equal(created.status, 201);
  assert.match(created.json.code, /^[A-Za-z0-9]{7}$/);
  assert.equal(created.json.shortUrl, `${s.url}/${created.json.code}`);
  assert.equal(created.headers.get('x-app-version'), 'v3');

  const hit = await call(`${s.url}/${created.json.code}`, { headers: { referer: 'https://news.example.org/post/1' } });
  assert.equal(hit.status, 302);
  assert.equal(hit.headers.get('location'), 'https://example.com/a?b=1');
  await call(`${s.url}/${created.json.code}`);

  const stats = await call(`${s.url}/api/analytics/${created.json.code}`);
  assert.equal(stats.status, 200);
  assert.equal(stats.json.clicks, 2);
  assert.deepEqual(stats.json.referrers, { 'news.example.org': 1, direct: 1 });
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(stats.json.byDay, { [today]: 2 });
  assert.ok(Date.parse(stats.json.lastClickAt) <= Date.now());
});

test('unknown codes are 404, expired links 410', async (t) => {
  const s = await start();
  t.after(s.stop);
  assert.equal((await call(`${s.url}/nosuchcode`)).status, 404);
  assert.equal((await call(`${s.url}/api/analytics/nosuchcode`)).status, 404);
  const soon = new Date(Date.now() + 300).toISOString();
  const created = await call(`${s.url}/shorten`, { body: { url: 'http://example.com', alias: 'brief', expiresAt: soon } });
  assert.equal(created.status, 201);
  assert.equal((await call(`${s.url}/brief`)).status, 302);
  await new Promise((r) => setTimeout(r, 400));
  const gone = await call(`${s.url}/brief`);
  assert.equal(gone.status, 410);
  assert.match(gone.json.error, /expired/);
});

test('only http and https targets up to 2048 characters; field-level errors', async (t) => {
  const s = await start();
  t.after(s.stop);
  for (const url of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://example.com/x', 'not a url', '', `https://e.com/${'a'.repeat(MAX_URL_LENGTH)}`]) {
    const r = await call(`${s.url}/shorten`, { body: { url } });
    assert.equal(r.status, 400, url.slice(0, 40));
    assert.equal(r.json.fields[0].field, 'body.url');
  }
  const longest = `https://e.com/${'a'.repeat(MAX_URL_LENGTH - 'https://e.com/'.length)}`;
  assert.equal((await call(`${s.url}/shorten`, { body: { url: longest } })).status, 201);
  const missing = await call(`${s.url}/shorten`, { body: {} });
  assert.equal(missing.json.fields[0].field, 'body.url');
  const past = await call(`${s.url}/shorten`, { body: { url: 'https://e.com', expiresAt: '2000-01-01T00:00:00Z' } });
  assert.equal(past.json.fields[0].field, 'body.expiresAt');
  assert.match(past.json.fields[0].message, /future/);
  const badDate = await call(`${s.url}/shorten`, { body: { url: 'https://e.com', expiresAt: 'tomorrow' } });
  assert.match(badDate.json.fields[0].message, /ISO 8601/);
  assert.equal((await call(`${s.url}/bad%20code!`)).status, 400);
});

test('aliases: taken is 409, reserved and malformed are 400', async (t) => {
  const s = await start();
  t.after(s.stop);
  assert.equal((await call(`${s.url}/shorten`, { body: { url: 'https://a.com', alias: 'mine' } })).status, 201);
  const taken = await call(`${s.url}/shorten`, { body: { url: 'https://b.com', alias: 'mine' } });
  assert.equal(taken.status, 409);
  assert.match(taken.json.error, /already taken/);
  for (const alias of ['health', 'API', 'x', 'has space', 'a'.repeat(33)]) {
    assert.equal((await call(`${s.url}/shorten`, { body: { url: 'https://b.com', alias } })).status, 400, alias);
  }
});

test('deleting needs the link manage token', async (t) => {
  const s = await start();
  t.after(s.stop);
  const created = await call(`${s.url}/shorten`, { body: { url: 'https://a.com', alias: 'temp' } });
  const { manageToken } = created.json;
  assert.equal((await call(`${s.url}/api/links/temp`, { method: 'DELETE' })).status, 401);
  assert.equal((await call(`${s.url}/api/links/temp`, { method: 'DELETE', headers: { authorization: 'Bearer wrong' } })).status, 403);
  assert.equal((await call(`${s.url}/api/links/nothere`, { method: 'DELETE', headers: { authorization: 'Bearer x' } })).status, 404);
  assert.equal((await call(`${s.url}/api/links/temp`, { method: 'DELETE', headers: { authorization: `Bearer ${manageToken}` } })).status, 204);
  assert.equal((await call(`${s.url}/temp`)).status, 404);
});

test('browser form: CSRF token required, output HTML-encoded', async (t) => {
  const s = await start({ PUBLIC_BASE_URL: 'https://tiny.example' });
  t.after(s.stop);
  const form = await call(`${s.url}/`);
  assert.equal(form.status, 200);
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
  assert.match(form.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
  const token = /name="_csrf" value="([0-9a-f]{64})"/.exec(form.text)?.[1] as string;
  assert.ok(token);
  const again = await call(`${s.url}/`, { headers: { cookie } });
  assert.equal(again.headers.get('set-cookie'), null, 'an existing token is reused');
  const post = (body: string, headers: Record<string, string> = {}) =>
    call(`${s.url}/shorten`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const target = 'https://example.com/?q="><script>alert(1)</script>';
  assert.equal((await post(`url=${encodeURIComponent(target)}`, { cookie })).status, 403);
  assert.equal((await post(`url=${encodeURIComponent(target)}&_csrf=${'0'.repeat(64)}`, { cookie })).status, 403);
  assert.equal((await post(`url=${encodeURIComponent(target)}&_csrf=${token}`)).status, 403, 'no cookie');
  const ok = await post(`url=${encodeURIComponent(target)}&alias=&_csrf=${token}`, { cookie });
  assert.equal(ok.status, 201);
  assert.doesNotMatch(ok.text, /<script>alert/);
  assert.match(ok.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(ok.text, /https:\/\/tiny\.example\/[A-Za-z0-9]{7}/);
  const invalid = await post(`url=javascript%3Aalert(1)&_csrf=${token}`, { cookie });
  assert.equal(invalid.status, 400);
});

test('links survive a restart', async (t) => {
  const first = await start();
  const created = await call(`${first.url}/shorten`, { body: { url: 'https://persist.example/', alias: 'keep' } });
  assert.equal(created.status, 201);
  await call(`${first.url}/keep`);
  await first.stop();
  const second = await start({ DATA_DIR: first.dataDir });
  t.after(second.stop);
  assert.equal((await call(`${second.url}/keep`)).headers.get('location'), 'https://persist.example/');
  assert.equal((await call(`${second.url}/api/analytics/keep`)).json.clicks, 2);
});

test('two versions side by side on one database see each other\'s writes', async (t) => {
  const v1 = await start({ APP_VERSION: 'v1' });
  t.after(v1.stop);
  const v2 = await start({ APP_VERSION: 'v2', DATA_DIR: v1.dataDir });
  t.after(v2.stop);
  const writes = await Promise.all(
    Array.from({ length: 40 }, (_, i) => call(`${(i % 2 ? v1 : v2).url}/shorten`, { body: { url: `https://e.com/${i}` } })),
  );
  assert.ok(writes.every((w) => w.status === 201));
  for (const [i, w] of writes.entries()) {
    const other = i % 2 ? v2 : v1;
    const r = await call(`${other.url}/${w.json.code}`);
    assert.equal(r.headers.get('location'), `https://e.com/${i}`);
    assert.equal(r.headers.get('x-app-version'), i % 2 ? 'v2' : 'v1');
  }
});

test('a -faulty version answers half its requests with 500', async (t) => {
  const s = await start({ APP_VERSION: 'v2-faulty' });
  t.after(s.stop);
  const statuses = [];
  for (let i = 0; i < 20; i++) statuses.push((await call(`${s.url}/nosuch`)).status);
  assert.equal(statuses.filter((x) => x === 500).length, 10);
  assert.equal((await call(`${s.url}/ready`)).status, 200);
});

test('cache endpoint says the cache is off without REDIS_URL', async (t) => {
  const s = await start();
  t.after(s.stop);
  assert.deepEqual((await call(`${s.url}/api/cache`)).json, { enabled: false });
});

test('helpers: referrer hosts, random codes', () => {
  assert.equal(refererHost(undefined), null);
  assert.equal(refererHost('not a url'), null);
  assert.equal(refererHost('https://a.example:8443/p?q'), 'a.example:8443');
  assert.equal(refererHost('file:///etc/passwd'), null);
  const codes = new Set(Array.from({ length: 1000 }, () => randomCode()));
  assert.equal(codes.size, 1000);
});

test('store: storage errors other than a taken code are not swallowed', async () => {
  const { openDatabase } = await import('../../common/database.ts');
  const { LinkStore, TINYURL_MIGRATIONS } = await import('../store.ts');
  const store = new LinkStore(openDatabase(':memory:', TINYURL_MIGRATIONS));
  assert.equal(store.create({ code: 'abc', url: 'https://a', expiresAt: null }, 't'), true);
  assert.equal(store.create({ code: 'abc', url: 'https://b', expiresAt: null }, 't'), false);
  assert.throws(() => store.create({ code: 'def', url: null as unknown as string, expiresAt: null }, 't'), /NOT NULL/);
});
