// A Redis server a scenario starts (127.0.0.1, a free port, stopped by PID at
// the end), for the services that cache in it, and what it holds.
import { Given, Then } from '@cucumber/cucumber';
import { Redis } from 'ioredis';
import { startRedis } from '../services/tinyurl/test/redis.ts';
import { killOnExit } from '../support/platform/local/supervisor.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** redis-server on a free loopback port, no persistence; its URL is remembered under the name (use it as {name}). */
Given('a Redis server is running, its URL remembered as {string}', async function (this: CutoverWorld, name: string) {
  const redis = await startRedis();
  killOnExit(redis.process);
  this.session.onCleanup(`redis ${redis.url}`, () => redis.stop());
  this.remembered.set(name, redis.url);
  this.progress(`redis-server at ${redis.url}`);
});

/** The Redis at the remembered URL caches a short link (TinyURL's key tinyurl:<epoch>:<code>) for exactly the URL it was created for. */
Then('the Redis {string} caches the short link {string} for {string}', async function (this: CutoverWorld, name: string, codeText: string, urlText: string) {
  const url = this.remembered.get(name);
  if (url === undefined) throw new Error(`no Redis was remembered as "${name}"`);
  const code = this.fillRemembered(codeText);
  const want = this.fillRemembered(urlText);
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
  try {
    const keys = await client.keys(`tinyurl:*:${code}`);
    const values = await Promise.all(keys.map(async (k) => JSON.parse((await client.get(k)) ?? '{}') as { url?: string }));
    await this.evidence.json(`Redis keys for ${code}`, Object.fromEntries(keys.map((k, i) => [k, values[i]])));
    await this.evidence.verify(`Redis caches ${code}`, values.some((v) => v.url === want), { expected: want, measured: values.map((v) => v.url) }, () =>
      keys.length === 0 ? `Redis at ${url} holds no key for short link ${code}: TinyURL did not cache it` : `Redis caches ${code} for ${values.map((v) => v.url).join(', ')}, not ${want}`,
    );
  } finally {
    client.disconnect();
  }
});

/** redis-server on a free loopback port, known to the platform as an external host: pods reach it as redis://<name>:6379 (through their own fault proxies, so NetworkChaos can cut it off). */
Given('a Redis server is running as the external host {string}', async function (this: CutoverWorld, name: string) {
  const redis = await startRedis();
  killOnExit(redis.process);
  this.session.onCleanup(`redis ${redis.url}`, () => redis.stop());
  this.remembered.set(name, redis.url);
  this.session.platform.addExternal(name, redis.url);
  this.progress(`redis-server at ${redis.url}, reached by the pods as ${name}`);
});
