// TinyURL: short links with click analytics, on SQLite with an optional
// Redis read-through cache.
import crypto from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { z } from 'zod';
import { createStoredServiceApp } from '../common/app.ts';
import type { ServiceConfig } from '../common/config.ts';
import { CSRF_FIELD, isFormPost, issueCsrfToken, verifyCsrfToken } from '../common/csrf.ts';
import { escapeHtml, page } from '../common/html.ts';
import type { BuiltService, ServiceDefinition } from '../common/service.ts';
import { HttpError, parseInput } from '../common/validation.ts';
import { RedisLinkCache, type LinkCache } from './cache.ts';
import { LinkStore, TINYURL_MIGRATIONS, randomCode, type Link } from './store.ts';

export const MAX_URL_LENGTH = 2048;
const RESERVED = new Set(['health', 'ready', 'metrics', 'shorten', 'api']);

const TargetUrl = z
  .string()
  .min(1, 'expected a URL')
  .max(MAX_URL_LENGTH, `expected at most ${MAX_URL_LENGTH} characters`)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { message: 'expected an absolute http:// or https:// URL' },
  );

export const ShortenRequest = z.object({
  url: TargetUrl,
  alias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{3,32}$/, 'expected 3 to 32 letters, digits, "-" or "_"')
    .refine((a) => !RESERVED.has(a.toLowerCase()), { message: 'this alias is reserved' })
    .optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'expected an ISO 8601 date-time such as 2030-01-01T00:00:00Z' })
    .refine((d) => Date.parse(d) > Date.now(), { message: 'expected a time in the future' })
    .optional(),
});

const CodeParam = z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected a short code') });

const FormFields = z.object({ [CSRF_FIELD]: z.string().optional() }).loose();

export interface TinyurlOptions {
  /** Redis URL for the read-through cache; absent means SQLite only. */
  redisUrl?: string;
  /** Base for short URLs; absent means the request's own scheme and host. */
  publicBaseUrl?: string;
}

export async function buildTinyurl(config: ServiceConfig, options: TinyurlOptions = {}): Promise<BuiltService> {
  const cache: LinkCache | undefined = options.redisUrl ? new RedisLinkCache(options.redisUrl) : undefined;
  const service = await createStoredServiceApp({
    service: 'tinyurl',
    config,
    migrations: TINYURL_MIGRATIONS,
  });
  const { app, db } = service;
  const store = new LinkStore(db);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });

  const baseUrl = (request: { protocol: string; host: string }) =>
    options.publicBaseUrl ?? `${request.protocol}://${request.host}`;

  const shorten = (input: z.output<typeof ShortenRequest>) => {
    const manageToken = crypto.randomBytes(24).toString('base64url');
    const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
    if (input.alias !== undefined) {
      if (!store.create({ code: input.alias, url: input.url, expiresAt }, manageToken)) {
        throw new HttpError(409, `alias "${input.alias}" is already taken`);
      }
      return { code: input.alias, manageToken, expiresAt };
    }
    for (;;) {
      const code = randomCode();
      // A collision among 62^7 codes is rare; try again with a fresh code.
      if (store.create({ code, url: input.url, expiresAt }, manageToken)) return { code, manageToken, expiresAt };
    }
  };

  app.get('/', async (request, reply) => {
    const token = issueCsrfToken(request, reply);
    reply.type('text/html; charset=utf-8');
    return page(
      'TinyURL',
      `<h1>TinyURL</h1><form method="post" action="/shorten">
        <input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">
        <label>URL <input name="url" type="url" required maxlength="${MAX_URL_LENGTH}"></label>
        <label>Alias <input name="alias"></label>
        <button type="submit">Shorten</button></form>`,
    );
  });

  app.post('/shorten', async (request, reply) => {
    if (isFormPost(request)) {
      const fields = parseInput(FormFields, request.body, 'body');
      // eslint-disable-next-line security/detect-object-injection -- CSRF_FIELD is a constant, not input
      verifyCsrfToken(request, fields[CSRF_FIELD]);
      const input = parseInput(
        ShortenRequest,
        { url: fields.url, alias: fields.alias === '' ? undefined : fields.alias },
        'body',
      );
      const created = shorten(input);
      const shortUrl = `${baseUrl(request)}/${created.code}`;
      reply.code(201).type('text/html; charset=utf-8');
      return page(
        'Short link created',
        `<p>Short link for <code>${escapeHtml(input.url)}</code>:</p><p><a href="${escapeHtml(shortUrl)}">${escapeHtml(shortUrl)}</a></p>`,
      );
    }
    const input = parseInput(ShortenRequest, request.body, 'body');
    const created = shorten(input);
    reply.code(201);
    return { ...created, shortUrl: `${baseUrl(request)}/${created.code}` };
  });

  const lookup = async (code: string): Promise<Link | undefined> => {
    if (cache === undefined) return store.find(code);
    const epoch = store.cacheEpoch();
    const cached = await cache.get(epoch, code);
    if (cached !== undefined) return cached;
    const link = store.find(code);
    if (link !== undefined) await cache.set(epoch, link);
    return link;
  };

  app.get('/:code', async (request, reply) => {
    const { code } = parseInput(CodeParam, request.params, 'path');
    const link = await lookup(code);
    if (link === undefined) throw new HttpError(404, `no short link "${code}"`);
    if (link.expiresAt !== null && Date.parse(link.expiresAt) <= Date.now()) {
      throw new HttpError(410, `short link "${code}" expired at ${link.expiresAt}`);
    }
    store.recordClick(code, refererHost(request.headers.referer));
    return reply.code(302).header('Cache-Control', 'no-store').redirect(link.url);
  });

  app.get('/api/analytics/:code', async (request) => {
    const { code } = parseInput(CodeParam, request.params, 'path');
    if (store.find(code) === undefined) throw new HttpError(404, `no short link "${code}"`);
    return store.analytics(code);
  });

  app.delete('/api/links/:code', async (request, reply) => {
    const { code } = parseInput(CodeParam, request.params, 'path');
    const auth = request.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    // eslint-disable-next-line security/detect-possible-timing-attacks -- compares with the empty string; the token itself is compared by hash with timingSafeEqual in the store
    if (token === '') throw new HttpError(401, 'expected "Authorization: Bearer <manageToken>"');
    const outcome = store.delete(code, token);
    if (outcome === 'missing') throw new HttpError(404, `no short link "${code}"`);
    if (outcome === 'forbidden') throw new HttpError(403, 'the token does not manage this link');
    return reply.code(204).send();
  });

  app.get('/api/cache', async () => ({ enabled: cache !== undefined, ...(cache?.stats() ?? {}) }));

  return {
    service,
    close: async () => {
      await cache?.close();
      db.close();
    },
  };
}

/** Referrers are grouped by host: paths can carry personal data. */
export function refererHost(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    return new URL(referer).host.slice(0, 253) || null;
  } catch {
    return null;
  }
}

export const tinyurl: ServiceDefinition = {
  name: 'tinyurl',
  defaultPort: 5000,
  migrations: TINYURL_MIGRATIONS,
  build: (config, env) =>
    buildTinyurl(config, { redisUrl: env.REDIS_URL || undefined, publicBaseUrl: env.PUBLIC_BASE_URL || undefined }),
};
