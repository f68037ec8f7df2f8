// Docs: collaborative plain-text documents with operational transformation,
// over HTTP and live over WebSocket, with a small editor page.
//
// Identity comes from the X-User-Id header (WebSocket: the `user` query
// parameter), as set by the authenticating proxy in front of the service.
import { fileURLToPath } from 'node:url';
import websocket from '@fastify/websocket';
import { buildSync } from 'esbuild';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createStoredServiceApp } from '../common/app.ts';
import type { ServiceConfig } from '../common/config.ts';
import { page } from '../common/html.ts';
import type { BuiltService, ServiceDefinition } from '../common/service.ts';
import { HttpError, parseInput } from '../common/validation.ts';
import type { ClientMessage } from './client/ot-client.ts';
import { SessionHub, type Session } from './hub.ts';
import { DOCS_MIGRATIONS, DocumentStore, may, type Action } from './store.ts';

const UserId = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'expected a user id of 1 to 64 letters, digits or "_.@-"');
const DocParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected a document id') });
const CreateBody = z.object({
  title: z.string().trim().min(1, 'expected a title').max(200),
  content: z.string().max(1_000_000).default(''),
});
/** An ot-text-unicode op: retain n, insert text, delete {d: n or text}. */
const TextOpSchema = z
  .array(
    z.union([
      z.number().int().positive(),
      z.string().min(1).max(65_536),
      z.object({ d: z.union([z.number().int().positive(), z.string().min(1)]) }).strict(),
    ]),
  )
  .max(10_000);

const UpdateBody = z.object({ baseVersion: z.number().int().min(0), ops: TextOpSchema });
const HistoryQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
const ShareBody = z.object({ user: UserId, role: z.enum(['viewer', 'editor']) });
const SocketQuery = z.object({ user: UserId });
const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('hello'), clientId: z.string().min(1).max(64), version: z.number().int().min(0).optional() }),
  z.object({
    type: z.literal('op'),
    clientId: z.string().min(1).max(64),
    seq: z.number().int().min(1),
    baseVersion: z.number().int().min(0),
    op: TextOpSchema,
  }),
]);

function userOf(request: FastifyRequest): string {
  const header = request.headers['x-user-id'];
  if (header === undefined || header === '') throw new HttpError(401, 'expected an X-User-Id header');
  return parseInput(UserId, header, 'header.x-user-id');
}

let editorBundle: string | undefined;
/** The editor script, bundled once per process from client/editor.ts. */
function editorScript(): string {
  editorBundle ??= buildSync({
    entryPoints: [fileURLToPath(new URL('./client/editor.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    target: 'es2020',
  }).outputFiles[0]?.text;
  return editorBundle as string;
}

export interface DocsOptions {
  /** How often each process looks for ops another process applied, to push them live. */
  pushIntervalMs: number;
}

export async function buildDocs(config: ServiceConfig, options: DocsOptions): Promise<BuiltService> {
  const service = await createStoredServiceApp({
    service: 'docs',
    config,
    migrations: DOCS_MIGRATIONS,
    connectSrc: ['ws:', 'wss:'],
  });
  const { app, db } = service;
  const store = new DocumentStore(db);
  await app.register(websocket, { options: { maxPayload: 256 * 1024 } });

  const access = (id: string, user: string, action: Action) => {
    const role = store.roleOf(id, user);
    if (role === undefined) throw new HttpError(404, `no document "${id}"`);
    if (role === null || !may(role, action)) throw new HttpError(403, `user "${user}" may not ${action} document "${id}"`);
    return role;
  };

  const hub = new SessionHub(store);
  const pushTimer = setInterval(() => hub.deliver(), options.pushIntervalMs);
  pushTimer.unref();

  app.post('/api/documents', async (request, reply) => {
    const user = userOf(request);
    const body = parseInput(CreateBody, request.body, 'body');
    const doc = store.create(user, body.title, body.content);
    reply.code(201);
    return { id: doc.id, version: doc.version };
  });

  app.get('/api/documents/:id', async (request) => {
    const user = userOf(request);
    const { id } = parseInput(DocParam, request.params, 'path');
    const role = access(id, user, 'read');
    return { ...store.get(id), role };
  });

  // The op log, as applied: what an auditor (or the integrity check) reads to
  // prove that every acknowledged edit is kept as it was acknowledged.
  app.get('/api/documents/:id/ops', async (request) => {
    const user = userOf(request);
    const { id } = parseInput(DocParam, request.params, 'path');
    const query = parseInput(HistoryQuery, request.query, 'query');
    access(id, user, 'read');
    const ops = store.opsSince(id, query.since, query.limit);
    return { id, version: (store.get(id) as { version: number }).version, ops };
  });

  app.post('/api/documents/:id/update', async (request) => {
    const user = userOf(request);
    const { id } = parseInput(DocParam, request.params, 'path');
    const body = parseInput(UpdateBody, request.body, 'body');
    access(id, user, 'edit');
    const applied = store.submit(id, { user, baseVersion: body.baseVersion, op: body.ops });
    hub.deliver(id);
    return { version: applied.version, ops: applied.op };
  });

  app.post('/api/documents/:id/share', async (request) => {
    const user = userOf(request);
    const { id } = parseInput(DocParam, request.params, 'path');
    const body = parseInput(ShareBody, request.body, 'body');
    access(id, user, 'share');
    store.share(id, body.user, body.role);
    return { id, user: body.user, role: body.role };
  });

  app.get('/ws/:id', { websocket: true }, (socket, request) => {
    let session: Session;
    try {
      const { id } = parseInput(DocParam, request.params, 'path');
      const { user } = parseInput(SocketQuery, request.query, 'query');
      const role = access(id, user, 'read');
      session = hub.open(id, user, role, (message) => socket.send(JSON.stringify(message)));
    } catch (err) {
      socket.send(JSON.stringify({ type: 'error', message: (err as Error).message }));
      socket.close(1008, 'not allowed');
      return;
    }
    socket.on('close', () => session.close());
    socket.on('message', (raw) => {
      let message: ClientMessage;
      try {
        message = parseInput(ClientMessageSchema, JSON.parse(String(raw)), 'message');
      } catch (err) {
        session.send({ type: 'error', message: (err as Error).message });
        return;
      }
      session.handle(message);
    });
  });

  app.get('/editor.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(editorScript()));
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      page(
        'Docs',
        `<h1>Docs</h1>
        <form id="open"><label>User <input id="user" required pattern="[A-Za-z0-9_.@\\-]{1,64}"></label>
        <label>Document <input id="doc" placeholder="empty: create a new one"></label>
        <button type="submit">Open</button></form>
        <p id="status">not connected</p>
        <textarea id="text" rows="20" cols="80" disabled></textarea>`,
        ['/editor.js'],
      ),
    ),
  );

  return {
    service,
    close: async () => {
      clearInterval(pushTimer);
      db.close();
    },
  };
}

const DocsEnv = z.object({ DOCS_PUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(100) });

export const docs: ServiceDefinition = {
  name: 'docs',
  defaultPort: 5002,
  migrations: DOCS_MIGRATIONS,
  build: (config, env) => buildDocs(config, { pushIntervalMs: parseInput(DocsEnv, env, 'env').DOCS_PUSH_INTERVAL_MS }),
};
