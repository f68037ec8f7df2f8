// A real redis-server for the cache tests, started on a free loopback port
// and stopped by PID. In CI a missing redis-server is an error, not a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../common/testing.ts';

export const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export function redisAvailable(): boolean {
  return spawnSync(REDIS_BIN, ['--version']).status === 0;
}

export interface TestRedis {
  url: string;
  process: ChildProcess;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5000;
  const { Redis } = await import('ioredis');
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) {
        // Never leave it behind: a busy machine can make it slow, and nobody else knows its PID.
        child.kill('SIGKILL');
        throw new Error(`redis-server did not answer on ${url} within 5 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    process: child,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
