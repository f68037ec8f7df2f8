// CSRF protection for browser form posts: a double-submit token, set as a
// SameSite=Strict cookie and repeated in a hidden form field.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './validation.ts';

export const CSRF_COOKIE = 'csrf_token';
export const CSRF_FIELD = '_csrf';

/** Returns the token for a form, issuing a cookie when the client has none. */
export function issueCsrfToken(request: FastifyRequest, reply: FastifyReply): string {
  // eslint-disable-next-line security/detect-object-injection -- CSRF_COOKIE is a constant
  const existing = request.cookies[CSRF_COOKIE];
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return existing;
  const token = crypto.randomBytes(32).toString('hex');
  reply.setCookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: false });
  return token;
}

export function verifyCsrfToken(request: FastifyRequest, submitted: unknown): void {
  // eslint-disable-next-line security/detect-object-injection -- CSRF_COOKIE is a constant
  const cookie = request.cookies[CSRF_COOKIE];
  if (
    typeof submitted !== 'string' ||
    cookie === undefined ||
    submitted.length !== cookie.length ||
    !crypto.timingSafeEqual(Buffer.from(submitted), Buffer.from(cookie))
  ) {
    throw new HttpError(403, 'missing or invalid CSRF token');
  }
}

export const isFormPost = (request: FastifyRequest) =>
  (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
