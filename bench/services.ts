// Each service driven directly at its PRD target rate with open-model load,
// next to the PRD latency target. The service runs as its own process; the
// generator runs here, so on a 2-core machine each has about one core.
import { spawnServiceProcess, type ServiceProcess } from '../services/common/testing.ts';
import type { z } from 'zod';
import { runOpenModelLoad, type LoadResult } from '../support/traffic/load.ts';
import { WORKLOADS } from '../support/traffic/workloads.ts';
import type { ServicesFiguresSchema } from './results.ts';

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
  for (const bench of WORKLOADS.filter((b) => !only || only.includes(b.service))) {
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
