// The built-in load generator's accuracy: one demo service process as the
// target, the open-model generator at 500, 1000 and 2000 req/s (achieved over
// requested), and, when k6 is installed, k6 at 1000 req/s on the same target
// right after the generator, so their latency percentiles compare side by side.
import { spawnSync } from 'node:child_process';
import type { z } from 'zod';
import { spawnServiceProcess } from '../services/common/testing.ts';
import { k6Binary, runK6 } from '../support/traffic/k6.ts';
import { runOpenModelLoad, type LatencySummary } from '../support/traffic/load.ts';
import type { LoadgenFiguresSchema } from './results.ts';

const RATES = [500, 1000, 2000];
const latency = (l: LatencySummary) => ({ p50Ms: l.p50Ms, p95Ms: l.p95Ms, p99Ms: l.p99Ms });

export async function benchLoadgen(): Promise<z.infer<typeof LoadgenFiguresSchema>> {
  const seconds = Number(process.env.BENCH_DURATION_S ?? 10);
  const target = await spawnServiceProcess('demo', { APP_VERSION: 'blue', LOG_LEVEL: 'warn' });
  try {
    const run = (rate: number) => runOpenModelLoad({ target: target.url, ratePerSecond: rate, durationMs: seconds * 1000, request: () => ({ path: '/color' }) });
    const accuracy: z.infer<typeof LoadgenFiguresSchema>['accuracy'] = [];
    for (const rate of RATES) {
      console.log(`bench loadgen: the built-in generator at ${rate} req/s for ${seconds} s`);
      const r = await run(rate);
      accuracy.push({ requestedRate: rate, achievedRate: r.achievedRate, ratio: r.achievedRate / rate, failed: r.failed, latency: latency(r.latency) });
    }
    const k6 = k6Binary();
    if (k6 === undefined) {
      console.log('bench loadgen: k6 is not installed (go install go.k6.io/k6@v1.8.1): no side-by-side percentiles');
      return { seconds, accuracy };
    }
    const version = /v?(\d+\.\d+\.\d+)/.exec(spawnSync(k6, ['version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
    console.log(`bench loadgen: the built-in generator, then k6 ${version}, at 1000 req/s for ${seconds} s each`);
    const ours = await run(1000);
    const theirs = await runK6(k6, { target: target.url, ratePerSecond: 1000, durationMs: seconds * 1000, requests: [{ path: '/color' }], thresholds: [] });
    const k6Latency = { p50Ms: theirs.durationMs.med ?? NaN, p95Ms: theirs.durationMs['p(95)'] ?? NaN, p99Ms: theirs.durationMs['p(99)'] ?? NaN };
    return {
      seconds,
      accuracy,
      k6: { version, ratePerSecond: 1000, requests: theirs.requests, latency: k6Latency, cutover: latency(ours.latency), p50Ratio: ours.latency.p50Ms / k6Latency.p50Ms, p95Ratio: ours.latency.p95Ms / k6Latency.p95Ms },
    };
  } finally {
    target.child.kill('SIGTERM');
    await target.exited;
  }
}
