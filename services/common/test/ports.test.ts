import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { freePort } from '../ports.ts';

test('freePort gives a loopback port that can be listened on', async () => {
  const port = await freePort();
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  assert.equal((server.address() as { port: number }).port, port);
  await new Promise((resolve) => server.close(resolve));
});
