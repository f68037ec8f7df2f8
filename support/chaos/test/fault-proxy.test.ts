import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { FaultProxy, RETRANSMIT_MS } from '../fault-proxy.ts';

// A real echo server on loopback: what the proxy fronts.
const echo = net.createServer((s) => s.pipe(s));
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
const echoPort = (echo.address() as net.AddressInfo).port;
after(() => echo.close());

async function proxy(podSide: 'server' | 'client' = 'server'): Promise<FaultProxy> {
  const p = new FaultProxy({ name: 'test', target: () => ({ host: '127.0.0.1', port: echoPort }), podSide });
  await p.listen();
  after(() => p.close());
  return p;
}

/** Sends bytes through the proxy and resolves with how long until all came back. */
function roundTrip(port: number, bytes: Buffer, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = net.connect({ host: '127.0.0.1', port });
    let got = 0;
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`only ${got} of ${bytes.length} bytes back within ${timeoutMs} ms`))), timeoutMs);
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes.length) {
        clearTimeout(timer);
        s.destroy();
        resolve(Date.now() - started);
      }
    });
    s.on('error', reject);
    s.on('close', () => got < bytes.length && (clearTimeout(timer), reject(new Error(`closed after ${got} of ${bytes.length} bytes`))));
    s.write(bytes);
  });
}

test('with no fault the proxy passes bytes through untouched', async () => {
  const p = await proxy();
  const ms = await roundTrip(p.port, Buffer.from('hello'));
  assert.ok(ms < 100, `round trip took ${ms} ms`);
  assert.equal(p.stats.connections, 1);
  assert.equal(p.stats.bytesForwarded, 10);
});

test('megabytes pass through with backpressure, every byte arriving', async () => {
  const p = await proxy();
  await roundTrip(p.port, Buffer.alloc(8 << 20, 7));
  assert.equal(p.stats.bytesForwarded, 2 * (8 << 20));
});

test('a delay on what the pod sends slows its answers by the latency, and clearing it restores them', async () => {
  const p = await proxy('server');
  p.setFault('slow', { action: 'delay', direction: 'to', latencyMs: 150, jitterMs: 0, correlation: 0 });
  const slow = await roundTrip(p.port, Buffer.from('x'));
  assert.ok(slow >= 145 && slow < 400, `delayed round trip took ${slow} ms`);
  p.clearFault('slow');
  const fast = await roundTrip(p.port, Buffer.from('x'));
  assert.ok(fast < 100, `round trip after the revert took ${fast} ms`);
});

test('a delay in the other direction does not touch what the pod sends', async () => {
  const p = await proxy('client');
  // In front of a dependency, the pod is the client: "from" is what the dependency answers.
  p.setFault('a', { action: 'delay', direction: 'from', latencyMs: 120, jitterMs: 0, correlation: 0 });
  assert.deepEqual(p.faultsFor('to'), []);
  assert.equal(p.faultsFor('from').length, 1);
  const ms = await roundTrip(p.port, Buffer.from('x'));
  assert.ok(ms >= 115, `the answer came back in ${ms} ms`);
});

test('a partition holds connections and data until it heals; nothing is lost', async () => {
  const p = await proxy();
  p.setFault('cut', { action: 'partition', direction: 'both' });
  const pending = roundTrip(p.port, Buffer.from('held'));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.stats.bytesForwarded, 0);
  p.clearFault('cut');
  const ms = await pending;
  assert.ok(ms >= 290, `answered after ${ms} ms`);
  assert.equal(p.stats.bytesForwarded, 8);
});

test('a bandwidth limit paces the bytes', async () => {
  const p = await proxy();
  // 800 kbps = 100 000 bytes/s; 50 000 bytes each way, one direction limited.
  p.setFault('thin', { action: 'bandwidth', direction: 'to', bytesPerSecond: 100_000 });
  const ms = await roundTrip(p.port, Buffer.alloc(50_000, 1));
  assert.ok(ms >= 450, `50 kB at 100 kB/s came back in ${ms} ms`);
});

test('loss costs each lost segment a retransmission timeout, in order', async () => {
  const p = await proxy();
  p.setFault('lossy', { action: 'loss', direction: 'both', percent: 100, correlation: 0 });
  const ms = await roundTrip(p.port, Buffer.from('x'));
  assert.ok(ms >= 2 * RETRANSMIT_MS - 5, `round trip with every segment lost once took ${ms} ms`);
  assert.equal(p.stats.segmentsLost, 2);
});

test('closing the proxy cuts its connections', async () => {
  const p = await proxy();
  p.setFault('cut', { action: 'partition', direction: 'both' });
  const pending = roundTrip(p.port, Buffer.from('never'), 2000);
  await new Promise((r) => setTimeout(r, 50));
  await p.close();
  await assert.rejects(pending);
});
