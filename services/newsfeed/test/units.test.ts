import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '../feeds.ts';
import { after, decodeCursor, encodeCursor, rank } from '../ranking.ts';
import type { Article } from '../store.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

test('an untitled feed is named by its source; an undated item is dated when it was read', async () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const [item] = await parseFeed(fs.readFileSync(fixture('untitled.rss.xml'), 'utf8'), '/feeds/untitled.xml', now);
  assert.equal(item?.source, '/feeds/untitled.xml');
  assert.equal(item?.publishedAt, now.toISOString());
  assert.equal(item?.link, null);
});

const article = (id: string, publishedAt: string, likes = 0, source = 's'): Article => ({
  seq: 0, id, guid: id, link: null, title: id, summary: '', source, publishedAt, fetchedAt: publishedAt, likes,
});

test('equal scores are ordered by id, so the order is total and cursors are exact', () => {
  const at = '2026-11-23T00:00:00Z';
  const ranked = rank([article('b', at), article('c', at), article('a', at)], { ids: new Set(), sources: new Map() }, Date.parse(at));
  assert.deepEqual(ranked.map((r) => r.article.id), ['a', 'b', 'c']);
  const first = ranked[0] as (typeof ranked)[0];
  assert.deepEqual(after(ranked, { asOf: at, score: first.score, id: 'a' }).map((r) => r.article.id), ['b', 'c']);
});

test('recency halves a day; likes and liked sources lift', () => {
  const now = Date.parse('2026-11-23T00:00:00Z');
  const none = { ids: new Set<string>(), sources: new Map<string, number>() };
  const [fresh] = rank([article('x', '2026-11-23T00:00:00Z')], none, now);
  const [dayOld] = rank([article('x', '2026-11-22T00:00:00Z')], none, now);
  assert.equal(fresh?.score, 1);
  assert.equal(dayOld?.score, 0.5);
  const [liked] = rank([article('x', '2026-11-22T00:00:00Z', 3)], none, now);
  assert.ok((liked?.score ?? 0) > 0.5);
  const [fan] = rank([article('x', '2026-11-22T00:00:00Z', 0, 'tech')], { ids: new Set(), sources: new Map([['tech', 3]]) }, now);
  assert.equal(fan?.score, 1);
});

test('cursors round-trip, and anything else is refused', () => {
  const c = { asOf: '2026-11-23T00:00:00.000Z', score: 0.25, id: 'abc' };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.equal(decodeCursor('!!!'), undefined);
  assert.equal(decodeCursor(Buffer.from('{"asOf":"nope","score":1,"id":"a"}').toString('base64url')), undefined);
  assert.equal(decodeCursor(Buffer.from('[1]').toString('base64url')), undefined);
});
