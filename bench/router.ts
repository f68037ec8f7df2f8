// The router's cost, measured side by side in one run: the same load straight
// to a service and through the cutover router (each in its own process).
// Prints the throughput ratio at saturation and the p50/p99 the router adds
// at 1000 req/s. Goals from the local platform issue: >= 85% of direct
// throughput, <= 1 ms added p99.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort, spawnServiceProcess, tempDataDir } from '../services/common/testing.ts';
import type { z } from 'zod';
import { runOpenModelLoad, type LatencySummary } from '../support/traffic/load.ts';
import type { RouterFiguresSchema } from './results.ts';

async function saturate(url: string, seconds: number, connections = 64): Promise<number> {
  const agent = new Agent({ connections, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  // Closed loop: each worker sends its next request when the last one answered.
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const res = await request(url, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200) completed++;
      }
    }),
  );
  await agent.close();
  return completed / seconds;
}

/** HAProxy in front of the same backend, as the reference for what a proxy costs here. */
async function startHaproxy(backendUrl: string) {
  const port = await freePort();
  const dir = tempDataDir('bench-haproxy');
  const backend = new URL(backendUrl);
  const config = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    config,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  option http-keep-alive',
      'frontend bench',
      `  bind 127.0.0.1:${port}`,
      '  default_backend service',
      'backend service',
      `  server s0 ${backend.hostname}:${backend.port}`,
      '',
    ].join('\n'),
  );
  const child = spawn('haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await fetch(`${url}/color`)).text();
      break;
    } catch (err) {
      if (i > 50) throw new Error(`haproxy did not answer on ${url}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function startRouter(backendUrl: string) {
  const script = fileURLToPath(new URL('./router-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, backendUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`router exited with ${code}: ${out}`)));
  });
  return { url, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

export async function benchRouter(): Promise<z.infer<typeof RouterFiguresSchema>> {
  const seconds = Number(process.env.BENCH_DURATION_S ?? 10);
  const backend = await spawnServiceProcess('demo', { APP_VERSION: 'blue', LOG_LEVEL: 'warn' });
  const router = await startRouter(backend.url);
  try {
    const haproxy = spawnSync('haproxy', ['-v']).status === 0;
    console.log(`bench router: saturation for ${seconds} s each (closed loop, 64 connections), then 1000 req/s for ${seconds} s each (open model)`);
    const direct = await saturate(`${backend.url}/color`, seconds);
    const routed = await saturate(`${router.url}/color`, seconds);
    const at1000 = async (url: string) =>
      (await runOpenModelLoad({ target: url, ratePerSecond: 1000, durationMs: seconds * 1000, request: () => ({ path: '/color' }) }));
    const directLoad = await at1000(backend.url);
    const routedLoad = await at1000(router.url);
    let reference: { saturation: number; at1000: LatencySummary } | undefined;
    if (haproxy) {
      const ha = await startHaproxy(backend.url);
      try {
        reference = { saturation: await saturate(`${ha.url}/color`, seconds), at1000: (await at1000(ha.url)).latency };
      } finally {
        await ha.stop();
      }
    }
    const lat = (l: LatencySummary) => `p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms`;
    const ratio = routed / direct;
    const addedP50 = routedLoad.latency.p50Ms - directLoad.latency.p50Ms;
    const addedP99 = routedLoad.latency.p99Ms - directLoad.latency.p99Ms;
    console.log(`\nsaturation: direct ${direct.toFixed(0)} req/s, through the router ${routed.toFixed(0)} req/s: ratio ${(ratio * 100).toFixed(1)}% (goal >= 85%)`);
    console.log(`1000 req/s: direct ${lat(directLoad.latency)}; through the router ${lat(routedLoad.latency)}`);
    console.log(`added by the router: p50 ${addedP50.toFixed(2)} ms, p99 ${addedP99.toFixed(2)} ms (goal <= 1 ms at p99)`);
    console.log(`failed requests: direct ${directLoad.failed}, routed ${routedLoad.failed}`);
    if (reference) {
      console.log(
        `HAProxy reference: saturation ${reference.saturation.toFixed(0)} req/s (${((reference.saturation / direct) * 100).toFixed(1)}% of direct), ` +
          `added at 1000 req/s: p50 ${(reference.at1000.p50Ms - directLoad.latency.p50Ms).toFixed(2)} ms, p99 ${(reference.at1000.p99Ms - directLoad.latency.p99Ms).toFixed(2)} ms; ` +
          `the cutover router reaches ${((routed / reference.saturation) * 100).toFixed(1)}% of HAProxy's throughput`,
      );
    } else {
      console.log('HAProxy reference: skipped, haproxy is not installed (apt-get install haproxy)');
    }
    return { seconds, saturation: { direct, routed, ratio, ...(reference ? { haproxy: reference.saturation } : {}) }, addedAt1000: { p50Ms: addedP50, p99Ms: addedP99 }, failedAt1000: { direct: directLoad.failed, routed: routedLoad.failed } };
  } finally {
    await router.stop();
    backend.child.kill('SIGTERM');
    await backend.exited;
  }
}
