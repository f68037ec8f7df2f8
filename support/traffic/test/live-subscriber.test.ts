import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { LiveSubscriber } from '../live-subscriber.ts';

test('keeps every message, waits for a count within a bound, and says when the server closed first', async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'hello' }));
    socket.on('message', (m) => {
      if (m.toString() === 'more') for (let i = 0; i < 3; i++) socket.send(JSON.stringify({ type: 'item', i }));
      if (m.toString() === 'bye') socket.close(4000, 'done');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    wss.close();
    server.close();
  });
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const isItem = (d: unknown) => (d as { type?: string }).type === 'item';

  const live = await LiveSubscriber.connect(`${base}/ws`);
  await assert.rejects(live.waitFor(isItem, 1, 200), /0 of 1 messages within 0 s \(1 messages in all\)/);
  live.send('more');
  assert.equal((await live.waitFor(isItem, 3, 5000)).length, 3);
  live.send('bye');
  await assert.rejects(live.waitFor(isItem, 4, 5000), /closed by the server \(4000 done\) after 3 of 4 messages/);
  await live.close();
  await live.close();

  await assert.rejects(LiveSubscriber.connect(`${base}/nope`), /answered HTTP (400|404) instead of switching to WebSocket/);
});
