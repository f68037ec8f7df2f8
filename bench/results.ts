// bench/results.json: what `npm run bench` measured, one section per
// benchmark, each figure a ratio or a count taken side by side in one run
// (absolute times drift on shared machines; ratios and counts survive).
// Running some benchmarks keeps the others' last figures.
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

const Latency = z.object({ p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number() });

export const RouterFiguresSchema = z.object({
  seconds: z.number(),
  /** Closed-loop saturation, requests per second. */
  saturation: z.object({ direct: z.number(), routed: z.number(), ratio: z.number(), haproxy: z.number().optional() }),
  /** Added by the router at 1000 req/s (routed minus direct). */
  addedAt1000: z.object({ p50Ms: z.number(), p99Ms: z.number() }),
  failedAt1000: z.object({ direct: z.number(), routed: z.number() }),
});

export const ServicesFiguresSchema = z.object({
  seconds: z.number(),
  rows: z.array(z.object({ service: z.string(), requestedRate: z.number(), achievedRate: z.number(), failed: z.number(), p95Ms: z.number(), p95TargetMs: z.number(), meetsTarget: z.boolean() })),
});

export const LoadgenFiguresSchema = z.object({
  seconds: z.number(),
  /** The built-in generator against one service process: achieved over requested, per rate. */
  accuracy: z.array(z.object({ requestedRate: z.number(), achievedRate: z.number(), ratio: z.number(), failed: z.number(), latency: Latency })),
  /** k6 on the same target at the same rate, when k6 is installed; p50 ratio = cutover's / k6's. */
  k6: z.object({ version: z.string(), ratePerSecond: z.number(), requests: z.number(), latency: Latency, cutover: Latency, p50Ratio: z.number(), p95Ratio: z.number() }).optional(),
});

export const FeaturesFiguresSchema = z.object({
  timeScale: z.number(),
  canary: z.object({ wallSeconds: z.number(), scenarios: z.number(), passed: z.number(), rollbacks: z.number(), rollbackMsMax: z.number().optional(), rollbackMsMedian: z.number().optional() }),
  blueGreen: z.object({ wallSeconds: z.number(), scenarios: z.number(), passed: z.number(), switches: z.number(), failedRequests: z.number(), requests: z.number(), longestGapMs: z.number().optional() }),
});

export const MemoryFiguresSchema = z.object({
  services: z.array(z.string()),
  versions: z.array(z.string()),
  processes: z.number(),
  totalMiB: z.number(),
  perProcessMiB: z.object({ min: z.number(), max: z.number(), mean: z.number() }),
});

export const BenchResultsSchema = z.object({
  schemaVersion: z.literal(1),
  machine: z.object({ cpus: z.number(), node: z.string() }),
  benchmarks: z.object({
    router: RouterFiguresSchema.extend({ measuredAt: z.string() }).optional(),
    services: ServicesFiguresSchema.extend({ measuredAt: z.string() }).optional(),
    loadgen: LoadgenFiguresSchema.extend({ measuredAt: z.string() }).optional(),
    features: FeaturesFiguresSchema.extend({ measuredAt: z.string() }).optional(),
    memory: MemoryFiguresSchema.extend({ measuredAt: z.string() }).optional(),
  }),
});
export type BenchResults = z.infer<typeof BenchResultsSchema>;
export type BenchName = keyof BenchResults['benchmarks'];

/** BENCH_RESULTS puts them elsewhere (a scenario that runs a benchmark writes to its own file). */
export const RESULTS_FILE = process.env.BENCH_RESULTS ?? 'bench/results.json';

/** The last results, or an empty set when there are none or they no longer fit the schema (said, not hidden). */
export function readResults(file = RESULTS_FILE): BenchResults {
  const empty: BenchResults = { schemaVersion: 1, machine: { cpus: os.cpus().length, node: process.version }, benchmarks: {} };
  if (!fs.existsSync(file)) return empty;
  const parsed = BenchResultsSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    console.log(`${file} does not fit the schema any more (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}): starting afresh`);
    return empty;
  }
  return { ...parsed.data, machine: empty.machine };
}

export function writeResults(results: BenchResults, file = RESULTS_FILE): void {
  fs.writeFileSync(file, `${JSON.stringify(BenchResultsSchema.parse(results), null, 2)}\n`);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);

/** The short table: one line per figure. */
export function summaryLines(r: BenchResults): string[] {
  const b = r.benchmarks;
  const lines: [string, string][] = [];
  if (b.router) {
    lines.push(['router: throughput through the router / direct (saturation)', pct(b.router.saturation.ratio)]);
    if (b.router.saturation.haproxy) lines.push(['router: throughput / HAProxy', pct(b.router.saturation.routed / b.router.saturation.haproxy)]);
    lines.push(['router: added p50 / p99 at 1000 req/s', `${ms(b.router.addedAt1000.p50Ms)} / ${ms(b.router.addedAt1000.p99Ms)}`]);
  }
  if (b.loadgen) {
    for (const a of b.loadgen.accuracy) lines.push([`load generator: achieved / requested at ${a.requestedRate} req/s`, `${pct(a.ratio)} (${a.failed} failed)`]);
    if (b.loadgen.k6) lines.push([`load generator: p50 / p95 next to k6 ${b.loadgen.k6.version} at ${b.loadgen.k6.ratePerSecond} req/s`, `${b.loadgen.k6.p50Ratio.toFixed(2)}x / ${b.loadgen.k6.p95Ratio.toFixed(2)}x`]);
  }
  if (b.features) {
    const f = b.features;
    lines.push(['canary abort (analysis failure or operator) to 100% stable traffic, max', `${ms(f.canary.rollbackMsMax)} over ${f.canary.rollbacks} rollback(s)`]);
    lines.push(['blue-green switch: failed requests / longest gap between successes', `${f.blueGreen.failedRequests} of ${f.blueGreen.requests} / ${ms(f.blueGreen.longestGapMs)}`]);
    lines.push([`canary.feature wall time at time scale ${f.timeScale}`, `${f.canary.wallSeconds.toFixed(0)} s (${f.canary.passed}/${f.canary.scenarios} passed)`]);
  }
  if (b.memory) lines.push([`memory: ${b.memory.services.length} services x ${b.memory.versions.length} versions (${b.memory.processes} processes)`, `${b.memory.totalMiB.toFixed(0)} MiB (${b.memory.perProcessMiB.mean.toFixed(0)} MiB each)`]);
  if (b.services) for (const row of b.services.rows) lines.push([`service ${row.service}: p95 at ${row.requestedRate} req/s (target < ${row.p95TargetMs} ms)`, `${ms(row.p95Ms)} ${row.meetsTarget ? 'meets' : 'MISSES'}`]);
  const width = Math.max(...lines.map(([k]) => k.length), 10);
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}
