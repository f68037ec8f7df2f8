import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { call, startTestService, type TestService } from '../../common/testing.ts';
import { docs } from '../app.ts';
import { OtClient, type ServerMessage } from '../client/ot-client.ts';

const start = (env: Record<string, string> = {}) =>
  startTestService(docs, { RATE_LIMIT_PER_MINUTE: '0', DOCS_PUSH_INTERVAL_MS: '20', ...env });
const as = (user: string) => ({ 'x-user-id': user });

async function createDoc(s: TestService, user: string, content = '') {
  const r = await call(`${s.url}/api/documents`, { body: { title: 'Plan', content }, headers: as(user) });
  assert.equal(r.status, 201);
  return r.json.id as string;
}

test('create, read, update; a stale base is transformed, not rejected', async (t) => {
  const s = await start({ APP_VERSION: 'v2' });
  t.after(s.stop);
  const created = await call(`${s.url}/api/documents`, { body: { title: 'Plan', content: 'hello' }, headers: as('ann') });
  assert.deepEqual({ status: created.status, version: created.json.version }, { status: 201, version: 0 });
  const id = created.json.id;
  const update = (baseVersion: number, ops: unknown) =>
    call(`${s.url}/api/documents/${id}/update`, { body: { baseVersion, ops }, headers: as('ann') });
  assert.deepEqual((await update(0, [5, ' world'])).json, { version: 1, ops: [5, ' world'] });
  // Based on version 0, as if it had not seen " world": inserted at the start, deletes "hello".
  const stale = await update(0, ['>> ', { d: 5 }]);
  assert.equal(stale.json.version, 2);
  const doc = (await call(`${s.url}/api/documents/${id}`, { headers: as('ann') })).json;
  assert.deepEqual({ content: doc.content, version: doc.version, role: doc.role, title: doc.title }, { content: '>>  world', version: 2, role: 'owner', title: 'Plan' });
});

test('the op log reads back every applied op as it was applied, from a version on, to readers only', async (t) => {
  const s = await start();
  t.after(s.stop);
  const id = await createDoc(s, 'ann', 'hello');
  const update = (baseVersion: number, ops: unknown) => call(`${s.url}/api/documents/${id}/update`, { body: { baseVersion, ops }, headers: as('ann') });
  await update(0, [5, ' world']);
  await update(0, ['>> ']);
  const history = (query: string, user = 'ann') => call(`${s.url}/api/documents/${id}/ops${query}`, { headers: as(user) });
  assert.deepEqual((await history('')).json, {
    id,
    version: 2,
    ops: [
      { version: 1, op: [5, ' world'], clientId: null, seq: null },
      { version: 2, op: ['>> '], clientId: null, seq: null },
    ],
  });
  assert.deepEqual((await history('?since=1&limit=1')).json.ops.map((o: { version: number }) => o.version), [2]);
  assert.equal((await history('?limit=0')).json.fields[0].field, 'query.limit');
  assert.equal((await history('', 'stranger')).status, 403);
});

test('bad ops and versions are 400 with what was wrong', async (t) => {
  const s = await start();
  t.after(s.stop);
  const id = await createDoc(s, 'ann', 'abc');
  const update = (body: unknown) => call(`${s.url}/api/documents/${id}/update`, { body, headers: as('ann') });
  assert.match((await update({ baseVersion: 0, ops: [10, 'x'] })).json.error, /does not apply to version 0/);
  assert.match((await update({ baseVersion: 5, ops: ['x'] })).json.error, /ahead of the document/);
  assert.equal((await update({ baseVersion: 0, ops: [0, 'x'] })).json.fields[0].field, 'body.ops.0');
  assert.equal((await update({ baseVersion: -1, ops: ['x'] })).json.fields[0].field, 'body.baseVersion');
  assert.equal((await update({ baseVersion: 0, ops: [{ x: 1 }] })).status, 400);
  assert.equal((await call(`${s.url}/api/documents`, { body: { title: '' }, headers: as('ann') })).json.fields[0].field, 'body.title');
  assert.equal((await call(`${s.url}/api/documents/nosuch`, { headers: as('ann') })).status, 404);
});

test('permissions: identity required; viewers read, editors edit, only owners share', async (t) => {
  const s = await start();
  t.after(s.stop);
  assert.equal((await call(`${s.url}/api/documents`, { body: { title: 'x' } })).status, 401);
  assert.equal((await call(`${s.url}/api/documents`, { body: { title: 'x' }, headers: as('bad user!') })).status, 400);
  const id = await createDoc(s, 'owner', 'text');
  const read = (user: string) => call(`${s.url}/api/documents/${id}`, { headers: as(user) });
  const edit = (user: string) => call(`${s.url}/api/documents/${id}/update`, { body: { baseVersion: 0, ops: ['!'] }, headers: as(user) });
  const share = (by: string, user: string, role: string) => call(`${s.url}/api/documents/${id}/share`, { body: { user, role }, headers: as(by) });
  assert.equal((await read('stranger')).status, 403);
  assert.equal((await edit('stranger')).status, 403);
  assert.deepEqual((await share('owner', 'vic', 'viewer')).json, { id, user: 'vic', role: 'viewer' });
  assert.equal((await read('vic')).json.role, 'viewer');
  assert.equal((await edit('vic')).status, 403);
  const refused = await share('vic', 'vic', 'editor');
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error, `user "vic" may not share document "${id}"`);
  assert.equal((await share('owner', 'vic', 'editor')).status, 200);
  assert.equal((await edit('vic')).status, 200);
  assert.equal((await share('owner', 'eve', 'admin')).json.fields[0].field, 'body.role');
});

