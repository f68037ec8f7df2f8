import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { openDatabase } from '../../common/database.ts';
import { call, startTestService } from '../../common/testing.ts';
import { docs } from '../app.ts';
import { OtClient, type ClientMessage, type ServerMessage } from '../client/ot-client.ts';
import { SessionHub } from '../hub.ts';
import { diffToOp } from '../ot.ts';
import { DOCS_MIGRATIONS, DocumentStore } from '../store.ts';

const memoryStore = () => new DocumentStore(openDatabase(':memory:', DOCS_MIGRATIONS));

test('diffToOp keeps the common prefix and suffix', () => {
  assert.deepEqual(diffToOp('abc', 'aXc'), [1, { d: 1 }, 'X']);
  assert.deepEqual(diffToOp('abcabc', 'abc'), [3, { d: 3 }]);
  assert.deepEqual(diffToOp('😀x😀', '😀😀'), [1, { d: 1 }]);
  assert.deepEqual(diffToOp('same', 'same'), []);
});

test('a resubmitted op (same client and sequence) is applied once', () => {
  const store = memoryStore();
  const doc = store.create('ann', 't', 'abc');
  const first = store.submit(doc.id, { user: 'ann', baseVersion: 0, op: ['x'], clientId: 'c1', seq: 1 });
  const again = store.submit(doc.id, { user: 'ann', baseVersion: 0, op: ['x'], clientId: 'c1', seq: 1 });
  assert.deepEqual(again, { ...first, duplicate: true });
  assert.equal(store.get(doc.id)?.content, 'xabc');
  assert.throws(() => store.submit('nosuch', { user: 'ann', baseVersion: 0, op: ['x'] }), /no document "nosuch"/);
});

test('hub: a ping gets a pong, from viewers too, before any hello', () => {
  const hub = new SessionHub(memoryStore());
  const got: ServerMessage[] = [];
  hub.open('any', 'vic', 'viewer', (m) => got.push(m)).handle({ type: 'ping' });
  assert.deepEqual(got, [{ type: 'pong' }]);
  // The client takes a pong as a sign of life only: nothing in the document changes.
  const sent: ClientMessage[] = [];
  const client = new OtClient('c', (m) => sent.push(m));
  client.receive({ type: 'snapshot', version: 3, content: 'abc' });
  client.receive({ type: 'pong' });
  assert.deepEqual({ version: client.version, content: client.content, idle: client.idle, sent }, { version: 3, content: 'abc', idle: true, sent: [] });
});

test('hub: hello on a vanished document is an error; ops applied over HTTP reach live sessions', () => {
  const store = memoryStore();
  const hub = new SessionHub(store);
  const got: ServerMessage[] = [];
  const orphan = hub.open('missing', 'ann', 'owner', (m) => got.push(m));
  orphan.handle({ type: 'hello', clientId: 'x' });
  assert.deepEqual(got, [{ type: 'error', message: 'no document "missing"' }]);
  orphan.close();
  const doc = store.create('ann', 't', '');
  const live: ServerMessage[] = [];
  const session = hub.open(doc.id, 'ann', 'owner', (m) => live.push(m));
  session.handle({ type: 'hello', clientId: 'c' });
  store.submit(doc.id, { user: 'ann', baseVersion: 0, op: ['over http'] });
  hub.deliver(doc.id);
  assert.deepEqual(live.at(-1), { type: 'op', version: 1, op: ['over http'], clientId: '', seq: 0 });
  session.handle({ type: 'op', clientId: 'c', seq: 1, baseVersion: 9, op: ['x'] });
  assert.match((live.at(-1) as { message: string }).message, /ahead of the document/);
  session.close();
  assert.equal(hub.sessions.size, 0);
});

test('client: empty edits send nothing; ops it already has are ignored', () => {
  const sent: ClientMessage[] = [];
  const client = new OtClient('me', (m) => sent.push(m));
  client.connect();
  client.receive({ type: 'snapshot', version: 3, content: 'abc' });
  client.applyLocal([]);
  assert.equal(sent.length, 1, 'only the hello');
  client.receive({ type: 'op', version: 3, op: ['zzz'], clientId: 'other', seq: 1 });
  assert.equal(client.content, 'abc');
  client.receive({ type: 'error', message: 'unrelated' });
  assert.deepEqual(client.errors, ['unrelated']);
});

test('a malformed WebSocket message gets an error naming the problem, and the session stays open', async (t) => {
  const s = await startTestService(docs, { RATE_LIMIT_PER_MINUTE: '0' });
  t.after(s.stop);
  const { id } = (await call(`${s.url}/api/documents`, { body: { title: 't' }, headers: { 'x-user-id': 'ann' } })).json;
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws/${id}?user=ann`);
  t.after(() => ws.close());
  const messages: ServerMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  await new Promise((r) => ws.on('open', r));
  ws.send('not json');
  ws.send(JSON.stringify({ type: 'op', clientId: 'c', seq: 0, baseVersion: 0, op: ['x'] }));
  ws.send(JSON.stringify({ type: 'hello', clientId: 'c' }));
  const deadline = Date.now() + 3000;
  while (messages.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(messages[0]?.type, 'error');
  assert.match((messages[1] as { message: string }).message, /message.seq/);
  assert.deepEqual(messages[2], { type: 'snapshot', version: 0, content: '' });
});
