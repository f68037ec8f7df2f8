// The Redis read-through cache against a real redis-server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, startTestService } from '../../common/testing.ts';
import { tinyurl } from '../app.ts';
import { RedisLinkCache } from '../cache.ts';
import { redisAvailable, startRedis } from './redis.ts';

const skip = !redisAvailable() && process.env.CI !== 'true' ? 'redis-server is not installed (apt-get install redis-server)' : false;

test('lookups are served from Redis after the first one', { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const s = await startTestService(tinyurl, { RATE_LIMIT_PER_MINUTE: '0', REDIS_URL: redis.url });
  t.after(s.stop);
  await call(`${s.url}/shorten`, { body: { url: 'https://cached.example/', alias: 'cached' } });
  for (let i = 0; i < 3; i++) assert.equal((await call(`${s.url}/cached`)).headers.get('location'), 'https://cached.example/');
  const stats = (await call(`${s.url}/api/cache`)).json;
  assert.deepEqual(stats, { enabled: true, hits: 2, misses: 1, errors: 0 });
});

test('a deleted link is never served from the cache, even one Redis could not be told about', { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const s = await startTestService(tinyurl, { RATE_LIMIT_PER_MINUTE: '0', REDIS_URL: redis.url });
  t.after(s.stop);
  // A second version on the same database and the same Redis.
  const other = await startTestService(tinyurl, { RATE_LIMIT_PER_MINUTE: '0', REDIS_URL: redis.url, DATA_DIR: s.dataDir, APP_VERSION: 'v2' });
  t.after(other.stop);
  const { manageToken } = (await call(`${s.url}/shorten`, { body: { url: 'https://gone.example/', alias: 'gone' } })).json;
  assert.equal((await call(`${s.url}/gone`)).status, 302);
  assert.equal((await call(`${other.url}/gone`)).status, 302);

  // Redis hangs while the link is deleted: the cached entry stays in Redis.
  redis.pause();
  const deleted = await call(`${s.url}/api/links/gone`, { method: 'DELETE', headers: { authorization: `Bearer ${manageToken}` } });
  assert.equal(deleted.status, 204);
  assert.equal((await call(`${s.url}/gone`)).status, 404, 'while Redis hangs, SQLite answers');
  redis.resume();
  for (let i = 0; i < 5; i++) {
    assert.equal((await call(`${s.url}/gone`)).status, 404);
    assert.equal((await call(`${other.url}/gone`)).status, 404);
  }
});

test('Redis down degrades to SQLite, not to errors', { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const s = await startTestService(tinyurl, { RATE_LIMIT_PER_MINUTE: '0', REDIS_URL: redis.url });
  t.after(s.stop);
  await call(`${s.url}/shorten`, { body: { url: 'https://up.example/', alias: 'upup' } });
  redis.pause();
  const started = performance.now();
  for (let i = 0; i < 10; i++) assert.equal((await call(`${s.url}/upup`)).status, 302);
  assert.ok(performance.now() - started < 5000, 'each lookup waits at most the command timeout');
  assert.ok((await call(`${s.url}/api/cache`)).json.errors > 0);
  await redis.stop();
  for (let i = 0; i < 10; i++) assert.equal((await call(`${s.url}/upup`)).status, 302);
  const created = await call(`${s.url}/shorten`, { body: { url: 'https://down.example/' } });
  assert.equal(created.status, 201);
  assert.equal((await call(`${s.url}/${created.json.code}`)).status, 302);
});

test('entries live no longer than their link', { skip }, async (t) => {
  const redis = await startRedis();
  t.after(redis.stop);
  const cache = new RedisLinkCache(redis.url);
  t.after(() => cache.close());
  await new Promise((r) => setTimeout(r, 100));
  await cache.set('0', { code: 'x', url: 'https://x', expiresAt: new Date(Date.now() - 1000).toISOString() });
  assert.equal(await cache.get('0', 'x'), undefined, 'an expired link is not cached at all');
  await cache.set('0', { code: 'y', url: 'https://y', expiresAt: new Date(Date.now() + 60_000).toISOString() });
  assert.equal((await cache.get('0', 'y'))?.url, 'https://y');
  const { Redis } = await import('ioredis');
  const raw = new Redis(redis.url);
  t.after(() => raw.disconnect());
  const ttl = await raw.ttl('tinyurl:0:y');
  assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
  await cache.set('0', { code: 'z', url: 'https://z', expiresAt: null });
  assert.ok((await raw.ttl('tinyurl:0:z')) <= 300);
});