/** An OtClient on a real WebSocket that reconnects by itself, as the editor page does. */
function liveClient(url: () => string, docId: string, user: string, name: string) {
  const state = { socket: undefined as WebSocket | undefined, closed: false, errors: [] as string[], opened: 0 };
  const client = new OtClient(name, () => {});
  const open = () => {
    if (state.closed) return;
    const ws = new WebSocket(`${url().replace('http', 'ws')}/ws/${docId}?user=${user}`);
    ws.on('open', () => {
      state.socket = ws;
      state.opened++;
      client.connect((m) => ws.send(JSON.stringify(m)));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      if (m.type === 'error') state.errors.push(m.message);
      client.receive(m);
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      state.socket = undefined;
      setTimeout(open, 50);
    });
  };
  open();
  return {
    client,
    state,
    close: () => {
      state.closed = true;
      state.socket?.close();
    },
  };
}

/** Appends text at the end of the client's copy. */
function append(client: OtClient, text: string) {
  const length = Array.from(client.content).length;
  client.applyLocal(length === 0 ? [text] : [length, text]);
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('two live clients typing at once converge', async (t) => {
  const s = await start();
  t.after(s.stop);
  const id = await createDoc(s, 'ann', 'base');
  await call(`${s.url}/api/documents/${id}/share`, { body: { user: 'bob', role: 'editor' }, headers: as('ann') });
  const a = liveClient(() => s.url, id, 'ann', 'a');
  const b = liveClient(() => s.url, id, 'bob', 'b');
  t.after(() => {
    a.close();
    b.close();
  });
  await until('both clients to load the document', () => a.client.version === 0 && b.client.version === 0);
  for (let i = 0; i < 20; i++) {
    a.client.applyLocal([`a${i % 10}`]);
    append(b.client, `b${i % 10}`);
  }
  await until('both idle and equal', () => a.client.idle && b.client.idle && a.client.version === b.client.version && a.client.content === b.client.content);
  const server = (await call(`${s.url}/api/documents/${id}`, { headers: as('ann') })).json;
  assert.equal(a.client.content, server.content);
  assert.equal(Array.from(server.content).length, 4 + 40 * 2);
});

test('a viewer gets the live text but its edits are refused', async (t) => {
  const s = await start();
  t.after(s.stop);
  const id = await createDoc(s, 'ann', 'read me');
  await call(`${s.url}/api/documents/${id}/share`, { body: { user: 'vic', role: 'viewer' }, headers: as('ann') });
  const v = liveClient(() => s.url, id, 'vic', 'v');
  t.after(v.close);
  await until('the snapshot', () => v.client.version === 0);
  assert.equal(v.client.content, 'read me');
  v.client.applyLocal(['x']);
  await until('the refusal', () => v.state.errors.length > 0);
  assert.match(v.state.errors[0] as string, /may not edit/);
  const stranger = new WebSocket(`${s.url.replace('http', 'ws')}/ws/${id}?user=mallory`);
  const closed = await new Promise<{ code: number; message: string }>((resolve) => {
    let message = '';
    stranger.on('message', (d) => (message = JSON.parse(String(d)).message));
    stranger.on('close', (code) => resolve({ code, message }));
  });
  assert.equal(closed.code, 1008);
  assert.match(closed.message, /may not read/);
});

test('a restart during live editing loses no acknowledged edit; clients converge after reconnecting', async (t) => {
  let s = await start();
  t.after(() => s.stop());
  const dataDir = s.dataDir;
  const id = await createDoc(s, 'ann');
  const a = liveClient(() => s.url, id, 'ann', 'a');
  t.after(a.close);
  await until('the snapshot', () => a.client.version === 0);
  for (let i = 0; i < 10; i++) append(a.client, `${i}`);
  await until('acknowledged', () => a.client.idle);
  const acknowledged = a.client.content;
  await s.stop();
  // Typed while the server is away: buffered, sent after the reconnect.
  append(a.client, '+offline');
  s = await start({ DATA_DIR: dataDir, PORT: String(new URL(s.url).port) });
  await until('reconnected and acknowledged', () => a.state.opened >= 2 && a.client.idle);
  const server = (await call(`${s.url}/api/documents/${id}`, { headers: as('ann') })).json;
  assert.equal(server.content, `${acknowledged}+offline`);
  assert.equal(a.client.content, server.content);
});

test('clients on two versions side by side (a blue-green cutover) converge', async (t) => {
  const blue = await start({ APP_VERSION: 'blue-1' });
  t.after(blue.stop);
  const green = await start({ APP_VERSION: 'green-2', DATA_DIR: blue.dataDir });
  t.after(green.stop);
  const id = await createDoc(blue, 'ann');
  const a = liveClient(() => blue.url, id, 'ann', 'a');
  const b = liveClient(() => green.url, id, 'ann', 'b');
  t.after(() => {
    a.close();
    b.close();
  });
  await until('both loaded', () => a.client.version === 0 && b.client.version === 0);
  for (let i = 0; i < 10; i++) {
    a.client.applyLocal(['A']);
    b.client.applyLocal(['B']);
  }
  await until('converged', () => a.client.idle && b.client.idle && a.client.content === b.client.content && a.client.content.length === 20);
  assert.equal([...a.client.content].filter((c) => c === 'A').length, 10);
});

test('the editor page and its script are served with a CSP that allows only self and WebSockets', async (t) => {
  const s = await start();
  t.after(s.stop);
  const pageResponse = await call(`${s.url}/`);
  assert.match(pageResponse.text, /<textarea id="text"/);
  assert.match(pageResponse.headers.get('content-security-policy') ?? '', /connect-src 'self' ws: wss:/);
  const script = await call(`${s.url}/editor.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  assert.ok(script.text.length > 1000);
});
