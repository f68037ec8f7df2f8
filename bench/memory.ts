// Memory of the local platform's pods: three services in two versions each,
// every one a process as the local platform runs it (node with tsx, the
// service from source), warmed with a few hundred requests, then each
// process's resident memory read from /proc.
import type { z } from 'zod';
import { spawnServiceProcess, type ServiceProcess } from '../services/common/testing.ts';
import { readProcessUsage } from '../support/platform/local/pod-metrics.ts';
import { runOpenModelLoad } from '../support/traffic/load.ts';
import type { MemoryFiguresSchema } from './results.ts';

const SERVICES = ['tinyurl', 'newsfeed', 'docs'];
const VERSIONS = ['v1', 'v2'];

export async function benchMemory(): Promise<z.infer<typeof MemoryFiguresSchema>> {
  const processes: ServiceProcess[] = [];
  try {
    for (const service of SERVICES) {
      for (const version of VERSIONS) processes.push(await spawnServiceProcess(service, { APP_VERSION: version, LOG_LEVEL: 'warn' }));
    }
    console.log(`bench memory: ${processes.length} processes up; 300 requests to each`);
    for (const p of processes) await runOpenModelLoad({ target: p.url, ratePerSecond: 100, durationMs: 3000, request: () => ({ path: '/health' }) });
    // The same reading the local platform's pod metrics take (VmRSS).
    const each = processes.map((p) => (readProcessUsage(p.child.pid as number)?.memoryBytes ?? NaN) / 2 ** 20);
    return {
      services: SERVICES,
      versions: VERSIONS,
      processes: each.length,
      totalMiB: each.reduce((a, b) => a + b, 0),
      perProcessMiB: { min: Math.min(...each), max: Math.max(...each), mean: each.reduce((a, b) => a + b, 0) / each.length },
    };
  } finally {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
  }
}
