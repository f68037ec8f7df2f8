import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { call, startTestService } from '../../common/testing.ts';
import { newsfeed } from '../app.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A feed server on 127.0.0.1 whose document can be swapped between polls. */
async function feedServer(file: string) {
  let body = fs.readFileSync(fixture(file), 'utf8');
  let status = 200;
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/rss+xml' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`,
    serve: (name: string) => {
      body = fs.readFileSync(fixture(name), 'utf8');
    },
    fail: (code: number) => {
      status = code;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function startWithFeeds(t: { after: (fn: () => unknown) => void }, extraSources: string[] = [], env: Record<string, string> = {}) {
  const feed = await feedServer('tech.rss.xml');
  t.after(feed.close);
  const s = await startTestService(newsfeed, {
    RATE_LIMIT_PER_MINUTE: '0',
    FEED_SOURCES: [feed.url, fixture('science.atom.xml'), ...extraSources].join(','),
    FEED_POLL_INTERVAL_MS: '3600000',
    NEWSFEED_PUSH_INTERVAL_MS: '50',
    ...env,
  });
  t.after(s.stop);
  await call(`${s.url}/api/sources/poll`, { method: 'POST' });
  return { s, feed };
}

async function wholeFeed(url: string, user: string, limit: number) {
  const pages = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page: any = (await call(`${url}/api/newsfeed?user=${user}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)).json;
    pages.push(page);
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return pages;
}

test('articles from an RSS URL and an Atom file, de-duplicated across polls', async (t) => {
  const { s, feed } = await startWithFeeds(t);
  const first = (await call(`${s.url}/api/sources`)).json;
  assert.equal(first.articles, 6, 'four RSS items with an identity and a title, two Atom entries');
  assert.ok(first.sources.every((x: any) => x.lastError === null && x.lastPollAt !== null));
  await call(`${s.url}/api/sources/poll`, { method: 'POST' });
  assert.equal((await call(`${s.url}/api/sources`)).json.articles, 6, 'a second poll adds nothing');
  feed.serve('tech-update.rss.xml');
  const after = (await call(`${s.url}/api/sources/poll`, { method: 'POST' })).json;
  assert.equal(after.articles, 7, 'only the new item is added');
  const items = (await call(`${s.url}/api/newsfeed?user=ann&limit=100`)).json.items;
  const rollback = items.find((a: any) => a.title === 'Rollbacks in under a minute');
  assert.equal(rollback.summary, 'Abort early.', 'HTML in summaries is reduced to text');
  assert.equal(items.find((a: any) => a.link === 'https://science.example/latency').source, 'Science Weekly');
});

test('a failing source is reported and does not stop the others', async (t) => {
  const { s, feed } = await startWithFeeds(t, [fixture('broken.xml'), fixture('missing.xml')]);
  feed.fail(503);
  const status = (await call(`${s.url}/api/sources/poll`, { method: 'POST' })).json;
  const bySource = new Map(status.sources.map((x: any) => [x.source, x]));
  assert.match((bySource.get(feed.url) as any).lastError, /HTTP 503/);
  assert.ok((bySource.get(fixture('broken.xml')) as any).lastError);
  assert.match((bySource.get(fixture('missing.xml')) as any).lastError, /ENOENT/);
  assert.equal((bySource.get(fixture('science.atom.xml')) as any).lastError, null);
  assert.equal(status.articles, 6, 'articles already stored are kept');
});

test('the feed pages with a cursor: every article once, best first', async (t) => {
  const { s } = await startWithFeeds(t);
  const pages = await wholeFeed(s.url, 'ann', 4);
  assert.equal(pages.length, 2);
  const items = pages.flatMap((p) => p.items);
  assert.equal(items.length, 6);
  assert.equal(new Set(items.map((a: any) => a.id)).size, 6);
  const scores = items.map((a: any) => a.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  assert.equal(pages[1].nextCursor, null);
});

test('likes are idempotent per user and lift an article', async (t) => {
  const { s } = await startWithFeeds(t);
  const items = (await call(`${s.url}/api/newsfeed?user=ann&limit=100`)).json.items;
  const last = items[items.length - 1];
  const like = (user: string) => call(`${s.url}/api/like/${last.id}`, { body: { user } });
  assert.deepEqual((await like('ann')).json, { articleId: last.id, likes: 1, liked: true, changed: true });
  assert.deepEqual((await like('ann')).json, { articleId: last.id, likes: 1, liked: true, changed: false });
  for (const user of ['bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal']) await like(user);
  const again = (await call(`${s.url}/api/newsfeed?user=zed&limit=100`)).json.items;
  const moved = again.find((a: any) => a.id === last.id);
  assert.equal(moved.likes, 8);
  assert.ok(again.indexOf(moved) < items.length - 1, 'eight likes move the oldest article up');
  const annView = (await call(`${s.url}/api/newsfeed?user=ann&limit=100`)).json.items;
  assert.equal(annView.find((a: any) => a.id === last.id).likedByUser, true);
  await call(`${s.url}/api/like/${items[0].id}`, { body: { user: 'ann' } });
  assert.deepEqual((await call(`${s.url}/api/likes/ann`)).json, { user: 'ann', articles: [items[0].id, last.id].sort() });
  assert.deepEqual((await call(`${s.url}/api/likes/nobody`)).json, { user: 'nobody', articles: [] });
});

test("a reader's likes favour their sources in their feed and recommendations", async (t) => {
  const { s } = await startWithFeeds(t);
  const items = (await call(`${s.url}/api/newsfeed?user=ann&limit=100`)).json.items;
  const science = items.filter((a: any) => a.source === 'Science Weekly');
  await call(`${s.url}/api/like/${science[0].id}`, { body: { user: 'sci-fan' } });
  const fan = (await call(`${s.url}/api/newsfeed?user=sci-fan&limit=100`)).json.items;
  const other = (await call(`${s.url}/api/newsfeed?user=someone&limit=100`)).json.items;
  const rank = (list: any[], id: string) => list.findIndex((a) => a.id === id);
  assert.ok(rank(fan, science[1].id) < rank(other, science[1].id), 'the other science article ranks higher for the fan');
  const recs = (await call(`${s.url}/api/recommendations/sci-fan`)).json;
  assert.equal(recs.user, 'sci-fan');
  assert.equal(recs.items[0].id, science[1].id, 'first the unliked article from the liked source');
  assert.ok(!recs.items.some((a: any) => a.id === science[0].id), 'never what the reader already liked');
  assert.equal((await call(`${s.url}/api/recommendations/newbie`)).json.items.length, 6);
});

test('bad input is a 400 naming the field; unknown articles 404', async (t) => {
  const { s } = await startWithFeeds(t);
  assert.equal((await call(`${s.url}/api/newsfeed`)).json.fields[0].field, 'query.user');
  assert.equal((await call(`${s.url}/api/newsfeed?user=a&limit=1000`)).json.fields[0].field, 'query.limit');
  const badCursor = await call(`${s.url}/api/newsfeed?user=a&cursor=garbage`);
  assert.equal(badCursor.status, 400);
  assert.match(badCursor.json.error, /query.cursor/);
  assert.equal((await call(`${s.url}/api/like/nosuch`, { body: { user: 'a' } })).status, 404);
  assert.equal((await call(`${s.url}/api/like/nosuch`, { body: { user: 'a b' } })).json.fields[0].field, 'body.user');
  assert.equal((await call(`${s.url}/api/recommendations/${'x'.repeat(65)}`)).status, 400);
});

test('new articles are pushed over WebSocket, whichever process stored them', async (t) => {
  const { s, feed } = await startWithFeeds(t);
  // A second version on the same database that polls nothing itself.
  const other = await startTestService(newsfeed, { DATA_DIR: s.dataDir, APP_VERSION: 'v2', NEWSFEED_PUSH_INTERVAL_MS: '50' });
  t.after(other.stop);
  const received: Record<string, any[]> = { same: [], other: [] };
  const sockets = await Promise.all(
    (['same', 'other'] as const).map(
      (which) =>
        new Promise<WebSocket>((resolve) => {
          const ws = new WebSocket(`${(which === 'same' ? s : other).url.replace('http', 'ws')}/ws`);
          ws.on('message', (data) => {
            const message = JSON.parse(String(data));
            if (message.type === 'hello') resolve(ws);
            else received[which]?.push(message);
          });
        }),
    ),
  );
  t.after(() => sockets.forEach((ws) => ws.close()));
  feed.serve('tech-update.rss.xml');
  await call(`${s.url}/api/sources/poll`, { method: 'POST' });
  const deadline = Date.now() + 3000;
  while ((received.same?.length === 0 || received.other?.length === 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const which of ['same', 'other']) {
    assert.equal(received[which]?.length, 1, which);
    assert.equal(received[which]?.[0].article.title, 'Breaking: zero-downtime migrations');
  }
});

test('sources can be polled on an interval and the env is validated', async (t) => {
  const s = await startTestService(newsfeed, { FEED_SOURCES: fixture('science.atom.xml'), FEED_POLL_INTERVAL_MS: '100' });
  t.after(s.stop);
  const deadline = Date.now() + 3000;
  while ((await call(`${s.url}/api/sources`)).json.articles < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await call(`${s.url}/api/sources`)).json.articles, 2);
  await assert.rejects(startTestService(newsfeed, { FEED_POLL_INTERVAL_MS: '5' }), /env.FEED_POLL_INTERVAL_MS/);
});
