// Graceful shutdown of a real service process under load.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { loadService } from '../../registry.ts';
import { spawnServiceProcess } from '../testing.ts';

const entry = fileURLToPath(new URL('../../run.ts', import.meta.url));
test('SIGTERM under load: every request sent before it succeeds, and the process exits 0', async (t) => {
  // The grace period covers the race of a request sent on a kept-alive
  // connection at the instant the server closes it as idle.
  const { child, url, exited } = await spawnServiceProcess('demo', {
    APP_VERSION: 'blue',
    FAULT_LATENCY_MS: '300',
    DRAIN_TIMEOUT_MS: '5000',
    DRAIN_GRACE_MS: '400',
  });
  t.after(() => child.kill('SIGKILL'));
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 50 });
  t.after(() => agent.close());

  const results: { sentAt: number; ok: boolean; error?: string }[] = [];
  const inFlight: Promise<void>[] = [];
  let sigtermAt = Infinity;
  // About 100 requests per second (bounded: 120 requests); SIGTERM after the 60th was sent, counted
  // rather than timed so that a busy machine still has many requests in flight at that moment.
  for (let i = 0; i < 120; i++) {
    const sentAt = performance.now();
    if (i === 60) {
      sigtermAt = sentAt;
      child.kill('SIGTERM');
    }
    inFlight.push(
      request(`${url}/color`, { dispatcher: agent }).then(
        async (r) => {
          await r.body.text();
          results.push({ sentAt, ok: r.statusCode === 200 });
        },
        (err: Error) => {
          results.push({ sentAt, ok: false, error: err.message });
        },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const [code] = (await exited) as [number];
  await Promise.all(inFlight);
  const before = results.filter((r) => r.sentAt < sigtermAt);
  assert.equal(before.length, 60);
  // Requests already in flight when SIGTERM arrived (300 ms each) finish normally.
  const failed = before.filter((r) => !r.ok);
  assert.deepEqual(failed, [], `requests sent before SIGTERM failed: ${JSON.stringify(failed.slice(0, 3))}`);
  assert.equal(code, 0);
});

test('the drain timeout bounds shutdown: a request slower than it is cut', async (t) => {
  const { child, url, exited } = await spawnServiceProcess('demo', { APP_VERSION: 'blue', FAULT_LATENCY_MS: '5000', DRAIN_TIMEOUT_MS: '300' });
  t.after(() => child.kill('SIGKILL'));
  const slow = fetch(`${url}/color`).then(
    () => 'answered',
    () => 'cut',
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const start = performance.now();
  child.kill('SIGTERM');
  const [code] = (await exited) as [number];
  const took = performance.now() - start;
  assert.equal(code, 0);
  assert.ok(took < 3000, `expected exit within about the 300 ms drain timeout, took ${Math.round(took)} ms`);
  assert.equal(await slow, 'cut');
});

test('a bad environment stops the process at start with the variable named', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'tinyurl'], {
    env: { ...process.env, FAULT_ERROR_RATE: 'lots' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await exited) as [number];
  assert.equal(code, 1);
  assert.match(stderr, /FAULT_ERROR_RATE="lots": expected a fraction/);
});

test('an unknown service name lists the known ones', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'nosuch'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await exited) as [number];
  assert.equal(code, 1);
  assert.match(stderr, /unknown service "nosuch": expected one of tinyurl, newsfeed, docs, demo/);
});

test("names of Object's own properties are unknown services too", async () => {
  for (const name of ['constructor', '__proto__', 'toString']) await assert.rejects(loadService(name), /unknown service/);
});

test('a shutdown that fails exits 1 and says why', async (t) => {
  const { exitOnSignals } = await import('../lifecycle.ts');
  const exits: number[] = [];
  t.mock.method(process, 'exit', (code: number) => {
    exits.push(code);
  });
  const lines: string[] = [];
  exitOnSignals({ url: 'http://x', stop: () => Promise.reject(new Error('disk gone')) }, (l) => lines.push(l));
  process.emit('SIGINT', 'SIGINT');
  await new Promise((r) => setTimeout(r, 20));
  process.removeAllListeners('SIGTERM');
  assert.deepEqual(exits, [1]);
  assert.deepEqual(lines, ['SIGINT received: draining', 'shutdown failed: Error: disk gone']);
});
