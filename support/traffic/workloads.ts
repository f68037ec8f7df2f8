// Each service's PRD workload: what its clients do at the PRD's throughput
// target (TinyURL 1000 req/s, Newsfeed 500, Docs 100), with the p95 latency
// target beside it. `seed` creates the data the load reads, through the
// service's own API, and returns the i-th request. The throughput scenarios
// and `npm run bench -- services` send the same mixes.
import fs from 'node:fs';
import path from 'node:path';
import { call as serviceCall, tempDataDir } from '../../services/common/testing.ts';
import type { LoadRequest } from './load.ts';

export interface ServiceWorkload {
  service: string;
  /** The PRD's throughput target, requests per second. */
  ratePerSecond: number;
  /** The PRD's p95 latency target, ms. */
  p95TargetMs: number;
  /** What the mix is, for reports. */
  mix: string;
  /** Environment a replica needs for it (run alone, as the bench does). */
  env?: () => Record<string, string>;
  seed: (url: string) => Promise<(i: number) => LoadRequest>;
}

const json = (method: LoadRequest['method'], p: string, body: unknown, headers: Record<string, string> = {}): LoadRequest => ({
  method,
  path: p,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/** A call made while seeding; a refusal names the service's answer. */
async function call(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Awaited<ReturnType<typeof serviceCall>>['json']> {
  const res = await serviceCall(url, init);
  if (res.status >= 400) throw new Error(`seeding the workload: ${init.method ?? (init.body === undefined ? 'GET' : 'POST')} ${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
  return res.json;
}

/** An RSS file of `items` entries (removed when the process exits), for a Newsfeed replica run alone. */
export function bigFeed(items: number): string {
  const file = path.join(tempDataDir('bench-feed'), 'feed.xml');
  const entries = Array.from(
    { length: items },
    (_, i) =>
      `<item><title>Article ${i}</title><link>https://bench.example/${i}</link><guid>bench-${i}</guid>` +
      `<pubDate>${new Date(Date.now() - i * 600_000).toUTCString()}</pubDate><description>Body ${i}</description></item>`,
  );
  fs.writeFileSync(file, `<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>${entries.join('')}</channel></rss>`);
  return file;
}

export const WORKLOADS: ServiceWorkload[] = [
  {
    service: 'tinyurl',
    ratePerSecond: 1000,
    p95TargetMs: 50,
    mix: '90% redirects of 200 links, 10% new links',
    seed: async (url) => {
      const codes: string[] = [];
      for (let i = 0; i < 200; i++) codes.push((await call(`${url}/shorten`, { body: { url: `https://bench.example/${i}` } })).code);
      return (i) => (i % 10 === 0 ? json('POST', '/shorten', { url: `https://bench.example/new/${i}` }) : { path: `/${codes[i % codes.length]}` });
    },
  },
  {
    service: 'newsfeed',
    ratePerSecond: 500,
    p95TargetMs: 100,
    mix: '95% feed pages of 20 for 50 users, 5% likes',
    env: () => ({ FEED_SOURCES: bigFeed(300), FEED_POLL_INTERVAL_MS: '3600000' }),
    seed: async (url) => {
      await call(`${url}/api/sources/poll`, { method: 'POST' });
      const ids: string[] = (await call(`${url}/api/newsfeed?user=seed&limit=100`)).items.map((a: { id: string }) => a.id);
      if (ids.length === 0) throw new Error('seeding the workload: the newsfeed has no articles after a poll of its sources');
      return (i) => (i % 20 === 0 ? json('POST', `/api/like/${ids[i % ids.length]}`, { user: `u${i % 50}` }) : { path: `/api/newsfeed?user=u${i % 50}&limit=20` });
    },
  },
  {
    service: 'docs',
    ratePerSecond: 100,
    p95TargetMs: 200,
    mix: 'half reads, half edits of 10 documents from clients up to 20 versions behind',
    seed: async (url) => {
      const docs: string[] = [];
      for (let i = 0; i < 10; i++) docs.push((await call(`${url}/api/documents`, { body: { title: `Doc ${i}`, content: 'start' }, headers: { 'x-user-id': 'bench' } })).id);
      const sentTo = new Map<string, number>();
      return (i) => {
        const doc = docs[i % docs.length] as string;
        if (i % 2 === 0) return { path: `/api/documents/${doc}`, headers: { 'x-user-id': 'bench' } };
        const n = sentTo.get(doc) ?? 0;
        sentTo.set(doc, n + 1);
        return json('POST', `/api/documents/${doc}/update`, { baseVersion: Math.max(0, n - 20), ops: [`w${i} `] }, { 'x-user-id': 'bench' });
      };
    },
  },
];

export function workloadOf(service: string): ServiceWorkload {
  const w = WORKLOADS.find((x) => x.service === service);
  if (w === undefined) throw new Error(`no PRD workload for "${service}": there are ${WORKLOADS.map((x) => x.service).join(', ')}`);
  return w;
}
