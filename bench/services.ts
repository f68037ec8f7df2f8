// Each service driven directly at its PRD target rate with open-model load,
// next to the PRD latency target. The service runs as its own process; the
// generator runs here, so on a 2-core machine each has about one core.
import fs from 'node:fs';
import path from 'node:path';
import { call, spawnServiceProcess, tempDataDir, type ServiceProcess } from '../services/common/testing.ts';
import type { z } from 'zod';
import { runOpenModelLoad, type LoadRequest, type LoadResult } from '../support/traffic/load.ts';
import type { ServicesFiguresSchema } from './results.ts';

interface ServiceBench {
  service: string;
  ratePerSecond: number;
  /** PRD target for p95 latency, in ms. */
  p95TargetMs: number;
  env?: () => Record<string, string>;
  /** Creates the data the load reads and returns the request for the i-th load request. */
  seed: (url: string) => Promise<(i: number) => LoadRequest>;
}

const json = (method: LoadRequest['method'], p: string, body: unknown, headers: Record<string, string> = {}): LoadRequest => ({
  method,
  path: p,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

function bigFeed(items: number): string {
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

const BENCHES: ServiceBench[] = [
  {
    service: 'tinyurl',
    ratePerSecond: 1000,
    p95TargetMs: 50,
    seed: async (url) => {
      const codes: string[] = [];
      for (let i = 0; i < 200; i++) codes.push((await call(`${url}/shorten`, { body: { url: `https://bench.example/${i}` } })).json.code);
      // 90% redirects, 10% new links.
      return (i) => (i % 10 === 0 ? json('POST', '/shorten', { url: `https://bench.example/new/${i}` }) : { path: `/${codes[i % codes.length]}` });
    },
  },
  {
    service: 'newsfeed',
    ratePerSecond: 500,
    p95TargetMs: 100,
    env: () => ({ FEED_SOURCES: bigFeed(300), FEED_POLL_INTERVAL_MS: '3600000' }),
    seed: async (url) => {
      await call(`${url}/api/sources/poll`, { method: 'POST' });
      const ids: string[] = (await call(`${url}/api/newsfeed?user=seed&limit=100`)).json.items.map((a: { id: string }) => a.id);
      // 95% feed pages, 5% likes.
      return (i) =>
        i % 20 === 0 ? json('POST', `/api/like/${ids[i % ids.length]}`, { user: `u${i % 50}` }) : { path: `/api/newsfeed?user=u${i % 50}&limit=20` };
    },
  },
  {
    service: 'docs',
    ratePerSecond: 100,
    p95TargetMs: 200,
    seed: async (url) => {
      const docs: string[] = [];
      for (let i = 0; i < 10; i++) {
        docs.push((await call(`${url}/api/documents`, { body: { title: `Doc ${i}`, content: 'start' }, headers: { 'x-user-id': 'bench' } })).json.id);
      }
      const sentTo = new Map<string, number>();
      // Half reads, half edits from clients up to 20 versions behind (transformed by the server).
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

interface Row {
  service: string;
  requestedRate: number;
  achievedRate: number;
  keptRate: boolean;
  completed: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p95TargetMs: number;
  meetsTarget: boolean;
  load: LoadResult;
}

export async function benchServices(): Promise<z.infer<typeof ServicesFiguresSchema>> {
  const seconds = Number(process.env.BENCH_DURATION_S ?? 30);
  const only = process.env.BENCH_SERVICES?.split(',');
  const rows: Row[] = [];
  for (const bench of BENCHES.filter((b) => !only || only.includes(b.service))) {
    let proc: ServiceProcess | undefined;
    try {
      proc = await spawnServiceProcess(bench.service, { LOG_LEVEL: 'warn', ...(bench.env?.() ?? {}) });
      const request = await bench.seed(proc.url);
      console.log(`bench services: ${bench.service} at ${bench.ratePerSecond} req/s for ${seconds} s (open model)`);
      const load = await runOpenModelLoad({
        target: proc.url,
        ratePerSecond: bench.ratePerSecond,
        durationMs: seconds * 1000,
        request,
        onProgress: (p) => {
          if (Math.round(p.elapsedMs / 1000) % 5 === 0) {
            console.log(`  ${Math.round(p.elapsedMs / 1000)} s: ${p.sent} sent, ${p.completed} answered, ${p.failed} failed, ${p.inFlight} in flight`);
          }
        },
      });
      rows.push({
        service: bench.service,
        requestedRate: bench.ratePerSecond,
        achievedRate: load.achievedRate,
        keptRate: load.keptRate,
        completed: load.completed,
        failed: load.failed,
        p50Ms: load.latency.p50Ms,
        p95Ms: load.latency.p95Ms,
        p99Ms: load.latency.p99Ms,
        p95TargetMs: bench.p95TargetMs,
        meetsTarget: load.keptRate && load.failed === 0 && load.latency.p95Ms < bench.p95TargetMs,
        load,
      });
    } finally {
      proc?.child.kill('SIGTERM');
      await proc?.exited;
    }
  }
  const header = 'service    rate req/s (achieved)   answered  failed   p50 ms   p95 ms   p99 ms   PRD p95 target   verdict';
  console.log(`\n${header}`);
  for (const r of rows) {
    console.log(
      `${r.service.padEnd(10)} ${String(r.requestedRate).padStart(5)} (${r.achievedRate.toFixed(1).padStart(7)})${r.keptRate ? ' ' : '!'}     ` +
        `${String(r.completed).padStart(7)} ${String(r.failed).padStart(7)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p95Ms.toFixed(2).padStart(8)} ` +
        `${r.p99Ms.toFixed(2).padStart(8)}   < ${String(r.p95TargetMs).padStart(4)} ms        ${r.meetsTarget ? 'meets' : 'MISSES'}`,
    );
  }
  console.log('(! after the achieved rate: the generator could not keep the requested rate)');
  return { seconds, rows: rows.map(({ service, requestedRate, achievedRate, failed, p95Ms, p95TargetMs, meetsTarget }) => ({ service, requestedRate, achievedRate, failed, p95Ms, p95TargetMs, meetsTarget })) };
}
