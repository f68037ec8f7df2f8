import assert from 'node:assert/strict';
import { test } from 'node:test';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { z } from 'zod';
import { CSRF_COOKIE, isFormPost, issueCsrfToken, verifyCsrfToken } from '../csrf.ts';
import { escapeHtml, page } from '../html.ts';
import { HttpError, parseInput } from '../validation.ts';

test('escapeHtml encodes the five HTML-significant characters', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeHtml(42), '42');
});

test('page() encodes its title and script sources', () => {
  const html = page('<T>', '<p>body</p>', ['/a.js?x="1"']);
  assert.match(html, /<title>&lt;T&gt;<\/title>/);
  assert.match(html, /<script type="module" src="\/a.js\?x=&quot;1&quot;"><\/script>/);
  assert.match(html, /<p>body<\/p>/);
});

test('CSRF: a token is issued once, and a post must repeat the cookie', async (t) => {
  const app = Fastify();
  await app.register(cookie);
  await app.register(formbody);
  app.get('/form', async (request, reply) => ({ token: issueCsrfToken(request, reply) }));
  app.post('/submit', async (request) => {
    verifyCsrfToken(request, (request.body as Record<string, unknown>)._csrf);
    return { form: isFormPost(request) };
  });
  app.setErrorHandler((err, _request, reply) => reply.code((err as HttpError).statusCode ?? 500).send({ error: (err as Error).message }));
  t.after(() => app.close());
  const issued = await app.inject({ url: '/form' });
  const token = issued.json().token as string;
  assert.match(token, /^[0-9a-f]{64}$/);
  const again = await app.inject({ url: '/form', cookies: { [CSRF_COOKIE]: token } });
  assert.equal(again.json().token, token);
  assert.equal(again.headers['set-cookie'], undefined);
  const forged = await app.inject({ url: '/form', cookies: { [CSRF_COOKIE]: 'short' } });
  assert.notEqual(forged.json().token, 'short', 'a malformed cookie is replaced');
  const post = (body: string, cookies: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/submit', payload: body, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual((await post(`_csrf=${token}`, { [CSRF_COOKIE]: token })).json(), { form: true });
  assert.equal((await post(`_csrf=${token}`, {})).statusCode, 403);
  assert.equal((await post('', { [CSRF_COOKIE]: token })).statusCode, 403);
  assert.equal((await post(`_csrf=${'f'.repeat(64)}`, { [CSRF_COOKIE]: token })).statusCode, 403);
  const json = await app.inject({ method: 'POST', url: '/submit', payload: { _csrf: token }, cookies: { [CSRF_COOKIE]: token } });
  assert.deepEqual(json.json(), { form: false });
  const bare = await app.inject({ method: 'POST', url: '/submit', cookies: { [CSRF_COOKIE]: token } });
  assert.equal(bare.statusCode, 500, 'no body at all: the handler itself fails, not the CSRF check');
});

test('parseInput treats a missing value as an empty object', () => {
  assert.deepEqual(parseInput(z.object({ a: z.string().default('x') }), undefined, 'query'), { a: 'x' });
  assert.throws(() => parseInput(z.object({ a: z.string() }), null, 'body'), /body.a/);
});

test('a request without a content type is not a form post', () => {
  assert.equal(isFormPost({ headers: {} } as Parameters<typeof isFormPost>[0]), false);
  assert.equal(isFormPost({ headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } } as Parameters<typeof isFormPost>[0]), true);
});
