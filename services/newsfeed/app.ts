// Newsfeed: articles aggregated from RSS/Atom sources, a personalised and
// paginated feed, likes, recommendations, and live pushes over WebSocket.
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { createStoredServiceApp } from '../common/app.ts';
import type { ServiceConfig } from '../common/config.ts';
import type { BuiltService, ServiceDefinition } from '../common/service.ts';
import { HttpError, parseInput } from '../common/validation.ts';
import { FeedPoller } from './feeds.ts';
import { after, decodeCursor, encodeCursor, rank } from './ranking.ts';
import { ArticleStore, NEWSFEED_MIGRATIONS, type Article } from './store.ts';

const UserId = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'expected a user id of 1 to 64 letters, digits or "_.@-"');

const FeedQuery = z.object({
  user: UserId,
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
const ArticleParam = z.object({ articleId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an article id') });
const LikeBody = z.object({ user: UserId });
const UserParam = z.object({ userId: UserId });

export interface NewsfeedOptions {
  sources: string[];
  pollIntervalMs: number;
  /** How often each process looks for articles another process stored, to push them live. */
  pushIntervalMs: number;
}

const publicArticle = (a: Article) => ({
  id: a.id,
  title: a.title,
  link: a.link,
  summary: a.summary,
  source: a.source,
  publishedAt: a.publishedAt,
  likes: a.likes,
});

export async function buildNewsfeed(config: ServiceConfig, options: NewsfeedOptions): Promise<BuiltService> {
  const service = await createStoredServiceApp({
    service: 'newsfeed',
    config,
    migrations: NEWSFEED_MIGRATIONS,
  });
  const { app, db } = service;
  const store = new ArticleStore(db);
  await app.register(websocket, { options: { maxPayload: 4096 } });

  // Live pushes come from the database, not from this process's own polls, so
  // subscribers of every version see articles whichever process stored them.
  const subscribers = new Set<WebSocket>();
  let pushedSeq = store.latestSeq();
  const push = () => {
    if (subscribers.size === 0) {
      pushedSeq = store.latestSeq();
      return;
    }
    for (let batch = store.after(pushedSeq); batch.length > 0; batch = store.after(pushedSeq)) {
      for (const article of batch) {
        const message = JSON.stringify({ type: 'article', article: publicArticle(article) });
        for (const socket of subscribers) socket.send(message);
        pushedSeq = article.seq;
      }
    }
  };
  const pushTimer = setInterval(push, options.pushIntervalMs);
  pushTimer.unref();

  const poller = new FeedPoller(
    options.sources,
    (items) => {
      store.add(items);
      push();
    },
    options.pollIntervalMs,
  );
  poller.start();

  app.get('/api/newsfeed', async (request) => {
    const query = parseInput(FeedQuery, request.query, 'query');
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === undefined) {
      throw new HttpError(400, 'query.cursor: expected a cursor returned by this API');
    }
    // A cursor pins the time the first page was ranked at, so later pages rank
    // the same articles with the same recency.
    const asOf = cursor?.asOf ?? new Date().toISOString();
    const taste = store.likedBy(query.user);
    const rest = after(rank(store.recent(asOf), taste, Date.parse(asOf)), cursor);
    const items = rest.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({ ...publicArticle(r.article), score: r.score, likedByUser: taste.ids.has(r.article.id) })),
      nextCursor: rest.length > items.length && last ? encodeCursor({ asOf, score: last.score, id: last.article.id }) : null,
    };
  });

  app.post('/api/like/:articleId', async (request) => {
    const { articleId } = parseInput(ArticleParam, request.params, 'path');
    const { user } = parseInput(LikeBody, request.body, 'body');
    const result = store.like(articleId, user);
    if (result === undefined) throw new HttpError(404, `no article "${articleId}"`);
    return { articleId, likes: result.likes, liked: true, changed: result.changed };
  });

  app.get('/api/likes/:userId', async (request) => {
    const { userId } = parseInput(UserParam, request.params, 'path');
    return { user: userId, articles: [...store.likedBy(userId).ids].sort() };
  });

  app.get('/api/recommendations/:userId', async (request) => {
    const { userId } = parseInput(UserParam, request.params, 'path');
    const taste = store.likedBy(userId);
    const now = Date.now();
    // What the reader has not liked yet, from the sources they like first, then by popularity.
    const candidates = rank(store.recent(new Date(now).toISOString()), taste, now).filter((r) => !taste.ids.has(r.article.id));
    const fromLikedSources = candidates.filter((r) => taste.sources.has(r.article.source));
    const others = candidates.filter((r) => !taste.sources.has(r.article.source)).sort((a, b) => b.article.likes - a.article.likes);
    return {
      user: userId,
      items: [...fromLikedSources, ...others].slice(0, 10).map((r) => ({ ...publicArticle(r.article), score: r.score })),
    };
  });

  app.get('/api/sources', async () => ({ articles: store.count(), sources: [...poller.status.values()] }));

  app.post('/api/sources/poll', async () => {
    await poller.pollOnce();
    return { articles: store.count(), sources: [...poller.status.values()] };
  });

  app.get('/ws', { websocket: true }, (socket) => {
    subscribers.add(socket);
    socket.send(JSON.stringify({ type: 'hello', version: config.version }));
    socket.on('close', () => subscribers.delete(socket));
  });

  return {
    service,
    close: async () => {
      clearInterval(pushTimer);
      await poller.stop();
      db.close();
    },
  };
}

const NewsfeedEnv = z.object({
  FEED_SOURCES: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0)),
  FEED_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  NEWSFEED_PUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
});

export const newsfeed: ServiceDefinition = {
  name: 'newsfeed',
  defaultPort: 5001,
  migrations: NEWSFEED_MIGRATIONS,
  build: (config, env) => {
    const e = parseInput(NewsfeedEnv, env, 'env');
    return buildNewsfeed(config, {
      sources: e.FEED_SOURCES,
      pollIntervalMs: e.FEED_POLL_INTERVAL_MS,
      pushIntervalMs: e.NEWSFEED_PUSH_INTERVAL_MS,
    });
  },
};
